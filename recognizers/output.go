package recognizers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotn/gotn/gtn"
)

// RBF is the Euclidean radial basis function output layer of LeNet-5: for
// an input x [N, D] (or [N, ...] with D values per sample) and K codes
// c_k (Codes is [K, D]) it outputs the energies
//
//	E[n, k] = Σ_j (x[n, j] - c[k, j])²,
//
// the squared distance between the input and each class's code: lower is
// better. In LeNet-5 the codes are fixed ±1 bitmaps (a Fixed parameter,
// saved with the model but not trained).
type RBF struct {
	// Codes holds one code per row, [K, D].
	Codes *gtn.Param
}

// NewRBF returns an RBF layer with the given codes ([K, D]), named
// name.codes. The codes are copied; fixed makes them a Fixed parameter.
func NewRBF(name string, codes *gtn.Tensor, fixed bool) (*RBF, error) {
	if len(codes.Shape) != 2 || codes.Shape[0] == 0 || codes.Shape[1] == 0 {
		return nil, fmt.Errorf("recognizers: rbf %s: codes have shape %v, want [classes, inputs]", name, codes.Shape)
	}
	p := &gtn.Param{Name: name + ".codes", Value: codes.Clone(), Fixed: fixed}
	return &RBF{Codes: p}, nil
}

// Params implements Layer.
func (r *RBF) Params() []*gtn.Param { return []*gtn.Param{r.Codes} }

// Forward implements Layer.
func (r *RBF) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	kc, d := r.Codes.Value.Shape[0], r.Codes.Value.Shape[1]
	n, xd := x.Value.Rows()
	if len(x.Value.Shape) < 2 || xd != d {
		return nil, fmt.Errorf("recognizers: rbf %s: input has shape %v, want [N, ...] with %d values per sample", r.Codes.Name, x.Value.Shape, d)
	}
	cv := tp.Param(r.Codes)
	e := tp.NewVar(needGrad(x, cv), n, kc)
	codes := r.Codes.Value.Data
	for i := range n {
		xi := x.Value.Row(i)
		ei := e.Value.Row(i)
		for k := range kc {
			ck := codes[k*d : (k+1)*d]
			var s float32
			for j, v := range xi {
				t := v - ck[j]
				s += t * t
			}
			ei[k] = s
		}
	}
	if e.Grad == nil {
		return e, nil
	}
	tp.OnBackward(func() {
		for i := range n {
			xi := x.Value.Row(i)
			gi := e.Grad.Row(i)
			for k := range kc {
				g := 2 * gi[k]
				if g == 0 {
					continue
				}
				ck := codes[k*d : (k+1)*d]
				if x.Grad != nil {
					dx := x.Grad.Row(i)
					for j, v := range xi {
						dx[j] += g * (v - ck[j])
					}
				}
				if cv.Grad != nil {
					dc := cv.Grad.Data[k*d : (k+1)*d]
					for j, v := range xi {
						dc[j] -= g * (v - ck[j])
					}
				}
			}
		}
	})
	return e, nil
}

// LogSoftmax turns scores z [N, K] into the energies
//
//	E[n, k] = -log softmax(z[n])_k = log Σ_j exp(z[n, j]) - z[n, k],
//
// so that the energy-based NLL loss on them is the cross-entropy of a
// softmax classifier. It has no parameters.
type LogSoftmax struct{}

// Params implements Layer.
func (LogSoftmax) Params() []*gtn.Param { return nil }

// Forward implements Layer.
func (LogSoftmax) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	if len(x.Value.Shape) != 2 {
		return nil, fmt.Errorf("recognizers: logsoftmax: input has shape %v, want [N, classes]", x.Value.Shape)
	}
	n, kc := x.Value.Rows()
	e := tp.NewVar(x.Grad != nil, n, kc)
	for i := range n {
		z := x.Value.Row(i)
		hi := z[0]
		for _, v := range z {
			hi = max(hi, v)
		}
		var s float64
		for _, v := range z {
			s += math.Exp(float64(v - hi))
		}
		lse := hi + float32(math.Log(s))
		ei := e.Value.Row(i)
		for k, v := range z {
			ei[k] = lse - v
		}
	}
	if e.Grad != nil {
		tp.OnBackward(func() {
			// dE_k/dz_j = p_j - [j = k], with p_j = exp(-E_j).
			for i := range n {
				ei, gi, dz := e.Value.Row(i), e.Grad.Row(i), x.Grad.Row(i)
				total := sum(gi)
				for j, v := range ei {
					dz[j] += float32(math.Exp(-float64(v)))*total - gi[j]
				}
			}
		})
	}
	return e, nil
}

// Dropout sets each input to zero with probability P and scales the others
// by 1/(1-P) ("inverted" dropout), when training (the tape keeps
// gradients); at inference it is the identity. The draws are a function of
// the seed of ForwardSeed; Forward derives the seed from the input values,
// so that it too is deterministic.
type Dropout struct{ P float64 }

// Params implements Layer.
func (Dropout) Params() []*gtn.Param { return nil }

// Forward implements Layer, with a seed hashed from the input.
func (d Dropout) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	return d.ForwardSeed(tp, x, hashValues(x.Value.Data))
}

// ForwardSeed implements SeededLayer.
func (d Dropout) ForwardSeed(tp *gtn.Tape, x *gtn.Var, seed uint64) (*gtn.Var, error) {
	if !(d.P >= 0 && d.P < 1) {
		return nil, fmt.Errorf("recognizers: dropout: probability %v, want [0, 1)", d.P)
	}
	if !tp.Training() || d.P == 0 {
		return x, nil
	}
	y := tp.NewVar(x.Grad != nil, x.Value.Shape...)
	mask := tp.Tensor(x.Value.Len()).Data
	rng := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	keep := float32(1 / (1 - d.P))
	threshold := uint32(d.P * (1 << 32))
	var bits uint64
	for i := range mask {
		if i&1 == 0 {
			bits = rng.Uint64()
		} else {
			bits >>= 32
		}
		if uint32(bits) >= threshold {
			mask[i] = keep
		}
	}
	for i, v := range x.Value.Data {
		y.Value.Data[i] = v * mask[i]
	}
	if y.Grad != nil {
		tp.OnBackward(func() {
			for i, m := range mask {
				x.Grad.Data[i] += y.Grad.Data[i] * m
			}
		})
	}
	return y, nil
}

// hashValues returns a 64-bit hash of some of the values of x (at most 64,
// spread over x), a cheap seed that differs from batch to batch.
func hashValues(x []float32) uint64 {
	h := uint64(len(x))*0x9e3779b97f4a7c15 + 1
	step := max(1, len(x)/64)
	for i := 0; i < len(x); i += step {
		h ^= uint64(math.Float32bits(x[i]))
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return h
}
