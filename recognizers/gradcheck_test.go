package recognizers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotn/gotn/gtn"
)

// gradCheck describes a finite-difference check of a layer (or network):
// f maps the input Vars to an output; the loss is a fixed random linear
// function of the output, accumulated in float64.
type gradCheck struct {
	params []*gtn.Param
	inputs []*gtn.Tensor
	f      func(tp *gtn.Tape, xs []*gtn.Var) (*gtn.Var, error)
	step   float64 // finite-difference step (default 1e-2)
	tol    float64 // relative tolerance (default 1e-2)
	checks int     // elements checked per tensor (default: all, at most 60)
	// significant restricts the check to elements whose analytic gradient
	// is at least significant·(the tensor's largest): for whole networks,
	// where float32 rounding of large outputs swamps tiny gradients.
	significant float64
	seed        uint64
}

// run compares the analytic gradient of every input and trainable parameter
// with central differences. It returns an error describing the first
// mismatch.
func (c gradCheck) run() error {
	step, tol := c.step, c.tol
	if step == 0 {
		step = 1e-2
	}
	if tol == 0 {
		tol = 1e-2
	}
	checks := c.checks
	if checks == 0 {
		checks = 60
	}
	rng := rand.New(rand.NewPCG(c.seed, 7))
	var proj []float64
	eval := func(grads *gtn.Grads, backward bool) (float64, []*gtn.Var, error) {
		if grads == nil {
			grads = gtn.NewGrads(c.params)
		}
		tp := gtn.NewTape(grads)
		xs := make([]*gtn.Var, len(c.inputs))
		for i, t := range c.inputs {
			xs[i] = tp.Input(t)
		}
		y, err := c.f(tp, xs)
		if err != nil {
			return 0, nil, err
		}
		if proj == nil {
			proj = make([]float64, y.Value.Len())
			for i := range proj {
				proj[i] = 2*rng.Float64() - 1
			}
		}
		var s float64
		for i, v := range y.Value.Data {
			s += proj[i] * float64(v)
		}
		if backward {
			loss := tp.NewVar(true, 1)
			loss.Value.Data[0] = float32(s)
			tp.OnBackward(func() {
				g := loss.Grad.Data[0]
				for i, r := range proj {
					y.Grad.Data[i] += g * float32(r)
				}
			})
			if y.Grad == nil {
				return 0, nil, fmt.Errorf("output has no gradient")
			}
			if err := tp.Backward(loss); err != nil {
				return 0, nil, err
			}
		}
		return s, xs, nil
	}
	grads := gtn.NewGrads(c.params)
	_, xs, err := eval(grads, true)
	if err != nil {
		return err
	}
	type target struct {
		name  string
		value []float32
		grad  []float32
	}
	var targets []target
	for i, t := range c.inputs {
		if xs[i].Grad == nil {
			return fmt.Errorf("input %d has no gradient", i)
		}
		targets = append(targets, target{fmt.Sprintf("input %d", i), t.Data, xs[i].Grad.Data})
	}
	for _, p := range c.params {
		if p.Fixed {
			continue
		}
		targets = append(targets, target{p.Name, p.Value.Data, grads.Of(p).Data})
	}
	for _, tg := range targets {
		gmax := 0.0
		for _, v := range tg.grad {
			gmax = math.Max(gmax, math.Abs(float64(v)))
		}
		var idx []int
		for _, i := range rng.Perm(len(tg.value)) {
			if len(idx) < checks && math.Abs(float64(tg.grad[i])) >= c.significant*gmax {
				idx = append(idx, i)
			}
		}
		for _, i := range idx {
			old := tg.value[i]
			tg.value[i] = old + float32(step)
			up, _, err := eval(nil, false)
			if err != nil {
				return err
			}
			tg.value[i] = old - float32(step)
			down, _, err := eval(nil, false)
			if err != nil {
				return err
			}
			tg.value[i] = old
			h := float64(old+float32(step)) - float64(old-float32(step))
			num := (up - down) / h
			an := float64(tg.grad[i])
			if math.Abs(an-num) > tol*math.Max(math.Abs(an), math.Abs(num))+1e-3*gmax+1e-6 {
				return fmt.Errorf("%s[%d]: analytic gradient %.6g, finite differences %.6g", tg.name, i, an, num)
			}
		}
	}
	return nil
}

// randTensor returns a tensor with values from U(-a, a).
func randTensor(rng *rand.Rand, a float64, shape ...int) *gtn.Tensor {
	t := gtn.NewTensor(shape...)
	uniform(rng, a, t.Data)
	return t
}

// layerCheck checks a layer on one input.
func layerCheck(l Layer, x *gtn.Tensor) gradCheck {
	return gradCheck{
		params: l.Params(),
		inputs: []*gtn.Tensor{x},
		f: func(tp *gtn.Tape, xs []*gtn.Var) (*gtn.Var, error) {
			return l.Forward(tp, xs[0])
		},
	}
}

// badGrad is Activate with a backward pass that is wrong by 10% on one
// element: the checker must catch it.
type badGrad struct{}

func (badGrad) Params() []*gtn.Param { return nil }

func (badGrad) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	y := tp.NewVar(true, x.Value.Shape...)
	for i, v := range x.Value.Data {
		y.Value.Data[i] = v * v
	}
	tp.OnBackward(func() {
		for i, v := range x.Value.Data {
			g := 2 * v * y.Grad.Data[i]
			if i == 3 {
				g *= 1.1
			}
			x.Grad.Data[i] += g
		}
	})
	return y, nil
}

func TestGradCheckCatchesErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randTensor(rng, 1, 2, 5)
	for i := range x.Data {
		x.Data[i] += float32(math.Copysign(1, float64(x.Data[i]))) // |x| >= 1
	}
	if err := layerCheck(badGrad{}, x).run(); err == nil {
		t.Fatal("the gradient check accepted a gradient that is 10% off")
	} else {
		t.Logf("caught as expected: %v", err)
	}
}
