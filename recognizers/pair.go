package recognizers

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gotn/gotn/gtn"
)

// Pair is a network whose energies are the sums of two networks' energies
// on the same input: a product of two experts (Hinton 2002). With
// log-softmax experts, the sum is minus the log of the product of their
// probabilities, unnormalised; a loss on it trains both. Each expert may
// read its own view of the input (its first layer, such as a
// NormalizedView).
type Pair struct {
	arch string
	// A and B are the experts; they take the same input and give the same
	// number of classes.
	A, B *Sequential
}

// NewPair returns the pair of experts a and b named arch.
func NewPair(arch string, a, b *Sequential) (*Pair, error) {
	ah, aw := a.InputSize()
	bh, bw := b.InputSize()
	if a.Classes() != b.Classes() || ah != bh || aw != bw {
		return nil, fmt.Errorf("recognizers: %s: experts of %d classes on %d×%d and %d classes on %d×%d", arch, a.Classes(), ah, aw, b.Classes(), bh, bw)
	}
	return &Pair{arch: arch, A: a, B: b}, nil
}

// Expert returns the expert whose parameters are all named name.*
// ("frame" and "shape" in lenet5-pair), or nil if neither is.
func (p *Pair) Expert(name string) *Sequential {
	for _, e := range []*Sequential{p.A, p.B} {
		params := e.Params()
		if len(params) > 0 && !slices.ContainsFunc(params, func(q *gtn.Param) bool { return !strings.HasPrefix(q.Name, name+".") }) {
			return e
		}
	}
	return nil
}

// Arch implements Network.
func (p *Pair) Arch() string { return p.arch }

// Classes implements Network.
func (p *Pair) Classes() int { return p.A.Classes() }

// InputSize implements Network.
func (p *Pair) InputSize() (int, int) { return p.A.InputSize() }

// Params implements Network: A's, then B's.
func (p *Pair) Params() []*gtn.Param { return append(p.A.Params(), p.B.Params()...) }

// Forward implements Network.
func (p *Pair) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	return p.ForwardSeed(tp, x, hashValues(x.Value.Data))
}

// ForwardSeed implements SeededNetwork: the experts get seeds derived from
// seed.
func (p *Pair) ForwardSeed(tp *gtn.Tape, x *gtn.Var, seed uint64) (*gtn.Var, error) {
	ea, err := p.A.ForwardSeed(tp, x, mixSeed(seed, 0))
	if err != nil {
		return nil, err
	}
	eb, err := p.B.ForwardSeed(tp, x, mixSeed(seed, 1))
	if err != nil {
		return nil, err
	}
	y := tp.NewVar(ea.Grad != nil || eb.Grad != nil, ea.Value.Shape...)
	for i, v := range ea.Value.Data {
		y.Value.Data[i] = v + eb.Value.Data[i]
	}
	if y.Grad != nil {
		tp.OnBackward(func() {
			for _, e := range []*gtn.Var{ea, eb} {
				if e.Grad != nil {
					for i, g := range y.Grad.Data {
						e.Grad.Data[i] += g
					}
				}
			}
		})
	}
	return y, nil
}

// NewLeNet5Pair returns a pair of lenet5-modern experts (1,312,160
// parameters for 10 classes, twice the computation) for the segments of a
// heuristic over-segmenter, framed at the string's scale: the expert
// "frame" reads them as framed, which tells pieces, marks and digits apart
// by size and position against the baseline; the expert "shape" reads
// each one alone, its ink scaled into a 20×20 box and centred by its centre
// of mass (a NormalizedView), as MNIST's digits were made, so that a
// network trained on MNIST's digits starts it (its parameters are named
// as lenet5-modern's, prefixed "frame." and "shape.").
func NewLeNet5Pair(classes int, rng *rand.Rand) (Network, error) {
	frame, err := newLeNet5Modern("lenet5-pair/frame", "frame.", classes, nil, rng)
	if err != nil {
		return nil, err
	}
	shape, err := newLeNet5Modern("lenet5-pair/shape", "shape.", classes, NormalizedView{Box: 20}, rng)
	if err != nil {
		return nil, err
	}
	return NewPair("lenet5-pair", frame.(*Sequential), shape.(*Sequential))
}
