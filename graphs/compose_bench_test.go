package graphs

import (
	"math"
	"math/rand/v2"
	"testing"
)

// benchComposeInputs returns the inputs of BenchmarkCompose, the graphs
// that bench/genfst -kind compose writes for the same seed (energies
// rounded to 4 decimals there): a random cyclic acceptor a with 1,000
// states, 5 arcs per state and labels 1..50, every tenth state final, and a
// transducer b with 200 states, each with one arc for every input label
// 1..50 (random output labels and destinations), every fifth state final.
// Their composition has about 190,000 states and 950,000 arcs.
func benchComposeInputs(seed uint64) (a, b *Graph) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	round := func(x float64) float64 { return math.Round(x*1e4) / 1e4 }
	const (
		statesA, arcsA = 1000, 5
		statesB        = 200
		labels         = 50
	)
	ba := NewBuilder()
	ba.AddStates(statesA)
	ba.SetStart(0)
	for s := range statesA {
		for range arcsA {
			l := 1 + rng.Int32N(labels)
			d := rng.IntN(statesA)
			ba.AddArc(s, d, l, l, round(rng.Float64()))
		}
		if s%10 == 9 {
			ba.SetFinal(s, round(rng.Float64()))
		}
	}
	bb := NewBuilder()
	bb.AddStates(statesB)
	bb.SetStart(0)
	for s := range statesB {
		for l := int32(1); l <= labels; l++ {
			d := rng.IntN(statesB)
			ol := 1 + rng.Int32N(labels)
			bb.AddArc(s, d, l, ol, round(rng.Float64()))
		}
		if s%5 == 4 {
			bb.SetFinal(s, round(rng.Float64()))
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

// BenchmarkComposeSmall composes a small recognition lattice (20 segments,
// arcs spanning 1 to 3 segments, 10 classes each) with a 10-state grammar
// acceptor (4 of the 10 classes allowed from each state): the composition
// a training example makes.
func BenchmarkComposeSmall(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	const segments, classes = 20, 10
	rb := NewBuilder()
	rb.AddStates(segments + 1)
	rb.SetStart(0)
	rb.SetFinal(segments, 0)
	for s := range segments {
		for span := 1; span <= 3 && s+span <= segments; span++ {
			for c := int32(1); c <= classes; c++ {
				rb.AddArc(s, s+span, c, c, rng.Float64())
			}
		}
	}
	recog, _, _ := rb.Build()
	gb := NewBuilder()
	gb.AddStates(10)
	gb.SetStart(0)
	for s := range 10 {
		for _, c := range rng.Perm(classes)[:4] {
			gb.AddArc(s, rng.IntN(10), int32(c+1), int32(c+1), 0)
		}
		if s%3 == 0 {
			gb.SetFinal(s, 0)
		}
	}
	grammar, _, _ := gb.Build()
	grammar, _ = ArcSort(grammar, ByILabel)
	g, _, err := Compose(recog, grammar)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Compose(recog, grammar); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(g.NumStates()), "states")
	b.ReportMetric(float64(g.NumArcs()), "arcs")
}
