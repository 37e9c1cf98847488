package recognizers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotn/gotn/gtn"
)

// A Layer is one stage of a feed-forward network: it maps a batch (the
// batch dimension first) to a batch, recording its backward pass on the
// tape. Forward only reads the layer's parameters, so goroutines with their
// own tapes may share a layer.
type Layer interface {
	// Params returns the layer's parameters (nil if it has none).
	Params() []*gtn.Param
	// Forward computes the layer's output for the batch x.
	Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error)
}

// A SeededLayer draws random numbers when training (dropout). ForwardSeed
// makes the draws a function of seed, so that training is reproducible.
type SeededLayer interface {
	Layer
	ForwardSeed(tp *gtn.Tape, x *gtn.Var, seed uint64) (*gtn.Var, error)
}

// Init says how a layer draws its initial parameters.
type Init uint8

// The initialisations.
const (
	// LeCunInit draws every weight and bias of a unit from
	// U(-2.4/Fi, 2.4/Fi), where Fi is the unit's number of inputs (LeCun et
	// al. 1998, appendix A), so that the scaled tanh starts in its
	// near-linear range.
	LeCunInit Init = iota
	// HeInit draws weights from U(-√(6/Fi), √(6/Fi)) and sets biases to zero
	// (He et al. 2015): the variance-preserving choice for ReLU networks.
	HeInit
)

// String returns the initialisation's name.
func (in Init) String() string {
	switch in {
	case LeCunInit:
		return "lecun"
	case HeInit:
		return "he"
	}
	return fmt.Sprintf("Init(%d)", uint8(in))
}

// fill draws the weights w and biases b of units with fanIn inputs each.
func (in Init) fill(rng *rand.Rand, fanIn int, w, b []float32) {
	switch in {
	case HeInit:
		uniform(rng, math.Sqrt(6/float64(fanIn)), w)
		clear(b)
	default:
		a := 2.4 / float64(fanIn)
		uniform(rng, a, w)
		uniform(rng, a, b)
	}
}

// uniform fills x with draws from U(-a, a).
func uniform(rng *rand.Rand, a float64, x []float32) {
	for i := range x {
		x[i] = float32(a * (2*rng.Float64() - 1))
	}
}

// needGrad reports whether any of vs has a gradient.
func needGrad(vs ...*gtn.Var) bool {
	for _, v := range vs {
		if v != nil && v.Grad != nil {
			return true
		}
	}
	return false
}

// checkImages returns the dimensions of the image batch x, or an error
// naming the layer if x is not [N, C, H, W] with the given C.
func checkImages(layer string, x *gtn.Var, channels int) (n, h, w int, err error) {
	s := x.Value.Shape
	if len(s) != 4 {
		return 0, 0, 0, fmt.Errorf("recognizers: %s: input has shape %v, want [N, %d, H, W]", layer, s, channels)
	}
	if s[1] != channels {
		return 0, 0, 0, fmt.Errorf("recognizers: %s: input has %d maps, want %d", layer, s[1], channels)
	}
	return s[0], s[2], s[3], nil
}

// sum returns the sum of x, with four running sums so that the additions
// overlap.
func sum(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}
