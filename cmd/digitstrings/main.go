// Command digitstrings writes generated strings of handwritten MNIST digits
// as PNG files (dark ink on white paper) with a labels file, labels.tsv,
// one `file<TAB>digits` line per image: the layout gtn's string-images
// data source and gtn batch read.
//
// Usage:
//
//	digitstrings -out DIR [-split test] [-n 1000] [-seed 7] [-min 3] [-max 6]
//
// Strings of the test split use MNIST test digits only, those of the train
// split training digits only; string i depends only on (seed, i).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gotn/gotn/datasets"
)

func main() {
	out := flag.String("out", "", "directory to write (created if needed)")
	split := flag.String("split", "test", "MNIST split the digits come from: train or test")
	n := flag.Int("n", 1000, "number of strings")
	seed := flag.Int("seed", 7, "seed")
	minLen := flag.Int("min", 3, "fewest digits")
	maxLen := flag.Int("max", 6, "most digits")
	mnist := flag.String("mnist", "", "directory of the MNIST IDX files (default: $GTN_DATA/mnist, then the GoMNIST module)")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *split, *mnist, *n, *seed, *minLen, *maxLen); err != nil {
		fmt.Fprintln(os.Stderr, "digitstrings:", err)
		os.Exit(1)
	}
}

func run(out, split, mnist string, n, seed, minLen, maxLen int) error {
	dir, err := datasets.MNISTDir(mnist)
	if err != nil {
		return err
	}
	m, err := datasets.LoadMNIST(dir, split)
	if err != nil {
		return err
	}
	cfg := datasets.DefaultDigitStrings()
	cfg.MinLen, cfg.MaxLen = minLen, maxLen
	d, err := datasets.NewDigitStrings(m, n, uint64(seed), cfg)
	if err != nil {
		return err
	}
	return datasets.WriteDigitStrings(out, d, 0, n)
}
