package recognizers

import (
	"fmt"
	"math"

	"github.com/gotn/gotn/gtn"
)

// Activation is a pointwise squashing function. Layers with an Act field
// apply it to their output in the same pass that adds the bias, and fold its
// derivative into their backward pass; Activate applies it on its own.
type Activation uint8

// The activations.
const (
	// NoActivation is the identity.
	NoActivation Activation = iota
	// ScaledTanh is LeCun's sigmoid f(a) = 1.7159 tanh(2a/3) (LeCun et al.
	// 1998, appendix A): f(±1) = ±1, the second derivative is largest at
	// ±1, and the gain near 0 is about 1.
	ScaledTanh
	// ReLU is max(0, a).
	ReLU
)

// The constants of ScaledTanh: f(a) = TanhA·tanh(TanhS·a).
const (
	TanhA = 1.7159
	TanhS = 2.0 / 3.0
)

// String returns the activation's name as used in architecture listings.
func (f Activation) String() string {
	switch f {
	case NoActivation:
		return "none"
	case ScaledTanh:
		return "tanh"
	case ReLU:
		return "relu"
	}
	return fmt.Sprintf("Activation(%d)", uint8(f))
}

func (f Activation) valid() bool { return f <= ReLU }

// apply replaces every a in y by f(a).
func (f Activation) apply(y []float32) {
	switch f {
	case ScaledTanh:
		scaledTanh(y, y)
	case ReLU:
		for i, v := range y {
			y[i] = max(v, 0)
		}
	}
}

// grad sets dst[i] = dy[i]·f'(a_i), where y[i] = f(a_i) is the output.
func (f Activation) grad(dst, dy, y []float32) {
	dst = dst[:len(y)]
	dy = dy[:len(y)]
	switch f {
	case NoActivation:
		copy(dst, dy)
	case ScaledTanh:
		// f'(a) = A·S·(1 - tanh²(S·a)) = S/A·(A² - y²).
		const c, a2 = TanhS / TanhA, TanhA * TanhA
		for i, v := range y {
			dst[i] = dy[i] * (c * (a2 - v*v))
		}
	case ReLU:
		// Branch-free: y = max(a, 0) is +0 or positive, so its bits are
		// positive exactly where a > 0.
		for i, v := range y {
			mask := uint32(-int32(math.Float32bits(v)) >> 31)
			dst[i] = math.Float32frombits(math.Float32bits(dy[i]) & mask)
		}
	}
}

// addGrad sets dst[i] += dy[i]·f'(a_i), where y[i] = f(a_i).
func (f Activation) addGrad(dst, dy, y []float32) {
	dst = dst[:len(y)]
	dy = dy[:len(y)]
	switch f {
	case NoActivation:
		for i, g := range dy {
			dst[i] += g
		}
	case ScaledTanh:
		const c, a2 = TanhS / TanhA, TanhA * TanhA
		for i, v := range y {
			dst[i] += dy[i] * (c * (a2 - v*v))
		}
	case ReLU:
		for i, v := range y {
			mask := uint32(-int32(math.Float32bits(v)) >> 31)
			dst[i] += math.Float32frombits(math.Float32bits(dy[i]) & mask)
		}
	}
}

// Activate returns f(x), element by element.
func Activate(tp *gtn.Tape, x *gtn.Var, f Activation) (*gtn.Var, error) {
	if !f.valid() {
		return nil, fmt.Errorf("recognizers: Activate: unknown activation %d", uint8(f))
	}
	y := tp.NewVar(x.Grad != nil, x.Value.Shape...)
	copy(y.Value.Data, x.Value.Data)
	f.apply(y.Value.Data)
	if y.Grad != nil {
		tp.OnBackward(func() { f.addGrad(x.Grad.Data, y.Grad.Data, y.Value.Data) })
	}
	return y, nil
}

// Act is the layer form of Activate.
type Act struct{ F Activation }

// Params implements Layer; an activation has none.
func (a Act) Params() []*gtn.Param { return nil }

// Forward implements Layer.
func (a Act) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) { return Activate(tp, x, a.F) }

// Without the AVX2 kernel, the scaled tanh is evaluated by cubic Hermite
// interpolation of tanh on a
// grid of step 1/tanhPerUnit over [0, tanhMax] (|error| < 1e-7, a third of
// the cost of math.Tanh). Beyond tanhMax, tanh rounds to ±1 in float32.
const (
	tanhPerUnit = 32
	tanhMax     = 9
	tanhSteps   = tanhMax * tanhPerUnit
)

// tanhTable[i] holds the cubic c0 + c1·f + c2·f² + c3·f³ that interpolates
// tanh on [i/tanhPerUnit, (i+1)/tanhPerUnit] in the local coordinate f in
// [0, 1]. It is computed once and never modified.
var tanhTable = func() *[tanhSteps + 1][4]float32 {
	var t [tanhSteps + 1][4]float32
	const h = 1.0 / tanhPerUnit
	for i := range tanhSteps {
		x0 := float64(i) * h
		y0, y1 := math.Tanh(x0), math.Tanh(x0+h)
		d0, d1 := (1-y0*y0)*h, (1-y1*y1)*h
		t[i] = [4]float32{
			float32(y0),
			float32(d0),
			float32(3*(y1-y0) - 2*d0 - d1),
			float32(2*(y0-y1) + d0 + d1),
		}
	}
	t[tanhSteps] = [4]float32{1, 0, 0, 0}
	return &t
}()

// scaledTanh sets y[i] = TanhA·tanh(TanhS·x[i]) (|error| < 3e-7), with the
// AVX2 kernel where there is one. NaN stays NaN.
func scaledTanh(y, x []float32) {
	if useKernels {
		scaledTanhKernel(y, x)
		return
	}
	scaledTanhTable(y, x)
}

// scaledTanhTable is scaledTanh by table interpolation.
func scaledTanhTable(y, x []float32) {
	y = y[:len(x)]
	tab := tanhTable
	const scale = TanhS * tanhPerUnit
	for i, v := range x {
		bits := math.Float32bits(v)
		u := math.Float32frombits(bits&0x7fffffff) * scale
		if !(u < tanhSteps) {
			if u != u {
				y[i] = v
				continue
			}
			u = tanhSteps
		}
		k := int(u)
		f := u - float32(k)
		c := &tab[k]
		t := TanhA * (c[0] + f*(c[1]+f*(c[2]+f*c[3])))
		y[i] = math.Float32frombits(math.Float32bits(t) | bits&0x80000000)
	}
}
