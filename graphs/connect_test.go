package graphs

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestConnectHandMade(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{{
		// 3 is a dead end, 4 is unreachable, 5 is isolated.
		name: "dead end and unreachable",
		in:   "0 1 1 1 0.5\n0 3 3 3\n1 2 2 2\n4 2 4 4\n2 0.25\n5 6 1 1\n",
		want: "0\t1\t1\t1\t0.5\n1\t2\t2\t2\n2\t0.25\n",
	}, {
		name: "start renumbered",
		in:   "3 1 1 2\n0 1 7 7\n1 4 2 3 1.5\n2 3 5 5\n4\n",
		want: "1\t0\t1\t2\n0\t2\t2\t3\t1.5\n2\n",
	}, {
		name: "cycle kept, arc to a dead cycle dropped",
		in:   "0 1 1 1\n1 0 2 2\n1 2 3 3\n2 2 4 4\n0\n",
		want: "0\t1\t1\t1\n0\n1\t0\t2\t2\n",
	}, {
		name: "no successful path",
		in:   "0 1 1 1\n1 0 2 2\n",
		want: "",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := mustRead(t, tc.in)
			h, m := Connect(g)
			if got := TextString(h); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			checkMapWeights(t, h, m, g)
		})
	}
}

func TestConnectUnchanged(t *testing.T) {
	g := mustRead(t, "0 1 1 1 0.5\n1 0 2 2\n1 0.25\n")
	h, m := Connect(g)
	if h != g {
		t.Error("Connect of a trim graph made a copy")
	}
	checkMapWeights(t, h, m, g)
	for _, empty := range []*Graph{{}, emptyGraph()} {
		e, m := Connect(empty)
		if e.NumStates() != 0 || m.NumOutputs() != 0 || len(Accessible(empty)) != 0 || len(CoAccessible(empty)) != 0 {
			t.Errorf("Connect of the empty graph: %v", e)
		}
	}
}

func TestAccessibleCoAccessible(t *testing.T) {
	g := mustRead(t, "0 1 1 1\n0 3 3 3\n1 2 2 2\n4 2 4 4\n2\n")
	if got, want := Accessible(g), []bool{true, true, true, true, false}; !slices.Equal(got, want) {
		t.Errorf("Accessible = %v, want %v", got, want)
	}
	if got, want := CoAccessible(g), []bool{true, true, true, false, true}; !slices.Equal(got, want) {
		t.Errorf("CoAccessible = %v, want %v", got, want)
	}

	// A chain numbered against the direction of its arcs, the worst case
	// of the backward sweeps, which then fall back to a reverse search.
	const n = 50
	b := NewBuilder()
	b.AddStates(n + 1)
	b.SetStart(0)
	for s := range n {
		b.AddArc(s, s+1, 1, 1, 0)
	}
	b.SetFinal(n, 0)
	chain, _, _ := b.Build()
	rev := make([]int32, n+1) // reversed numbering: state s becomes n - s
	for s := range rev {
		rev[s] = int32(n - s)
	}
	rb := NewBuilder()
	rb.AddStates(n + 2) // plus a dead end
	rb.SetStart(n)
	for s := range n {
		rb.AddArc(int(rev[s]), int(rev[s+1]), 1, 1, 0)
	}
	rb.AddArc(n, n+1, 2, 2, 0)
	rb.SetFinal(0, 0)
	g, _, _ = rb.Build()
	co := CoAccessible(g)
	for s := range n + 1 {
		if !co[s] {
			t.Fatalf("state %d of the reversed chain is not co-accessible", s)
		}
	}
	if co[n+1] {
		t.Error("dead end is co-accessible")
	}
	h, _ := Connect(g)
	if h.NumStates() != n+1 || h.NumArcs() != n || linsolveLogTotal(h, nil) != linsolveLogTotal(chain, nil) {
		t.Errorf("Connect of the reversed chain: %v", h)
	}
}

// TestConnectOpenFst compares Connect with OpenFst's fstconnect on random
// graphs: both keep the useful states and arcs in order, so the results
// must be equal.
func TestConnectOpenFst(t *testing.T) {
	haveOpenFst(t)
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 300
	gs := make([]*Graph, n)
	for k := range gs {
		gs[k] = quantized(randomGraph(rng, randomOptions{
			States:       3 + rng.IntN(10),
			ArcsPerState: 1 + rng.IntN(2),
			Labels:       3,
			Epsilon:      0.2,
			Acyclic:      k%2 == 0,
			MinW:         -1, MaxW: 3,
			FinalProb: 0.15,
		}))
	}
	const marker = 100
	u, _ := openFst(t, "standard", keepNumbering(Tropical)+"fstconnect in0.fst out.fst", markedUnion(gs, marker))
	trimmed := 0
	for i, g := range gs {
		want := markedComponent(u, marker+int32(i))
		h, m := Connect(g)
		if got, want := TextString(h), TextString(want); got != want {
			t.Errorf("graph %d:\n%s\ngot:\n%s\nOpenFst:\n%s", i, TextString(g), got, want)
		}
		checkMapWeights(t, h, m, g)
		if h.NumStates() < g.NumStates() {
			trimmed++
		}
	}
	if trimmed < n/3 {
		t.Errorf("only %d of %d graphs were trimmed: the test is too weak", trimmed, n)
	}
}

func TestConnectGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for range 10 {
		g := randomGraph(rng, randomOptions{States: 8, ArcsPerState: 2, Labels: 2, MinW: 2, MaxW: 4, FinalProb: 0.2})
		h, m := Connect(g)
		if h.NumStates() == 0 {
			continue
		}
		grad := make([]float64, g.NumWeights())
		if err := m.Backward(linsolvePosteriors(h), grad); err != nil {
			t.Fatal(err)
		}
		checkGradient(t, g, grad, func(g *Graph) float64 {
			h, _ := Connect(g)
			return linsolveLogTotal(h, nil)
		})
	}
}
