package gtn

import (
	"math"
	"testing"
)

// TestOptimizersMinimizeQuadratic runs each optimizer on
// f(w) = sum_i (w_i - i)² and checks it reaches the minimum.
func TestOptimizersMinimizeQuadratic(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Optimizer
		lr   float64
	}{
		{"sgd", &SGD{}, 0.1},
		{"sgd-momentum", &SGD{Momentum: 0.9}, 0.02},
		{"adam", &Adam{}, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParam("w", 4)
			grads := NewGrads([]*Param{p})
			for range 500 {
				grads.Zero()
				g := grads.Of(p)
				for i, w := range p.Value.Data {
					g.Data[i] = 2 * (w - float32(i))
				}
				tc.opt.Step(grads, tc.lr)
			}
			for i, w := range p.Value.Data {
				if math.Abs(float64(w)-float64(i)) > 1e-2 {
					t.Fatalf("w = %v, want [0 1 2 3]", p.Value.Data)
				}
			}
		})
	}
}

func TestFixedParamsAreNotTrained(t *testing.T) {
	p := &Param{Name: "codes", Value: NewTensor(2), Fixed: true}
	p.Value.Data[0] = 1
	grads := NewGrads([]*Param{p})
	grads.At(0).Data[0] = 5
	(&SGD{}).Step(grads, 1)
	(&Adam{}).Step(grads, 1)
	if p.Value.Data[0] != 1 {
		t.Errorf("fixed parameter changed to %v", p.Value.Data[0])
	}
}

func TestSchedules(t *testing.T) {
	s := StepRate{Epochs: []int{0, 2, 5}, Rates: []float64{5e-4, 2e-4, 1e-4}}
	for e, want := range []float64{5e-4, 5e-4, 2e-4, 2e-4, 2e-4, 1e-4, 1e-4} {
		if got := s.Rate(e); got != want {
			t.Errorf("epoch %d: rate %v, want %v", e, got, want)
		}
	}
	c := CosineRate{Max: 1, Min: 0, Epochs: 3}
	if c.Rate(0) != 1 || math.Abs(c.Rate(1)-0.5) > 1e-12 || c.Rate(2) > 1e-12 {
		t.Errorf("cosine rates %v %v %v", c.Rate(0), c.Rate(1), c.Rate(2))
	}
}

// TestLRScale checks that a parameter's LRScale multiplies its step.
func TestLRScale(t *testing.T) {
	for _, opt := range []Optimizer{&SGD{}, &SGD{Momentum: 0.9}, &Adam{}} {
		a, b := NewParam("a", 1), NewParam("b", 1)
		b.LRScale = 10
		g := NewGrads([]*Param{a, b})
		g.At(0).Data[0], g.At(1).Data[0] = 1, 1
		opt.Step(g, 0.01)
		if da, db := -a.Value.Data[0], -b.Value.Data[0]; math.Abs(float64(db/da)-10) > 1e-4 {
			t.Errorf("%T: steps %v and %v, want a ratio of 10", opt, da, db)
		}
	}
}
