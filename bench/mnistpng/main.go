// Command mnistpng writes MNIST images as PNG files (white ink on black, as
// in MNIST) with a labels.tsv of "file<TAB>digit", for batch benchmarks,
// and checks the results of a batch run over them.
//
//	mnistpng -split test -out DIR [-limit N]
//	mnistpng -out DIR -check RESULTS.jsonl
//
// With -check it reads the JSON Lines records of gtn batch over DIR and
// prints, as one JSON object, the number of records, of distinct files, of
// failed records, of wrong answers (output text other than the label), and
// the error rate over the labelled files; it exits with status 1 unless
// every labelled file has exactly one record.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotn/gotn/datasets"
)

func main() {
	split := flag.String("split", "test", "train or test")
	out := flag.String("out", "", "output directory (with -check: the directory the results are of)")
	limit := flag.Int("limit", 0, "only the first N images (0: all)")
	dir := flag.String("data", "", "MNIST directory (default: $GTN_DATA/mnist or the GoMNIST module)")
	check := flag.String("check", "", "check this gtn batch output against DIR/labels.tsv instead of writing images")
	flag.Parse()
	var err error
	if *check != "" {
		err = checkResults(*out, *check)
	} else {
		err = run(*split, *out, *dir, *limit)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mnistpng:", err)
		os.Exit(1)
	}
}

func run(split, out, dir string, limit int) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	d, err := datasets.MNISTDir(dir)
	if err != nil {
		return err
	}
	m, err := datasets.LoadMNIST(d, split)
	if err != nil {
		return err
	}
	if limit > 0 && limit < m.Len() {
		m = m.Head(limit)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	lf, err := os.Create(filepath.Join(out, "labels.tsv"))
	if err != nil {
		return err
	}
	labels := bufio.NewWriter(lf)
	for i := range m.Len() {
		name := fmt.Sprintf("%s-%05d.png", split, i)
		img := &image.Gray{Pix: m.Image(i), Stride: m.Cols, Rect: image.Rect(0, 0, m.Cols, m.Rows)}
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			return err
		}
		if err := png.Encode(f, img); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(labels, "%s\t%d\n", name, m.Labels[i])
	}
	if err := labels.Flush(); err != nil {
		return err
	}
	return lf.Close()
}

// checkResults compares the records of results with dir/labels.tsv.
func checkResults(dir, results string) error {
	if dir == "" {
		return fmt.Errorf("-out is required with -check")
	}
	labels, err := readLabels(filepath.Join(dir, "labels.tsv"))
	if err != nil {
		return err
	}
	f, err := os.Open(results)
	if err != nil {
		return err
	}
	defer f.Close()
	type record struct {
		File   string `json:"file"`
		Output *struct {
			Text string `json:"text"`
		} `json:"output"`
		Error *string `json:"error"`
	}
	var records, failed, wrong int
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("%s:%d: %v", results, line, err)
		}
		records++
		name := filepath.Base(r.File)
		seen[name]++
		want, labelled := labels[name]
		switch {
		case r.Error != nil:
			failed++
			if labelled {
				wrong++
			}
		case labelled && (r.Output == nil || r.Output.Text != want):
			wrong++
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", results, err)
	}
	var missing, doubled int
	for name := range labels {
		switch n := seen[name]; {
		case n == 0:
			missing++
		case n > 1:
			doubled++
		}
	}
	res := map[string]any{
		"records": records, "files": len(seen), "failed": failed, "errors": wrong,
		"labelled": len(labels), "missing": missing, "doubled": doubled,
		"error_rate": float64(wrong) / float64(max(len(labels), 1)),
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return err
	}
	if missing > 0 || doubled > 0 {
		return fmt.Errorf("%d labelled files without a record, %d with more than one", missing, doubled)
	}
	return nil
}

// readLabels reads a labels.tsv: file name, tab, label.
func readLabels(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		name, label, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want file<TAB>label", path, i+1)
		}
		labels[name] = label
	}
	if len(labels) == 0 {
		return nil, errors.New(path + ": no labels")
	}
	return labels, nil
}
