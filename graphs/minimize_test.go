package graphs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestMinimizeTiny(t *testing.T) {
	// Arcs by weight index: 0: 0 -a/1-> 1, 1: 0 -b/2-> 2, 2: 1 -c/3-> 3,
	// 3: 2 -c/4-> 4; finals 7 (state 3) and 8 (state 4). After pushing,
	// states 1 and 2 are equivalent, and so are 3 and 4.
	g := mustRead(t, "0 1 1 1 1\n0 2 2 2 2\n1 3 3 3 3\n2 4 3 3 4\n3\n4\n")
	for _, sr := range bothSemirings {
		t.Run(sr.String(), func(t *testing.T) {
			m, mp, err := Minimize(g, sr)
			if err != nil {
				t.Fatal(err)
			}
			// The total weight goes back on the start's arcs.
			wantGraph(t, m, "0 1 1 1 4\n0 1 2 2 6\n1 2 3 3 0\n2 0\n")
			wantRow(t, mp, 0, map[int]float64{0: 1, 2: 1, 7: 1})
			wantRow(t, mp, 1, map[int]float64{1: 1, 3: 1, 8: 1})
			wantRow(t, mp, 2, map[int]float64{})
			wantRow(t, mp, m.FinalIndex(2), map[int]float64{})
			checkMinimizeMap(t, rand.New(rand.NewPCG(1, 1)), g, m, mp, sr)
		})
	}
}

func TestMinimizeCyclicStart(t *testing.T) {
	// a^n with energy n: states 0 and 1 are equivalent, and the minimal
	// automaton is one state, whose loop enters the start state, so the
	// total weight goes to the final energies (OpenFst adds an epsilon
	// arc from a new start state instead).
	g := mustRead(t, "0 1 1 1 1\n1 0 1 1 1\n0 0\n1 0\n")
	for _, sr := range bothSemirings {
		m, mp, err := Minimize(g, sr)
		if err != nil {
			t.Fatal(err)
		}
		wantGraph(t, m, "0 0 1 1 1\n0 0\n")
		checkMinimizeMap(t, rand.New(rand.NewPCG(1, 2)), g, m, mp, sr)
	}
}

func TestMinimizeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, g string
		sr      Semiring
		want    string
	}{
		{"nondeterministic", "0 1 1 1\n0 2 1 1\n1\n2\n", Tropical, "not deterministic"},
		{"transducer", "0 1 1 2\n1\n", Log, "transducer"},
		{"semiring", "0 1 1 1\n1\n", Semiring(3), "semiring"},
		{"divergent", "0 0 1 1 -1\n0\n", Tropical, "diverges"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Minimize(mustRead(t, tc.g), tc.sr)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "graphs: Minimize: ") {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
		})
	}
	for _, g := range []*Graph{{}, mustRead(t, "0 1 1 1\n")} {
		m, mp, err := Minimize(g, Log)
		if err != nil || m.NumStates() != 0 || mp.NumOutputs() != 0 {
			t.Errorf("%v: got %v, %v", g, m, err)
		}
	}
}

// randomDFA returns the determinization of a random connected acceptor.
func randomDFA(t testing.TB, rng *rand.Rand, sr Semiring, cyclic bool) *Graph {
	for {
		g := connectForTest(randomAcceptor(rng, cyclic))
		if g.NumStates() == 0 {
			continue
		}
		if _, err := newPusher(g, sr, false, liveStateMask(g)); err != nil {
			continue
		}
		d, _, err := Determinize(g, sr, &DeterminizeOptions{MaxStates: 100, NoMap: true})
		if err == nil {
			return d
		}
	}
}

// redundantDFA returns an automaton equivalent to the deterministic d made
// of two copies of it: each arc leads to the copy of its destination in a
// random copy, and the energies are reweighted by random potentials, which
// pushing undoes. Its minimal automaton is that of d.
func redundantDFA(rng *rand.Rand, d *Graph) *Graph {
	n := d.NumStates()
	c := make([]float64, 2*n)
	for i := range c {
		c[i] = float64(rng.IntN(128)) / 64
	}
	c[d.Start()] = 0
	b := NewBuilder()
	b.AddStates(2 * n)
	b.SetStart(d.Start())
	for k := range 2 {
		for s := range n {
			u := k*n + s
			if d.IsFinal(s) {
				b.SetFinal(u, d.Final(s)-c[u])
			}
			lo, hi := d.Arcs(s)
			for a := lo; a < hi; a++ {
				v := rng.IntN(2)*n + d.Dst(a)
				b.AddArc(u, v, d.ILabel(a), d.OLabel(a), d.Weight(a)+c[v]-c[u])
			}
		}
	}
	g, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return g
}

func TestMinimizeRedundant(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range 60 {
		sr := bothSemirings[i%2]
		d := randomDFA(t, rng, sr, i%4 >= 2)
		g := redundantDFA(rng, d)
		md, _, err := Minimize(d, sr)
		if err != nil {
			t.Fatal(err)
		}
		mg, _, err := Minimize(g, sr)
		if err != nil {
			t.Fatal(err)
		}
		if md.NumStates() != mg.NumStates() || md.NumArcs() != mg.NumArcs() {
			t.Errorf("%d %v: minimal automaton of d has %d states and %d arcs, of its redundant copy %d and %d", i, sr, md.NumStates(), md.NumArcs(), mg.NumStates(), mg.NumArcs())
		}
		if eq, err := Equivalent(mg, d, 1e-9); err != nil || !eq {
			t.Errorf("%d %v: minimized copy not equivalent: %v %v", i, sr, eq, err)
		}
		// Minimal: minimizing again changes nothing.
		mm, _, err := Minimize(mg, sr)
		if err != nil || mm.NumStates() != mg.NumStates() || mm.NumArcs() != mg.NumArcs() {
			t.Errorf("%d %v: minimizing twice: %v, %v", i, sr, mm, err)
		}
	}
}

// checkMinimizeMap checks the Map mp of m = Minimize(g) by finite
// differences with the classes of states fixed: perturbing the weights of
// states merged because their pushed energies are equal would split them.
func checkMinimizeMap(t *testing.T, rng *rand.Rand, g, m *Graph, mp *Map, sr Semiring) {
	t.Helper()
	plan, err := planMinimize(g, sr)
	if err != nil {
		t.Fatal(err)
	}
	checkOpMap(t, rng, g, m, mp, func(h *Graph) (*Graph, *Map, error) {
		p, err := newPusher(h, sr, false, plan.live)
		if err != nil {
			return nil, nil, err
		}
		return plan.build(p)
	})
}

func TestMinimizeGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for i := range 16 {
		sr := bothSemirings[i%2]
		g := redundantDFA(rng, randomDFA(t, rng, sr, i%4 >= 2))
		m, mp, err := Minimize(g, sr)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint(i, sr), func(t *testing.T) {
			checkMinimizeMap(t, rng, g, m, mp, sr)
		})
	}
}

func TestMinimizeOpenFst(t *testing.T) {
	haveOpenFst(t)
	for _, sr := range bothSemirings {
		for _, cyclic := range []bool{false, true} {
			t.Run(fmt.Sprint(sr, cyclic), func(t *testing.T) {
				t.Parallel()
				testMinimizeOpenFst(t, sr, cyclic)
			})
		}
	}
}

func testMinimizeOpenFst(t *testing.T, sr Semiring, cyclic bool) {
	rng := rand.New(rand.NewPCG(29, uint64(sr)))
	// OpenFst compares pushed float32 energies rounded to delta.
	const script = "fstminimize --delta=1e-4 in0.fst out.fst"
	// In the log semiring, OpenFst sums cycles iteratively in float32, too
	// roughly to find all the states that are equal: its result can be
	// larger than ours.
	exact := sr == Tropical || !cyclic
	var gs []*Graph
	for i := range 100 {
		d := gridWeights(randomDFA(t, rng, sr, cyclic), 1.0/64)
		if i%3 == 0 {
			d = redundantDFA(rng, d)
		}
		gs = append(gs, d)
	}
	// The union of the graphs under a start state with distinct labels is
	// one deterministic automaton.
	b, _ := bundle(gs)
	ours, _, err := Minimize(b, sr)
	if err != nil {
		t.Fatal(err)
	}
	theirs, _ := openFst(t, arcType(sr), script, b)
	if exact && (ours.NumStates() != theirs.NumStates() || ours.NumArcs() != theirs.NumArcs()) ||
		ours.NumStates() > theirs.NumStates() || ours.NumArcs() > theirs.NumArcs() {
		t.Errorf("ours has %d states and %d arcs, OpenFst's %d and %d", ours.NumStates(), ours.NumArcs(), theirs.NumStates(), theirs.NumArcs())
	}
	if eq, err := Equivalent(ours, b, 1e-9); err != nil || !eq {
		t.Errorf("not equivalent to the input: %v %v", eq, err)
	}
	if eq, err := Equivalent(ours, theirs, 1e-3); err != nil || !eq {
		t.Errorf("not equivalent to OpenFst's result: %v %v", eq, err)
	}
	if !cyclic {
		return
	}
	// Single graphs whose start state is on a cycle: OpenFst puts the
	// total weight on an epsilon arc from a new start state.
	n := 0
	for _, g := range gs {
		if !startOnCycle(g) || n == 4 {
			continue
		}
		n++
		ours, _, err := Minimize(g, sr)
		if err != nil {
			t.Fatal(err)
		}
		theirs, _ := openFst(t, arcType(sr), script, g)
		extra := 0
		if v := potentials(t, g, sr)[g.Start()]; v != 0 && startOnCycle(ours) {
			extra = 1
		}
		if exact && (ours.NumStates()+extra != theirs.NumStates() || ours.NumArcs()+extra != theirs.NumArcs()) ||
			ours.NumStates()+extra > theirs.NumStates() || ours.NumArcs()+extra > theirs.NumArcs() {
			t.Errorf("ours has %d states and %d arcs, OpenFst's %d and %d\n%s", ours.NumStates(), ours.NumArcs(), theirs.NumStates(), theirs.NumArcs(), TextString(g))
		}
		if eq, err := Equivalent(ours, g, 1e-9); err != nil || !eq {
			t.Errorf("not equivalent to the input: %v %v", eq, err)
		}
	}
	if n == 0 {
		t.Error("no graph with a cycle through the start")
	}
}

func TestQuantize(t *testing.T) {
	for _, tc := range []struct {
		r, delta float64
		want     int64
	}{
		{0, 0.5, 0}, {0.24, 0.5, 0}, {0.25, 0.5, 1}, {-0.26, 0.5, -1}, {1e300, 1e-6, 1 << 62}, {math.Inf(-1), 1, -(1 << 62)},
	} {
		if got := quantize(tc.r, tc.delta); got != tc.want {
			t.Errorf("quantize(%v, %v) = %d, want %d", tc.r, tc.delta, got, tc.want)
		}
	}
}
