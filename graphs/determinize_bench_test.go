package graphs

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchLattice returns an acyclic lattice of t+1 layers of width states,
// each state with fan arcs to random states of the next layer, labels in
// 1..labels (epsilon with probability eps) and energies uniform in [0, 3);
// the states of the last layer are final.
func benchLattice(rng *rand.Rand, t, width, fan, labels int, eps float64) *Graph {
	b := NewBuilder()
	b.AddStates(1 + t*width)
	b.SetStart(0)
	layer := func(i int) int { return 1 + (i-1)*width } // first state of layer i >= 1
	for i := range t {
		srcs := []int{0}
		if i > 0 {
			srcs = srcs[:0]
			for k := range width {
				srcs = append(srcs, layer(i)+k)
			}
		}
		for _, s := range srcs {
			for range fan {
				l := 1 + rng.Int32N(int32(labels))
				if rng.Float64() < eps {
					l = Epsilon
				}
				b.AddArc(s, layer(i+1)+rng.IntN(width), l, l, 3*rng.Float64())
			}
		}
	}
	for k := range width {
		b.SetFinal(layer(t)+k, 0)
	}
	g, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return g
}

func BenchmarkDeterminize(b *testing.B) {
	g := benchLattice(rand.New(rand.NewPCG(1, 1)), 40, 8, 3, 6, 0)
	for _, sr := range bothSemirings {
		for _, noMap := range []bool{false, true} {
			b.Run(fmt.Sprintf("%v/nomap=%v", sr, noMap), func(b *testing.B) {
				b.ReportAllocs()
				var d *Graph
				var m *Map
				for b.Loop() {
					var err error
					d, m, err = Determinize(g, sr, &DeterminizeOptions{NoMap: noMap})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(d.NumStates()), "states")
				if m != nil {
					b.ReportMetric(float64(len(m.refs)), "refs")
				}
			})
		}
	}
}

func BenchmarkRmEpsilon(b *testing.B) {
	g := benchLattice(rand.New(rand.NewPCG(2, 2)), 40, 8, 3, 6, 0.3)
	for _, sr := range bothSemirings {
		b.Run(sr.String(), func(b *testing.B) {
			b.ReportAllocs()
			var m *Map
			for b.Loop() {
				var err error
				if _, m, err = RmEpsilon(g, sr); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(m.refs)), "refs")
		})
	}
}

func BenchmarkPush(b *testing.B) {
	g := benchLattice(rand.New(rand.NewPCG(3, 3)), 40, 8, 3, 6, 0)
	for _, sr := range bothSemirings {
		b.Run(sr.String(), func(b *testing.B) {
			b.ReportAllocs()
			var m *Map
			for b.Loop() {
				var err error
				if _, m, err = Push(g, sr, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(m.refs)), "refs")
		})
	}
}

func BenchmarkMinimize(b *testing.B) {
	g := benchLattice(rand.New(rand.NewPCG(4, 4)), 20, 6, 3, 6, 0)
	for _, sr := range bothSemirings {
		d, _, err := Determinize(g, sr, &DeterminizeOptions{NoMap: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(sr.String(), func(b *testing.B) {
			b.ReportAllocs()
			var m *Graph
			for b.Loop() {
				var err error
				if m, _, err = Minimize(d, sr); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(d.NumStates()), "in-states")
			b.ReportMetric(float64(m.NumStates()), "states")
		})
	}
}
