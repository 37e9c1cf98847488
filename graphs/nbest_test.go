package graphs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func energies(paths []Path) []float64 {
	e := make([]float64, len(paths))
	for i, p := range paths {
		e[i] = p.Energy
	}
	return e
}

func TestNBestTiny(t *testing.T) {
	tests := []struct {
		name string
		text string
		n    int
		want []float64
	}{
		{"diamond", diamond, 5, []float64{3.5, 4.5}},
		{"diamond/1", diamond, 1, []float64{3.5}},
		{"diamond/0", diamond, 0, []float64{}},
		{"gtn", gtnGraph, 4, []float64{-6, -5, -5, -4}},
		{"gtn/all", gtnGraph, 20, []float64{-6, -5, -5, -4, -4, -4, -3, -3, -2}},
		// A path through a final state and its continuations.
		{"finalstart", "0 1 1 1 1\n0 2\n1 0.5\n", 3, []float64{1.5, 2}},
		// Cycles: infinitely many paths.
		{"selfloop", "0 0 1 1 1\n0\n", 4, []float64{0, 1, 2, 3}},
		{"zerocycle", "0 0 1 1 0\n0\n", 3, []float64{0, 0, 0}},
		{"cycle", "0 1 1 1 1\n1 0 2 2 2\n1 0.5\n", 3, []float64{1.5, 4.5, 7.5}},
		{"negarc", "0 1 1 1 2\n1 2 1 1 -1.5\n2 1 1 1 2\n0 2 1 1 1\n2\n", 4, []float64{0.5, 1, 1, 1.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mustRead(t, tc.text)
			paths, err := NBest(g, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if got := energies(paths); !slices.Equal(got, tc.want) {
				t.Errorf("energies %v, want %v", got, tc.want)
			}
			seen := map[string]bool{}
			for _, p := range paths {
				checkPath(t, g, p)
				key := fmt.Sprint(p.Arcs, p.Final)
				if seen[key] {
					t.Errorf("path %v returned twice", p.Arcs)
				}
				seen[key] = true
			}
		})
	}
}

// TestNBestGradientRepeats checks that a path through a cycle counts the
// repeated arc.
func TestNBestGradientRepeats(t *testing.T) {
	g := mustRead(t, "0 0 1 1 1\n0\n")
	paths, err := NBest(g, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := paths[2].Gradient(g); !slices.Equal(got, []float64{2, 1}) {
		t.Errorf("gradient of the path around the loop twice: %v, want [2 1]", got)
	}
	if got := paths[2].ILabels(g); !slices.Equal(got, []int32{1, 1}) {
		t.Errorf("labels %v, want [1 1]", got)
	}
}

// allPathEnergies returns the energies of all successful paths of the
// acyclic graph g, in increasing order, by depth-first enumeration.
func allPathEnergies(g *Graph) []float64 {
	var out []float64
	var walk func(s int, e float64)
	walk = func(s int, e float64) {
		if g.IsFinal(s) {
			out = append(out, e+g.Final(s))
		}
		lo, hi := g.Arcs(s)
		for a := lo; a < hi; a++ {
			walk(g.Dst(a), e+g.Weight(a))
		}
	}
	if g.NumStates() > 0 {
		walk(g.Start(), 0)
	}
	slices.Sort(out)
	return out
}

func sameEnergies(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !closeEnough(got[i], want[i]) {
			return false
		}
	}
	return true
}

// TestNBestBruteForce compares NBest with the sorted energies of all paths
// of random acyclic graphs (including negative energies).
func TestNBestBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for i := range 200 {
		g := randomGraph(rng, acyclicOptions)
		all := allPathEnergies(g)
		n := 1 + rng.IntN(len(all)+3)
		paths, err := NBest(g, n)
		if err != nil {
			t.Fatal(err)
		}
		want := all[:min(n, len(all))]
		if got := energies(paths); !sameEnergies(got, want) {
			t.Fatalf("graph %d, n = %d: energies %v, want %v\n%s", i, n, got, want, TextString(g))
		}
		for _, p := range paths {
			checkPath(t, g, p)
		}
	}
}

// TestNBestOpenFst compares the energies of the n best paths with those of
// OpenFst's fstshortestpath --nshortest=n on random graphs (acyclic with
// negative energies, cyclic with non-negative ones, with epsilons).
func TestNBestOpenFst(t *testing.T) {
	haveOpenFst(t)
	rng := rand.New(rand.NewPCG(23, 24))
	const n = 6
	var gs []*Graph
	for _, o := range []randomOptions{acyclicOptions, cyclicOptions} {
		gs = append(gs, randomTestGraphs(rng, 60, o)...)
	}
	outs := fstBatch(t, "standard", "fstshortestpath --nshortest=6 | fstprint", gs)
	for i, g := range gs {
		paths, err := NBest(g, n)
		if err != nil {
			t.Fatal(err)
		}
		var want []float64
		if strings.TrimSpace(outs[i]) != "" {
			want = allPathEnergies(mustRead(t, outs[i]))
		}
		if got := energies(paths); !sameEnergies(got, want) {
			t.Errorf("graph %d: energies %v, OpenFst %v\n%s", i, got, want, TextString(g))
		}
		for _, p := range paths {
			checkPath(t, g, p)
		}
	}
}

// TestNBestLarge checks a wide lattice: the n best of a linear graph whose
// steps have parallel arcs are combinations of the few best arcs per step.
func TestNBestLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	g := wideLattice(rng, 50, 200)
	paths, err := NBest(g, 30)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := Viterbi(g)
	if paths[0].Energy != v.Energy && math.Abs(paths[0].Energy-v.Energy) > 1e-9 {
		t.Errorf("best energy %.15g, Viterbi %.15g", paths[0].Energy, v.Energy)
	}
	// Brute force over the 3 best arcs of each step.
	var want []float64
	want = append(want, 0)
	for s := range g.NumStates() - 1 {
		lo, hi := g.Arcs(s)
		w := make([]float64, 0, hi-lo)
		for a := lo; a < hi; a++ {
			w = append(w, g.Weight(a))
		}
		slices.Sort(w)
		var next []float64
		for _, e := range want {
			for _, x := range w[:3] {
				next = append(next, e+x)
			}
		}
		slices.Sort(next)
		want = next[:min(len(next), 30)]
	}
	for i := range want {
		want[i] += g.Final(g.NumStates() - 1)
	}
	if got := energies(paths); !sameEnergies(got, want) {
		t.Errorf("energies %v\nwant %v", got, want)
	}
}
