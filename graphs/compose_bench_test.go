package graphs

import (
	"math/rand/v2"
	"testing"
)

// benchComposeInputs returns the inputs of BenchmarkCompose: a random cyclic
// acceptor a with 1,000 states, 5 arcs per state and labels 1..50, and a
// transducer b with 200 states, each with one arc for every input label
// 1..50 (random output labels and destinations). About a tenth of the states
// of each are final. Their composition has about 190,000 states and 950,000
// arcs. The graphs are a function of seed.
func benchComposeInputs(seed uint64) (a, b *Graph) {
	rng := rand.New(rand.NewPCG(seed, 0x636f6d706f7365))
	const (
		statesA, arcsA = 1000, 5
		statesB        = 200
		labels         = 50
		finalProb      = 0.1
	)
	ba := NewBuilder()
	ba.AddStates(statesA)
	ba.SetStart(0)
	for s := range statesA {
		for range arcsA {
			l := 1 + rng.Int32N(labels)
			ba.AddArc(s, rng.IntN(statesA), l, l, rng.Float64())
		}
		if rng.Float64() < finalProb {
			ba.SetFinal(s, rng.Float64())
		}
	}
	bb := NewBuilder()
	bb.AddStates(statesB)
	bb.SetStart(0)
	for s := range statesB {
		for l := int32(1); l <= labels; l++ {
			bb.AddArc(s, rng.IntN(statesB), l, 1+rng.Int32N(labels), rng.Float64())
		}
		if rng.Float64() < finalProb {
			bb.SetFinal(s, rng.Float64())
		}
	}
	var err error
	if a, _, err = ba.Build(); err != nil {
		panic(err)
	}
	if b, _, err = bb.Build(); err != nil {
		panic(err)
	}
	return a, b
}

// BenchmarkCompose composes the graphs of benchComposeInputs. OpenFst's
// fstcompose takes 0.42 s to read them, compose and write the result.
func BenchmarkCompose(b *testing.B) {
	ga, gb := benchComposeInputs(1)
	b.ReportAllocs()
	var g *Graph
	for b.Loop() {
		var err error
		if g, _, err = Compose(ga, gb); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(g.NumStates()), "states")
	b.ReportMetric(float64(g.NumArcs()), "arcs")
}

// BenchmarkComposeUnsorted is BenchmarkCompose with b's arcs in reverse
// label order, so that Compose has to sort them.
func BenchmarkComposeUnsorted(b *testing.B) {
	ga, gb := benchComposeInputs(1)
	perm := make([]int32, gb.NumArcs())
	for s := range gb.NumStates() {
		lo, hi := gb.Arcs(s)
		for i := lo; i < hi; i++ {
			perm[i] = int32(hi - 1 - (i - lo))
		}
	}
	gb = permuteArcs(gb, perm)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Compose(ga, gb); err != nil {
			b.Fatal(err)
		}
	}
}
