package graphs

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ctcProbs is the first sequence of TensorFlow's CTC loss test (also used by
// Keras and facebookresearch/gtn): 5 frames of softmax outputs over 6
// classes, class 5 being the blank. For target 0 1 2 1 0 the published loss,
// -log P(target | x), is 3.34211.
var ctcProbs = [5][6]float64{
	{0.633766, 0.221185, 0.0917319, 0.0129757, 0.0142857, 0.0260553},
	{0.111121, 0.588392, 0.278779, 0.0055756, 0.00569609, 0.010436},
	{0.0357786, 0.633813, 0.321418, 0.00249248, 0.00272882, 0.0037688},
	{0.0663296, 0.643849, 0.280111, 0.00283995, 0.0035545, 0.00331533},
	{0.458235, 0.396634, 0.123377, 0.00648837, 0.00903441, 0.00623107},
}

// emissionGraph is the linear graph of frame-by-class energies -log p; the
// arc of class c carries label c+1 (label 0 is epsilon).
func emissionGraph(t *testing.T, probs [][]float64) *Graph {
	b := NewBuilder()
	b.AddStates(len(probs) + 1)
	b.SetStart(0)
	for f, row := range probs {
		for c, p := range row {
			b.AddArc(f, f+1, int32(c+1), int32(c+1), -math.Log(p))
		}
	}
	b.SetFinal(len(probs), 0)
	g, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// ctcTopology is the CTC acceptor of target over frame labels (class+1):
// optional blanks around and between the target's labels, each label and
// blank repeated over consecutive frames, and a blank required between two
// equal labels.
func ctcTopology(t *testing.T, target []int32, blank int32) *Graph {
	// State 2i is "blank before label i", 2i+1 is "label i"; 2n is the
	// final blank.
	n := len(target)
	b := NewBuilder()
	b.AddStates(2*n + 2) // plus a start state
	start := 2*n + 1
	b.SetStart(start)
	lab := func(s int) int32 {
		if s%2 == 0 {
			return blank + 1
		}
		return target[s/2] + 1
	}
	enter := func(from, to int) { b.AddArc(from, to, lab(to), lab(to), 0) }
	enter(start, 0)
	if n > 0 {
		enter(start, 1)
	}
	for s := 0; s <= 2*n; s++ {
		enter(s, s) // repeat
		if s+1 <= 2*n {
			enter(s, s+1)
		}
		if s%2 == 1 && s+2 <= 2*n && target[s/2] != target[s/2+1] {
			enter(s, s+2) // skip the blank between different labels
		}
	}
	b.SetFinal(2*n, 0)
	if n > 0 {
		b.SetFinal(2*n-1, 0)
	}
	g, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestCTCPublishedLoss reproduces TensorFlow's CTC test vector by graph
// operations: compose the emissions with the CTC topology of the target,
// then the free energy of the result is the CTC loss. The gradient with
// respect to the emission energies, through Compose's Map and the arc
// posteriors, is checked against finite differences.
func TestCTCPublishedLoss(t *testing.T) {
	probs := make([][]float64, len(ctcProbs))
	for i := range ctcProbs {
		probs[i] = ctcProbs[i][:]
	}
	em := emissionGraph(t, probs)
	topo := ctcTopology(t, []int32{0, 1, 2, 1, 0}, 5)
	loss := func(em *Graph) (float64, []float64) {
		c, m, err := Compose(em, topo)
		if err != nil {
			t.Fatal(err)
		}
		f, post, err := ArcPosteriors(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		grad := make([]float64, em.NumWeights())
		if err := m.Backward(post, grad, nil); err != nil {
			t.Fatal(err)
		}
		return f, grad
	}
	f, grad := loss(em)
	if math.Abs(f-3.34211) > 1e-5 {
		t.Errorf("CTC loss %.6f, want 3.34211", f)
	}
	checkGradient(t, em, grad, func(g *Graph) float64 { f, _ := loss(g); return f })

	// The gradient of the loss with respect to a frame's energies is the
	// posterior of each class at that frame: it sums to 1 per frame.
	for frame := range 5 {
		lo, hi := em.Arcs(frame)
		sum := 0.0
		for a := lo; a < hi; a++ {
			sum += grad[a]
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("frame %d: class posteriors sum to %v", frame, sum)
		}
	}
}

// TestComposeAssociative checks that composition is associative in its
// weighted relation: (A∘B)∘C and A∘(B∘C) have the same free energy and
// Viterbi energy, on random transducers with epsilons.
func TestComposeAssociative(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	o := randomOptions{States: 6, ArcsPerState: 2, Labels: 3, Epsilon: 0.2, Acyclic: true, MinW: 0, MaxW: 2, FinalProb: 0.3}
	for i := range 100 {
		a, b, c := randomGraph(rng, o), randomGraph(rng, o), randomGraph(rng, o)
		ab, _, err := Compose(a, b)
		if err != nil {
			t.Fatal(err)
		}
		abc1, _, err := Compose(ab, c)
		if err != nil {
			t.Fatal(err)
		}
		bc, _, err := Compose(b, c)
		if err != nil {
			t.Fatal(err)
		}
		abc2, _, err := Compose(a, bc)
		if err != nil {
			t.Fatal(err)
		}
		f1, err1 := Forward(abc1, 1)
		f2, err2 := Forward(abc2, 1)
		if (err1 == nil) != (err2 == nil) || !closeEnough(f1, f2) {
			t.Fatalf("case %d: free energies %v (%v) and %v (%v)", i, f1, err1, f2, err2)
		}
		if err1 != nil {
			continue
		}
		p1, _ := Viterbi(abc1)
		p2, _ := Viterbi(abc2)
		if !closeEnough(p1.Energy, p2.Energy) {
			t.Fatalf("case %d: Viterbi energies %v and %v", i, p1.Energy, p2.Energy)
		}
	}
}
