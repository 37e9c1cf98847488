package graphs

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestViterbiTiny(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		energy float64
		arcs   []int32
		final  int32
		ilabel []int32
		olabel []int32
	}{
		{"diamond", diamond, 3.5, []int32{1, 3}, 3, []int32{2, 4}, []int32{2, 4}},
		{"epsilons", "0 1 0 5 1\n1 2 3 0 1\n0 2 4 4 3\n2\n", 2, []int32{0, 2}, 2, []int32{3}, []int32{5}},
		{"finalstart", "0 1 1 1 1\n0 2\n1 0.5\n", 1.5, []int32{0}, 1, []int32{1}, []int32{1}},
		{"stopearly", "0 1 1 1 1\n0 0.5\n1\n", 0.5, nil, 0, []int32{}, []int32{}},
		{"renumbered", "2 0 1 1 1\n0 1 1 1 2\n0 1 2 2 3\n1\n", 3, []int32{2, 0}, 1, []int32{1, 1}, []int32{1, 1}},
		{"cycle", "0 1 1 1 1\n1 0 2 2 2\n1 0.5\n", 1.5, []int32{0}, 1, []int32{1}, []int32{1}},
		{"negarc", "0 1 1 1 2\n1 2 1 1 -1.5\n2 1 1 1 2\n0 2 1 1 1\n2\n", 0.5, []int32{0, 2}, 2, []int32{1, 1}, []int32{1, 1}},
		// Zero-energy cycle: the empty path is as good as any.
		{"zerocycle", "0 0 1 1 0\n0\n", 0, nil, 0, []int32{}, []int32{}},
		// Negative cycles that are unreachable or lead nowhere do not matter.
		{"deadnegcycle", "0 1 1 1 1\n0 2 1 1 0\n2 2 1 1 -1\n3 3 1 1 -1\n3 1 1 1 0\n1\n", 1, []int32{0}, 1, []int32{1}, []int32{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mustRead(t, tc.text)
			p, err := Viterbi(g)
			if err != nil {
				t.Fatal(err)
			}
			if p.Energy != tc.energy || !slices.Equal(p.Arcs, tc.arcs) || p.Final != tc.final {
				t.Errorf("got %+v, want energy %v arcs %v final %d", p, tc.energy, tc.arcs, tc.final)
			}
			if got := p.ILabels(g); !slices.Equal(got, tc.ilabel) {
				t.Errorf("ILabels = %v, want %v", got, tc.ilabel)
			}
			if got := p.OLabels(g); !slices.Equal(got, tc.olabel) {
				t.Errorf("OLabels = %v, want %v", got, tc.olabel)
			}
			grad := p.Gradient(g)
			want := make([]float64, g.NumWeights())
			for _, a := range tc.arcs {
				want[a]++
			}
			want[g.FinalIndex(int(tc.final))] = 1
			if !slices.Equal(grad, want) {
				t.Errorf("Gradient = %v, want %v", grad, want)
			}
		})
	}
}

func TestViterbiErrors(t *testing.T) {
	for _, text := range []string{"0 1 1 1 1\n2\n", "0 1 1 1 1\n1 2 1 1 1\n2 1 1 1 1\n"} {
		g := mustRead(t, text)
		if _, err := Viterbi(g); !errors.Is(err, ErrNoPath) {
			t.Errorf("%q: got %v, want ErrNoPath", text, err)
		}
		if paths, err := NBest(g, 3); err != nil || len(paths) != 0 {
			t.Errorf("%q: NBest = %v, %v; want none", text, paths, err)
		}
		if sp, _, err := ShortestPath(g, 2); err != nil || sp.NumStates() != 0 {
			t.Errorf("%q: ShortestPath = %v, %v; want the empty graph", text, sp, err)
		}
	}
	if _, err := Viterbi(&Graph{}); !errors.Is(err, ErrNoPath) {
		t.Errorf("empty graph: got %v, want ErrNoPath", err)
	}
	negCycle := mustRead(t, "0 1 1 1 1\n1 2 1 1 1\n2 1 1 1 -3\n2\n")
	if _, err := Viterbi(negCycle); !errors.Is(err, ErrNegativeCycle) {
		t.Errorf("negative cycle: got %v, want ErrNegativeCycle", err)
	}
	if _, err := NBest(negCycle, 2); !errors.Is(err, ErrNegativeCycle) {
		t.Errorf("negative cycle: NBest: got %v, want ErrNegativeCycle", err)
	}
	if _, _, err := ShortestPath(negCycle, 1); !errors.Is(err, ErrNegativeCycle) {
		t.Errorf("negative cycle: ShortestPath: got %v, want ErrNegativeCycle", err)
	}
	g := mustRead(t, diamond)
	if _, _, err := ShortestPath(g, 0); err == nil {
		t.Error("ShortestPath(n = 0): no error")
	}
	if _, err := NBest(g, -1); err == nil {
		t.Error("NBest(n = -1): no error")
	}
}

// checkPath checks that p is a successful path of g with the energy it
// claims.
func checkPath(t *testing.T, g *Graph, p Path) {
	t.Helper()
	s, e := g.Start(), 0.0
	for _, a := range p.Arcs {
		if g.Src(int(a)) != s {
			t.Fatalf("path %v: arc %d does not leave state %d", p.Arcs, a, s)
		}
		e += g.Weight(int(a))
		s = g.Dst(int(a))
	}
	if s != int(p.Final) || !g.IsFinal(s) {
		t.Fatalf("path %v ends in state %d, not final state %d", p.Arcs, s, p.Final)
	}
	e += g.Final(s)
	if !closeEnough(e, p.Energy) {
		t.Fatalf("path %v: energy %.15g, claimed %.15g", p.Arcs, e, p.Energy)
	}
}

// TestViterbiOpenFst compares Viterbi energies with OpenFst's tropical
// reverse distance of the start state (the energy of the shortest path),
// on random acyclic graphs with negative energies and cyclic graphs with
// non-negative ones, and checks the paths.
func TestViterbiOpenFst(t *testing.T) {
	haveOpenFst(t)
	rng := rand.New(rand.NewPCG(15, 16))
	var gs []*Graph
	var ours []float64
	for _, o := range []randomOptions{acyclicOptions, cyclicOptions} {
		for _, g := range randomTestGraphs(rng, 300, o) {
			p, err := Viterbi(g)
			if errors.Is(err, ErrNoPath) {
				p.Energy = Inf
			} else if err != nil {
				t.Fatal(err)
			} else {
				checkPath(t, g, p)
			}
			gs = append(gs, g)
			ours = append(ours, p.Energy)
		}
	}
	u, offsets := disjointUnion(gs)
	out := fstBatch(t, "standard", "fstshortestdistance --reverse", []*Graph{u})[0]
	want := parseFstDistances(t, out, u.NumStates())
	for i, g := range gs {
		if w := want[offsets[i]+g.Start()]; !closeEnough(ours[i], w) {
			t.Errorf("graph %d: Viterbi %.9g, OpenFst %.9g\n%s", i, ours[i], w, TextString(g))
		}
	}
}

// TestViterbiGradient checks the path gradient against finite differences
// on graphs whose best path is unique by a margin.
func TestViterbiGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	checked := 0
	for i := 0; checked < 40; i++ {
		o := []randomOptions{acyclicOptions, cyclicOptions}[i%2]
		g := randomGraph(rng, o)
		two, err := NBest(g, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(two) == 0 || (len(two) == 2 && two[1].Energy-two[0].Energy < 1e-3) {
			continue
		}
		p, err := Viterbi(g)
		if err != nil {
			t.Fatal(err)
		}
		checkGradient(t, g, p.Gradient(g), func(h *Graph) float64 {
			p, err := Viterbi(h)
			if err != nil {
				t.Fatal(err)
			}
			return p.Energy
		})
		checked++
	}
}

// TestShortestPathMap checks that ShortestPath's graph has exactly the n
// best paths and that its Map sends the gradient of its paths' energies
// back to the input's path gradients.
func TestShortestPathMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for i := range 100 {
		o := []randomOptions{acyclicOptions, cyclicOptions}[i%2]
		g := randomGraph(rng, o)
		n := 1 + i%4
		want, err := NBest(g, n)
		if err != nil {
			t.Fatal(err)
		}
		sp, m, err := ShortestPath(g, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			if sp.NumStates() != 0 {
				t.Fatalf("no path, but ShortestPath has %d states", sp.NumStates())
			}
			continue
		}
		if !IsAcyclic(sp) || (n == 1 && sp.NumArcs() != sp.NumStates()-1) {
			t.Fatalf("ShortestPath(%d) is not a tree:\n%s", n, TextString(sp))
		}
		got, err := NBest(sp, n+5)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("ShortestPath(%d) has %d paths, want %d", n, len(got), len(want))
		}
		gradIn := make([]float64, g.NumWeights())
		wantGrad := make([]float64, g.NumWeights())
		for k := range got {
			if !closeEnough(got[k].Energy, want[k].Energy) {
				t.Fatalf("path %d: energy %.15g, want %.15g", k, got[k].Energy, want[k].Energy)
			}
			if err := m.Backward(got[k].Gradient(sp), gradIn); err != nil {
				t.Fatal(err)
			}
			for w, x := range want[k].Gradient(g) {
				wantGrad[w] += x
			}
		}
		if !slices.Equal(gradIn, wantGrad) {
			t.Fatalf("Map.Backward of the path gradients = %v, want %v", gradIn, wantGrad)
		}
	}
}
