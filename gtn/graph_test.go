package gtn

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotn/gotn/graphs"
)

// recognitionTemplate is a small segmentation-like lattice over 3 pieces:
// arcs for pieces 0, 1, 2 alone and for 0+1 and 1+2 together, each with one
// arc per class (labels 1..classes). Arc energies are bound to rows of a
// [5, classes] tensor, one row per segment. It returns the template and the
// binding index.
func recognitionTemplate(t *testing.T, classes int) (*graphs.Graph, []int32) {
	segs := [][2]int{{0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 3}} // by source
	b := graphs.NewBuilder()
	b.AddStates(4)
	b.SetStart(0)
	b.SetFinal(3, 0)
	var index []int32
	for s, seg := range segs {
		for c := range classes {
			b.AddArc(seg[0], seg[1], int32(c+1), int32(c+1), 0.1*float64(s))
			index = append(index, int32(s*classes+c))
		}
	}
	g, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	// Arcs were added in source order, so arc a is the a-th added; final
	// energies are not bound.
	for range g.NumStates() {
		index = append(index, -1)
	}
	return g, index
}

// TestGraphLossGradients builds interpretation graphs from a tensor of
// recognizer energies (BindArcs), composes them with a grammar, applies
// every loss with GraphLoss, and checks the gradient that reaches the
// tensor against finite differences.
func TestGraphLossGradients(t *testing.T) {
	const classes = 3
	template, index := recognitionTemplate(t, classes)
	// Grammar: strings of one to three labels, all free.
	gb := graphs.NewBuilder()
	gb.AddStates(4)
	gb.SetStart(0)
	for s := range 3 {
		for c := 1; c <= classes; c++ {
			gb.AddArc(s, s+1, int32(c), int32(c), 0)
		}
		gb.SetFinal(s+1, 0)
	}
	grammar, _, err := gb.Build()
	if err != nil {
		t.Fatal(err)
	}
	target := []int32{2, 3}
	rng := rand.New(rand.NewPCG(5, 6))
	opt := LossOptions{Margin: 1, Saturation: 10, Gamma: 0.5, Beta: 1.5, J: 0.5}
	for _, name := range Losses() {
		loss, _ := ParseLoss(name, opt)
		t.Run(name, func(t *testing.T) {
			x := NewTensor(5, classes)
			for i := range x.Data {
				x.Data[i] = float32(0.2 + 2*rng.Float64())
			}
			eval := func(tp *Tape, xv *Var) (*Var, error) {
				g, err := tp.BindArcs(template, index, xv)
				if err != nil {
					return nil, err
				}
				interp, err := tp.Compose(g, tp.Graph(grammar))
				if err != nil {
					return nil, err
				}
				return tp.GraphLoss(interp, target, loss)
			}
			value := func() float64 {
				tp := NewTape(nil)
				l, err := eval(tp, tp.Const(x))
				if err != nil {
					t.Fatal(err)
				}
				return float64(l.Value.Data[0])
			}
			tp := NewTape(NewGrads(nil))
			xv := tp.Input(x)
			l, err := eval(tp, xv)
			if err != nil {
				t.Fatal(err)
			}
			if err := tp.Backward(l); err != nil {
				t.Fatal(err)
			}
			const h = 1e-3
			for i := range x.Data {
				orig := x.Data[i]
				x.Data[i] = orig + h
				lp := value()
				x.Data[i] = orig - h
				lm := value()
				x.Data[i] = orig
				fd := (lp - lm) / (2 * h)
				if g := float64(xv.Grad.Data[i]); math.Abs(g-fd) > 2e-2*math.Max(1, math.Abs(fd)) {
					t.Errorf("element %d: gradient %.5f, finite difference %.5f", i, g, fd)
				}
			}
		})
	}
}

func TestGraphLossTargetNotInGraph(t *testing.T) {
	template, index := recognitionTemplate(t, 2)
	tp := NewTape(NewGrads(nil))
	g, err := tp.BindArcs(template, index, tp.Input(NewTensor(5, 2)))
	if err != nil {
		t.Fatal(err)
	}
	// Four labels cannot come out of three pieces.
	_, err = tp.GraphLoss(g, []int32{1, 1, 1, 1}, NLLLoss{})
	if !errors.Is(err, graphs.ErrNoPath) {
		t.Errorf("error %v, want one wrapping ErrNoPath", err)
	}
}

// TestPerceptronZeroWhenCorrect checks the perceptron loss on a graph whose
// best interpretation is the target: zero loss, no gradient.
func TestPerceptronZeroWhenCorrect(t *testing.T) {
	template, index := recognitionTemplate(t, 2)
	x := NewTensor(5, 2)
	for i := range x.Data {
		x.Data[i] = 5
	}
	x.Data[1*2+1] = -10 // pieces 0+1 as class 2 (label 2)
	x.Data[4*2+0] = -10 // piece 2 as class 1 (label 1)
	tp := NewTape(NewGrads(nil))
	xv := tp.Input(x)
	g, err := tp.BindArcs(template, index, xv)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tp.GraphLoss(g, []int32{2, 1}, PerceptronLoss{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Scalar() != 0 {
		t.Errorf("perceptron loss %v, want 0", l.Scalar())
	}
	l2, err := tp.GraphLoss(g, []int32{1, 2}, PerceptronLoss{})
	if err != nil {
		t.Fatal(err)
	}
	if l2.Scalar() <= 0 {
		t.Errorf("perceptron loss of a wrong target %v, want > 0", l2.Scalar())
	}
}

func TestBindArcsErrors(t *testing.T) {
	template, index := recognitionTemplate(t, 2)
	tp := NewTape(nil)
	if _, err := tp.BindArcs(template, index[:3], tp.Const(NewTensor(5, 2))); err == nil {
		t.Error("want an error for a short index")
	}
	bad := append([]int32(nil), index...)
	bad[0] = 99
	if _, err := tp.BindArcs(template, bad, tp.Const(NewTensor(5, 2))); err == nil {
		t.Error("want an error for an index out of range")
	}
	nan := NewTensor(5, 2)
	nan.Data[0] = float32(math.NaN())
	if _, err := tp.BindArcs(template, index, tp.Const(nan)); err == nil {
		t.Error("want an error for a NaN energy")
	}
}

func TestMean(t *testing.T) {
	tp := NewTape(NewGrads(nil))
	a, b := tp.Input(NewTensor(1)), tp.Const(NewTensor(1))
	a.Value.Data[0], b.Value.Data[0] = 1, 4
	m := tp.Mean([]*Var{a, b})
	if m.Scalar() != 2.5 {
		t.Errorf("mean %v, want 2.5", m.Scalar())
	}
	if err := tp.Backward(m); err != nil {
		t.Fatal(err)
	}
	if a.Grad.Data[0] != 0.5 {
		t.Errorf("gradient %v, want 0.5", a.Grad.Data[0])
	}
}

// TestTapeResetKeepsOnlyLastRound checks that a tape used with tensors of
// ever new sizes does not keep them all.
func TestTapeResetKeepsOnlyLastRound(t *testing.T) {
	tp := NewTape(nil)
	for n := 1; n <= 100; n++ {
		tp.Tensor(n)
		tp.Reset()
	}
	kept := 0
	for _, l := range tp.free {
		kept += len(l)
	}
	if kept != 1 {
		t.Errorf("the tape keeps %d buffers after 100 examples of different sizes, want 1", kept)
	}
	// A buffer of the size just used is reused.
	b := tp.Tensor(100)
	tp.Reset()
	if c := tp.Tensor(100); &c.Data[0] != &b.Data[0] {
		t.Error("a buffer of the same size was not reused")
	}
}
