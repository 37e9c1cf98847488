package graphs

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// checkTopOrder checks that order lists every state of g once and that
// every arc goes forward in it.
func checkTopOrder(t *testing.T, g *Graph, order []int32) {
	t.Helper()
	pos := make([]int, g.NumStates())
	for i := range pos {
		pos[i] = -1
	}
	if len(order) != g.NumStates() {
		t.Fatalf("order has %d states, graph %d", len(order), g.NumStates())
	}
	for i, s := range order {
		if pos[s] >= 0 {
			t.Fatalf("state %d twice in %v", s, order)
		}
		pos[s] = i
	}
	for a := range g.NumArcs() {
		if pos[g.Src(a)] >= pos[g.Dst(a)] {
			t.Fatalf("arc %d (%d -> %d) goes backwards in %v", a, g.Src(a), g.Dst(a), order)
		}
	}
}

func TestTopSortTiny(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		acyclic bool
		order   []int32
	}{
		{"diamond", diamond, true, []int32{0, 1, 2, 3}},
		{"renumbered", "2 0 1 1 1\n0 1 1 1 2\n0 1 2 2 3\n1\n", true, []int32{2, 0, 1}},
		{"unreachable", "0 1 1 1 1\n2 1 1 1 1\n1\n3 1 1 1 1\n", true, []int32{0, 2, 3, 1}},
		{"selfloop", "0 0 1 1 1\n0\n", false, nil},
		{"cycle", "0 1 1 1 1\n1 2 1 1 1\n2 1 1 1 1\n2\n", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mustRead(t, tc.text)
			order, ok := TopSort(g)
			if ok != tc.acyclic || !slices.Equal(order, tc.order) {
				t.Errorf("TopSort = %v, %v; want %v, %v", order, ok, tc.order, tc.acyclic)
			}
			if IsAcyclic(g) != tc.acyclic {
				t.Errorf("IsAcyclic = %v", !tc.acyclic)
			}
			h, m, err := TopSorted(g)
			if !tc.acyclic {
				if err == nil {
					t.Error("TopSorted of a cyclic graph: no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !isTopNumbered(h) {
				t.Errorf("TopSorted is not topologically numbered:\n%s", TextString(h))
			}
			// Every output weight copies one input weight.
			ones := make([]float64, h.NumWeights())
			for i := range ones {
				ones[i] = 1
			}
			in := make([]float64, g.NumWeights())
			if err := m.Backward(ones, in); err != nil {
				t.Fatal(err)
			}
			for i, x := range in {
				want := 1.0
				if i >= g.NumArcs() && !g.IsFinal(i-g.NumArcs()) {
					want = 0
				}
				if x != want {
					t.Errorf("weight %d: Map.Backward gives %v, want %v", i, x, want)
				}
			}
		})
	}
	if order, ok := TopSort(&Graph{}); !ok || len(order) != 0 {
		t.Errorf("empty graph: %v, %v", order, ok)
	}
}

func TestTopSortRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for range 200 {
		o := acyclicOptions
		o.Acyclic = rng.IntN(2) == 0
		g := shuffleStates(rng, randomGraph(rng, o))
		order, ok := TopSort(g)
		if _, nComp := stronglyConnected(g, nil); ok != (nComp == g.NumStates() && !hasSelfLoops(g)) {
			t.Fatalf("TopSort ok = %v, but %d components of %d states", ok, nComp, g.NumStates())
		}
		if o.Acyclic && !ok {
			t.Fatal("acyclic graph reported cyclic")
		}
		if ok {
			checkTopOrder(t, g, order)
		}
	}
}

func hasSelfLoops(g *Graph) bool {
	for a := range g.NumArcs() {
		if g.Src(a) == g.Dst(a) {
			return true
		}
	}
	return false
}

// shuffleStates returns g with its states renumbered at random.
func shuffleStates(rng *rand.Rand, g *Graph) *Graph {
	return shuffleWith(g, rng.Perm(g.NumStates()))
}

// shuffleWith returns g with state s renumbered perm[s].
func shuffleWith(g *Graph, perm []int) *Graph {
	b := NewBuilder()
	b.AddStates(g.NumStates())
	b.SetStart(perm[g.Start()])
	for s := range g.NumStates() {
		b.SetFinal(perm[s], g.Final(s))
		lo, hi := g.Arcs(s)
		for a := lo; a < hi; a++ {
			b.AddArc(perm[s], perm[g.Dst(a)], g.ILabel(a), g.OLabel(a), g.Weight(a))
		}
	}
	h, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return h
}

// TestTopSortedOpenFst checks that TopSorted keeps the weighted graph:
// same total energies and n best paths as the input and as OpenFst's
// fsttopsort.
func TestTopSortedOpenFst(t *testing.T) {
	haveOpenFst(t)
	rng := rand.New(rand.NewPCG(29, 30))
	gs := randomTestGraphs(rng, 8, acyclicOptions)
	for i, g := range gs {
		g = shuffleStates(rng, g)
		if !comparableWithOpenFst(g) {
			continue
		}
		h, _, err := TopSorted(g)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := openFst(t, "standard", "fsttopsort in0.fst out.fst", g)
		for _, x := range []*Graph{h, ref} {
			if !isTopNumbered(x) {
				t.Fatalf("graph %d: not topologically numbered:\n%s", i, TextString(x))
			}
			for _, sr := range []Semiring{Tropical, Log} {
				want, _ := ShortestDistance(g, sr, &DistanceOptions{Reverse: true})
				got, _ := ShortestDistance(x, sr, &DistanceOptions{Reverse: true})
				if !closeEnough(want[g.Start()], got[x.Start()]) {
					t.Fatalf("graph %d %v: total %.15g, want %.15g", i, sr, got[x.Start()], want[g.Start()])
				}
			}
			want, _ := NBest(g, 10)
			got, _ := NBest(x, 10)
			if !sameEnergies(energies(got), energies(want)) {
				t.Fatalf("graph %d: n best %v, want %v", i, energies(got), energies(want))
			}
		}
	}
}

func TestTopSortedPreservesDistances(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		g := randomGraph(rng, acyclicOptions)
		// Shuffle the state numbers so that the graph is not sorted.
		perm := rng.Perm(g.NumStates())
		shuffled := shuffleWith(g, perm)
		for _, sr := range []Semiring{Tropical, Log} {
			want, _ := ShortestDistance(g, sr, &DistanceOptions{Reverse: true})
			got, err := ShortestDistance(shuffled, sr, &DistanceOptions{Reverse: true})
			if err != nil {
				t.Fatal(err)
			}
			for s := range want {
				if !closeEnough(want[s], got[perm[s]]) {
					t.Fatalf("%v state %d: got %.15g, want %.15g", sr, s, got[perm[s]], want[s])
				}
			}
		}
	}
}
