// Command mnistpng writes MNIST images as PNG files (white ink on black, as
// in MNIST) with a labels.tsv of "file<TAB>digit", for batch benchmarks.
//
//	mnistpng -split test -out DIR [-limit N]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"github.com/gotn/gotn/datasets"
)

func main() {
	split := flag.String("split", "test", "train or test")
	out := flag.String("out", "", "output directory")
	limit := flag.Int("limit", 0, "only the first N images (0: all)")
	dir := flag.String("data", "", "MNIST directory (default: $GTN_DATA/mnist or the GoMNIST module)")
	flag.Parse()
	if err := run(*split, *out, *dir, *limit); err != nil {
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
