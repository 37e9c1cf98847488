package graphs

import (
	"math/rand/v2"
	"testing"
)

// wideLattice returns a linear graph of steps steps, each with width
// parallel arcs of energy uniform in [-5, 5), labels 1..width, and a final
// last state: the shape of a speech or handwriting recognition lattice.
func wideLattice(rng *rand.Rand, steps, width int) *Graph {
	b := NewBuilder()
	b.AddStates(steps + 1)
	b.SetStart(0)
	b.SetFinal(steps, 0)
	for s := range steps {
		for l := range width {
			b.AddArc(s, s+1, int32(l+1), int32(l+1), -5+10*rng.Float64())
		}
	}
	g, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return g
}

// nearbyLattice returns an acyclic graph of states states, each with
// arcs arcs to random states among the next span ones (the last states
// have fewer), energies uniform in [0, 5).
func nearbyLattice(rng *rand.Rand, states, arcs, span int) *Graph {
	b := NewBuilder()
	b.AddStates(states)
	b.SetStart(0)
	b.SetFinal(states-1, 0)
	for s := range states - 1 {
		for range arcs {
			d := s + 1 + rng.IntN(min(span, states-1-s))
			b.AddArc(s, d, 1+rng.Int32N(100), 1+rng.Int32N(100), 5*rng.Float64())
		}
	}
	g, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return g
}

var benchSink float64

func benchGraph1M() *Graph { return wideLattice(rand.New(rand.NewPCG(1, 1)), 1000, 1000) }

// BenchmarkForward: free energy of a 1000-step lattice with 1000 parallel
// arcs per step (1M arcs).
func BenchmarkForward(b *testing.B) {
	g := benchGraph1M()
	b.ReportAllocs()
	for b.Loop() {
		F, err := Forward(g, 1)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = F
	}
}

// BenchmarkForwardBackward: free energy and all 1M arc posteriors.
func BenchmarkForwardBackward(b *testing.B) {
	g := benchGraph1M()
	b.ReportAllocs()
	for b.Loop() {
		F, grad, err := ArcPosteriors(g, 1)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = F + grad[0]
	}
}

// BenchmarkViterbi: best path of the 1M-arc lattice.
func BenchmarkViterbi(b *testing.B) {
	g := benchGraph1M()
	b.ReportAllocs()
	for b.Loop() {
		p, err := Viterbi(g)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = p.Energy
	}
}

// BenchmarkShortestDistanceLog1M: log-semiring forward distances of a
// random acyclic lattice of 10,000 states and 1M arcs (100 per state, to
// the next 200 states).
func BenchmarkShortestDistanceLog1M(b *testing.B) {
	g := nearbyLattice(rand.New(rand.NewPCG(2, 2)), 10000, 100, 200)
	b.ReportAllocs()
	for b.Loop() {
		d, err := ShortestDistance(g, Log, nil)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = d[len(d)-1]
	}
}

// BenchmarkNBest100: the 100 best paths of the 1M-arc lattice.
func BenchmarkNBest100(b *testing.B) {
	g := benchGraph1M()
	b.ReportAllocs()
	for b.Loop() {
		paths, err := NBest(g, 100)
		if err != nil || len(paths) != 100 {
			b.Fatal(err)
		}
		benchSink = paths[99].Energy
	}
}
