package gtn

import (
	"errors"
	"fmt"
)

// Param is a named, trainable tensor of a model.
type Param struct {
	Name  string
	Value *Tensor
	// Fixed parameters are saved with the model but not trained (for
	// example the fixed codes of an RBF output layer).
	Fixed bool
	// LRScale multiplies the optimizer's learning rate for this parameter
	// (0 means 1): a few parameters whose gradients are small next to a
	// network's, such as segmentation energy weights, can learn at the
	// same pace. It is a training setting, not saved with models.
	LRScale float64
}

// rate returns the learning rate of p for the base rate lr.
func (p *Param) rate(lr float64) float64 {
	if p.LRScale > 0 {
		return lr * p.LRScale
	}
	return lr
}

// NewParam returns a zero parameter of the given shape.
func NewParam(name string, shape ...int) *Param {
	return &Param{Name: name, Value: NewTensor(shape...)}
}

// Grads holds one gradient tensor per parameter. Each training worker has
// its own Grads; they are summed before an optimizer step.
type Grads struct {
	params []*Param
	index  map[*Param]int
	grads  []*Tensor
}

// NewGrads returns zero gradients for params.
func NewGrads(params []*Param) *Grads {
	g := &Grads{params: params, index: make(map[*Param]int, len(params))}
	for i, p := range params {
		g.index[p] = i
		g.grads = append(g.grads, NewTensor(p.Value.Shape...))
	}
	return g
}

// Params returns the parameters, in the order given to NewGrads.
func (g *Grads) Params() []*Param { return g.params }

// Of returns the gradient of p, or nil if p is not one of the parameters.
func (g *Grads) Of(p *Param) *Tensor {
	i, ok := g.index[p]
	if !ok {
		return nil
	}
	return g.grads[i]
}

// At returns the gradient of the i-th parameter.
func (g *Grads) At(i int) *Tensor { return g.grads[i] }

// Zero sets all gradients to zero.
func (g *Grads) Zero() {
	for _, t := range g.grads {
		t.Zero()
	}
}

// Add adds o's gradients to g's; both must be for the same parameters.
func (g *Grads) Add(o *Grads) {
	for i, t := range g.grads {
		for j, v := range o.grads[i].Data {
			t.Data[j] += v
		}
	}
}

// Scale multiplies all gradients by s.
func (g *Grads) Scale(s float32) {
	for _, t := range g.grads {
		for j := range t.Data {
			t.Data[j] *= s
		}
	}
}

// Var is a tensor value recorded on a tape, with its gradient. Grad is nil
// when nothing the value depends on needs a gradient.
type Var struct {
	Value *Tensor
	Grad  *Tensor
}

// Scalar returns the value of a one-element Var.
func (v *Var) Scalar() float64 { return float64(v.Value.Data[0]) }

// NeedsGrad reports whether gradients flow through v.
func (v *Var) NeedsGrad() bool { return v.Grad != nil }

// Tape records operations as they run so that Backward can run their
// gradients in reverse order. A tape belongs to one goroutine. Reset makes
// it ready for the next example and recycles the tensors it allocated, so a
// training loop that reuses its tape makes little garbage.
type Tape struct {
	grads *Grads
	back  []func()
	free  map[int][][]float32
	used  [][]float32
}

// NewTape returns a tape whose parameter gradients accumulate in grads
// (nil for inference: no gradients are kept).
func NewTape(grads *Grads) *Tape {
	return &Tape{grads: grads, free: map[int][][]float32{}}
}

// Grads returns the gradients the tape accumulates into.
func (tp *Tape) Grads() *Grads { return tp.grads }

// Training reports whether the tape keeps gradients.
func (tp *Tape) Training() bool { return tp.grads != nil }

// alloc returns a zeroed buffer of n floats that lives until Reset.
func (tp *Tape) alloc(n int) []float32 {
	if l := tp.free[n]; len(l) > 0 {
		b := l[len(l)-1]
		tp.free[n] = l[:len(l)-1]
		clear(b)
		tp.used = append(tp.used, b)
		return b
	}
	b := make([]float32, n)
	tp.used = append(tp.used, b)
	return b
}

// Tensor returns a zero tensor that lives until Reset.
func (tp *Tape) Tensor(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: tp.alloc(numel(shape))}
}

// NewVar returns a zero Var of the given shape that lives until Reset, with a
// gradient if needGrad.
func (tp *Tape) NewVar(needGrad bool, shape ...int) *Var {
	v := &Var{Value: tp.Tensor(shape...)}
	if needGrad && tp.grads != nil {
		v.Grad = tp.Tensor(shape...)
	}
	return v
}

// Const returns a Var for t that needs no gradient.
func (tp *Tape) Const(t *Tensor) *Var { return &Var{Value: t} }

// Input returns a Var for t whose gradient is kept (for example to find the
// gradient of a loss with respect to an image).
func (tp *Tape) Input(t *Tensor) *Var {
	v := &Var{Value: t}
	if tp.grads != nil {
		v.Grad = tp.Tensor(t.Shape...)
	}
	return v
}

// Param returns the Var of parameter p: its value, and its gradient in the
// tape's Grads (none for fixed parameters or when not training).
func (tp *Tape) Param(p *Param) *Var {
	v := &Var{Value: p.Value}
	if tp.grads != nil && !p.Fixed {
		v.Grad = tp.grads.Of(p)
	}
	return v
}

// OnBackward records f to run during Backward, after the functions of the
// operations recorded later and before those recorded earlier. Operations
// defined outside this package (layers, transformers) use it to record their
// gradients.
func (tp *Tape) OnBackward(f func()) {
	if tp.grads != nil {
		tp.back = append(tp.back, f)
	}
}

// Backward sets the gradient of loss (a one-element Var) to 1 and runs the
// recorded gradient functions in reverse order.
func (tp *Tape) Backward(loss *Var) error {
	if loss.Value.Len() != 1 {
		return fmt.Errorf("gtn: Backward: loss has %d elements, want 1", loss.Value.Len())
	}
	if loss.Grad == nil {
		return errors.New("gtn: Backward: loss does not depend on anything trainable")
	}
	loss.Grad.Data[0] += 1
	for i := len(tp.back) - 1; i >= 0; i-- {
		tp.back[i]()
	}
	tp.back = tp.back[:0]
	return nil
}

// Reset forgets the recorded operations and recycles the tensors allocated
// by the tape. Vars made before Reset must not be used after it. Only the
// tensors of the last example are kept for reuse: examples of varying shapes
// (strings of different lengths) must not make the tape hold every size
// it ever allocated.
func (tp *Tape) Reset() {
	clear(tp.back)
	tp.back = tp.back[:0]
	clear(tp.free)
	for _, b := range tp.used {
		tp.free[len(b)] = append(tp.free[len(b)], b)
	}
	clear(tp.used)
	tp.used = tp.used[:0]
}
