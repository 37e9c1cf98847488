// Command genfst writes the random graphs of gotn's benchmarks against
// OpenFst as AT&T text, deterministically from a seed.
//
//	genfst -kind compose -dir DIR   # a.txt (acceptor) and b.txt (transducer)
//	genfst -kind linear -dir DIR    # linear.txt: 1,000 steps x 1,000 arcs
//	genfst -kind lattice -dir DIR   # lattice.txt: 1M-arc acyclic lattice
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	kind := flag.String("kind", "compose", "compose, linear or lattice")
	dir := flag.String("dir", ".", "output directory")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	rng := rand.New(rand.NewPCG(*seed, 0x9e3779b97f4a7c15))
	var err error
	switch *kind {
	case "compose":
		err = write(filepath.Join(*dir, "a.txt"), func(w *bufio.Writer) { composeA(w, rng) })
		if err == nil {
			err = write(filepath.Join(*dir, "b.txt"), func(w *bufio.Writer) { composeB(w, rng) })
		}
	case "linear":
		err = write(filepath.Join(*dir, "linear.txt"), func(w *bufio.Writer) { linear(w, rng) })
	case "lattice":
		err = write(filepath.Join(*dir, "lattice.txt"), func(w *bufio.Writer) { lattice(w, rng) })
	default:
		err = fmt.Errorf("unknown kind %q", *kind)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genfst:", err)
		os.Exit(1)
	}
}

func write(path string, gen func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	gen(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// composeA is a cyclic acceptor: 1,000 states, 5 arcs per state, 50 labels.
func composeA(w *bufio.Writer, rng *rand.Rand) {
	const states, arcs, labels = 1000, 5, 50
	for s := range states {
		for range arcs {
			l := 1 + rng.IntN(labels)
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%.4f\n", s, rng.IntN(states), l, l, rng.Float64())
		}
		if s%10 == 9 {
			fmt.Fprintf(w, "%d\t%.4f\n", s, rng.Float64())
		}
	}
}

// composeB is a transducer: 200 states, each with all 50 input labels.
func composeB(w *bufio.Writer, rng *rand.Rand) {
	const states, labels = 200, 50
	for s := range states {
		for l := 1; l <= labels; l++ {
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%.4f\n", s, rng.IntN(states), l, 1+rng.IntN(labels), rng.Float64())
		}
		if s%5 == 4 {
			fmt.Fprintf(w, "%d\t%.4f\n", s, rng.Float64())
		}
	}
}

// linear is 1,000 steps of 1,000 parallel arcs, energies U[-5,5].
func linear(w *bufio.Writer, rng *rand.Rand) {
	const steps, width = 1000, 1000
	for s := range steps {
		for l := 1; l <= width; l++ {
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%.6f\n", s, s+1, l, l, 10*rng.Float64()-5)
		}
	}
	fmt.Fprintf(w, "%d\n", steps)
}

// lattice is an acyclic lattice of 10,000 states with 100 arcs each to the
// next 1..200 states (1M arcs), energies U[0,5].
func lattice(w *bufio.Writer, rng *rand.Rand) {
	const states, arcs = 10000, 100
	for s := range states - 1 {
		for range arcs {
			d := min(states-1, s+1+rng.IntN(200))
			l := 1 + rng.IntN(100)
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%.6f\n", s, d, l, l, 5*rng.Float64())
		}
	}
	fmt.Fprintf(w, "%d\n", states-1)
}
