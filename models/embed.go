// Package models holds the trained models committed to the repository,
// embedded in every program that imports the package (so that
// `gtn mnist eval` works on a fresh clone, from any directory):
//
//	lenet5.msgpack  LeNet-5 as in LeCun et al. (1998), trained on MNIST
//	                without distortions
//	best.msgpack    the network with the lowest MNIST test error in the
//	                repository
//	checks/amount.msgpack
//	                the check reader of gtn read (ReaderFiles)
//
// Each file is a gotn model (gtn.ReadModel, recognizers.FromModel); its
// metadata records the command that trained it and its measured test
// error. docs/BENCHMARKS.md lists the commands, errors and run times.
package models

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

//go:embed *.msgpack
var files embed.FS

// readerFiles are the models of gtn read's default pipelines.
//
//go:embed checks/amount.msgpack
var readerFiles embed.FS

// ReaderFiles returns the models of gtn read's default pipelines
// (pipelines.Files), under their paths in this directory
// ("checks/amount.msgpack": the check reader, see docs/BENCHMARKS.md).
func ReaderFiles() fs.FS { return readerFiles }

// The names of the committed models.
const (
	// LeNet5 is the faithful LeNet-5 (RBF output, trained without
	// distortions).
	LeNet5 = "lenet5"
	// Best is the best network in the repository.
	Best = "best"
)

// Names returns the names of the embedded models, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil // cannot happen: the directory is embedded
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".msgpack"); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// File returns the contents of the embedded model name (a gotn model file:
// see gtn.ReadModel and recognizers.FromModel). The slice is shared: do not
// modify it.
func File(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".msgpack")
	if err != nil {
		return nil, fmt.Errorf("models: no embedded model %q (have: %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}
