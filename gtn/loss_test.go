package gtn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLossGradients checks every loss's partial derivatives against central
// finite differences at random energies.
func TestLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	opt := LossOptions{Margin: 1, Saturation: 5, Gamma: 0.5, Beta: 2, J: 0.3}
	for _, name := range Losses() {
		loss, err := ParseLoss(name, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			for range 50 {
				e := Energies{
					Correct:   0.5 + 3*rng.Float64(),
					Offending: 0.5 + 3*rng.Float64(),
					Best:      0.1 + rng.Float64(),
					Free:      -1 + rng.Float64(),
				}
				_, g := loss.Eval(e)
				const h = 1e-6
				fd := func(set func(*Energies, float64), x float64) float64 {
					p, m := e, e
					set(&p, x+h)
					set(&m, x-h)
					lp, _ := loss.Eval(p)
					lm, _ := loss.Eval(m)
					return (lp - lm) / (2 * h)
				}
				for _, c := range []struct {
					what string
					got  float64
					set  func(*Energies, float64)
					x    float64
				}{
					{"correct", g.Correct, func(e *Energies, v float64) { e.Correct = v }, e.Correct},
					{"offending", g.Offending, func(e *Energies, v float64) { e.Offending = v }, e.Offending},
					{"best", g.Best, func(e *Energies, v float64) { e.Best = v }, e.Best},
					{"free", g.Free, func(e *Energies, v float64) { e.Free = v }, e.Free},
				} {
					want := fd(c.set, c.x)
					if math.Abs(want-c.got) > 1e-5*math.Max(1, math.Abs(want)) {
						t.Fatalf("%s at %+v: d/d%s = %v, finite difference %v", name, e, c.what, c.got, want)
					}
				}
			}
		})
	}
}

func TestLossValues(t *testing.T) {
	e := Energies{Correct: 2, Offending: 1.5, Best: 1.5, Free: 1}
	for _, tc := range []struct {
		loss Loss
		want float64
	}{
		{EnergyLoss{}, 2},
		{ForwardLoss{}, 2},
		{PerceptronLoss{}, 0.5},
		{HingeLoss{Margin: 1}, 1.5},
		{HingeLoss{Margin: 0.2}, 0.7},
		{LogLoss{}, math.Log(1 + math.Exp(0.5))},
		{LVQ2Loss{}, 1.0 / 3},
		{MCELoss{}, 1 / (1 + math.Exp(-0.5))},
		{SquareSquareLoss{Margin: 2}, 4 + 0.25},
		{SquareExpLoss{Gamma: 1}, 4 + math.Exp(-1.5)},
		{NLLLoss{}, 1},
		{MEELoss{}, 1 - math.Exp(-1)},
		{MAPLoss{J: 1}, 2 + math.Log(math.Exp(-1)+math.Exp(-1))},
	} {
		if got, _ := tc.loss.Eval(e); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", tc.loss.Name(), got, tc.want)
		}
	}
}

// TestClassLossGradient checks ClassLoss's gradient with respect to the
// class energies against finite differences, for every loss.
func TestClassLossGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, c = 3, 5
	labels := []int{1, 4, 0}
	for _, name := range Losses() {
		loss, _ := ParseLoss(name, LossOptions{Margin: 2, Saturation: 5, Gamma: 1, Beta: 1.5, J: 0.5})
		t.Run(name, func(t *testing.T) {
			x := NewTensor(n, c)
			for i := range x.Data {
				x.Data[i] = float32(0.5 + 2*rng.Float64())
			}
			eval := func() float64 {
				tp := NewTape(nil)
				l, err := tp.ClassLoss(tp.Const(x), labels, loss)
				if err != nil {
					t.Fatal(err)
				}
				return l.Scalar()
			}
			tp := NewTape(NewGrads(nil))
			v := tp.Input(x)
			l, err := tp.ClassLoss(v, labels, loss)
			if err != nil {
				t.Fatal(err)
			}
			if err := tp.Backward(l); err != nil {
				t.Fatal(err)
			}
			const h = 1e-2
			for i := range x.Data {
				orig := x.Data[i]
				x.Data[i] = orig + h
				lp := eval()
				x.Data[i] = orig - h
				lm := eval()
				x.Data[i] = orig
				fd := (lp - lm) / (2 * h)
				if g := float64(v.Grad.Data[i]); math.Abs(g-fd) > 2e-3*math.Max(1, math.Abs(fd)) {
					t.Errorf("element %d: gradient %v, finite difference %v", i, g, fd)
				}
			}
		})
	}
}

func TestClassLossErrors(t *testing.T) {
	tp := NewTape(nil)
	x := tp.Const(NewTensor(2, 3))
	if _, err := tp.ClassLoss(x, []int{0}, NLLLoss{}); err == nil {
		t.Error("want an error for a label count mismatch")
	}
	if _, err := tp.ClassLoss(x, []int{0, 3}, NLLLoss{}); err == nil {
		t.Error("want an error for a label out of range")
	}
	if _, err := ParseLoss("nope", LossOptions{}); err == nil {
		t.Error("want an error for an unknown loss")
	}
}
