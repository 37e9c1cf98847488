package graphs

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestArcSortHandMade(t *testing.T) {
	// Ties in both labels (arcs 1 and 4) keep their order.
	const in = "0 1 3 1 0.5\n0 2 1 3 1\n0 1 2 2 1.5\n0 2 1 1 2\n0 1 1 3 0.75\n" +
		"1 2 2 1 2.5\n1 2 1 2 3\n2 0.25\n"
	for _, tc := range []struct {
		by   SortKey
		want string
	}{
		{ByILabel, "0\t2\t1\t1\t2\n0\t2\t1\t3\t1\n0\t1\t1\t3\t0.75\n0\t1\t2\t2\t1.5\n" +
			"0\t1\t3\t1\t0.5\n1\t2\t1\t2\t3\n1\t2\t2\t1\t2.5\n2\t0.25\n"},
		{ByOLabel, "0\t2\t1\t1\t2\n0\t1\t3\t1\t0.5\n0\t1\t2\t2\t1.5\n0\t2\t1\t3\t1\n" +
			"0\t1\t1\t3\t0.75\n1\t2\t2\t1\t2.5\n1\t2\t1\t2\t3\n2\t0.25\n"},
	} {
		t.Run(tc.by.String(), func(t *testing.T) {
			g := mustRead(t, in)
			h, m := ArcSort(g, tc.by)
			if got := TextString(h); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if !h.Has(tc.by.property()) {
				t.Errorf("result lacks the %v-sorted property", tc.by)
			}
			checkMapWeights(t, h, m, g)
			again, m2 := ArcSort(h, tc.by)
			if again != h {
				t.Error("sorting a sorted graph made a copy")
			}
			checkMapWeights(t, again, m2, h)
		})
	}
}

func TestArcSortEmpty(t *testing.T) {
	for _, by := range []SortKey{ByILabel, ByOLabel} {
		g, m := ArcSort(&Graph{}, by)
		if g.NumStates() != 0 || m.NumOutputs() != 0 {
			t.Errorf("ArcSort of the empty graph: %v", g)
		}
	}
}

// TestArcSortRandom checks ArcSort against a stable sort of each state's
// arcs, and its Map by finite differences of a linear function of the
// output weights.
func TestArcSortRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for k := range 100 {
		g := randomGraph(rng, randomOptions{States: 1 + rng.IntN(8), ArcsPerState: 1 + rng.IntN(12),
			Labels: 1 + rng.IntN(6), Epsilon: 0.2, MinW: -1, MaxW: 1, FinalProb: 0.3})
		by := SortKey(k % 2)
		h, m := ArcSort(g, by)
		if !h.Has(by.property()) {
			t.Fatalf("result lacks the %v-sorted property", by)
		}
		for s := range g.NumStates() {
			lo, hi := g.Arcs(s)
			want := make([]Arc, 0, hi-lo)
			for e := lo; e < hi; e++ {
				want = append(want, g.Arc(e))
			}
			slices.SortStableFunc(want, func(x, y Arc) int {
				if by == ByOLabel {
					return cmp.Or(cmp.Compare(x.OLabel, y.OLabel), cmp.Compare(x.ILabel, y.ILabel))
				}
				return cmp.Or(cmp.Compare(x.ILabel, y.ILabel), cmp.Compare(x.OLabel, y.OLabel))
			})
			for i, x := range want {
				if got := h.Arc(lo + i); got != x {
					t.Fatalf("state %d arc %d: %+v, want %+v", s, i, got, x)
				}
			}
		}
		if h.Final(h.Start()) != g.Final(g.Start()) || h.Start() != g.Start() {
			t.Fatal("start or final energies changed")
		}
		checkMapWeights(t, h, m, g)
		c := make([]float64, h.NumWeights())
		for i := range c {
			c[i] = rng.NormFloat64()
		}
		grad := make([]float64, g.NumWeights())
		if err := m.Backward(c, grad); err != nil {
			t.Fatal(err)
		}
		checkGradient(t, g, grad, func(g *Graph) float64 {
			h, _ := ArcSort(g, by)
			f := 0.0
			for i, w := range h.Weights() {
				if w != Inf {
					f += c[i] * w
				}
			}
			return f
		})
	}
}

// TestArcSortOpenFst compares ArcSort with OpenFst's fstarcsort, which also
// sorts by one label and then the other, but not stably: the labels of the
// arcs of each state must be in the same order, and the arcs the same.
func TestArcSortOpenFst(t *testing.T) {
	haveOpenFst(t)
	rng := rand.New(rand.NewPCG(13, 14))
	gs := make([]*Graph, 100)
	for k := range gs {
		gs[k] = quantized(randomGraph(rng, randomOptions{States: 1 + rng.IntN(6), ArcsPerState: 1 + rng.IntN(15),
			Labels: 1 + rng.IntN(8), Epsilon: 0.1, MinW: 0, MaxW: 2, FinalProb: 0.3}))
	}
	const marker = 100
	for _, by := range []SortKey{ByILabel, ByOLabel} {
		u, _ := openFst(t, "standard", keepNumbering(Tropical)+"fstarcsort --sort_type="+by.String()+" in0.fst out.fst", markedUnion(gs, marker))
		for i, g := range gs {
			h, _ := ArcSort(g, by)
			h, _ = keepStates(h, Accessible(h)) // as markedComponent
			want := markedComponent(u, marker+int32(i))
			if h.NumStates() != want.NumStates() || h.NumArcs() != want.NumArcs() {
				t.Fatalf("graph %d by %v: %v, OpenFst %v", i, by, h, want)
			}
			for s := range h.NumStates() {
				lo, hi := h.Arcs(s)
				var got, exp []Arc
				for e := lo; e < hi; e++ {
					x, y := h.Arc(e), want.Arc(e)
					if x.ILabel != y.ILabel || x.OLabel != y.OLabel {
						t.Fatalf("graph %d by %v: state %d arc %d: %+v, OpenFst %+v", i, by, s, e, x, y)
					}
					got, exp = append(got, x), append(exp, y)
				}
				byAll := func(x, y Arc) int {
					return cmp.Or(cmp.Compare(x.ILabel, y.ILabel), cmp.Compare(x.OLabel, y.OLabel),
						cmp.Compare(x.Dst, y.Dst), cmp.Compare(x.Weight, y.Weight))
				}
				slices.SortFunc(got, byAll)
				slices.SortFunc(exp, byAll)
				if !slices.Equal(got, exp) {
					t.Fatalf("graph %d by %v: state %d: arcs %v, OpenFst %v", i, by, s, got, exp)
				}
			}
		}
	}
}
