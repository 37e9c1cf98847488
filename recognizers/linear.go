package recognizers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotn/gotn/gtn"
)

// LinearConfig describes a fully connected layer.
type LinearConfig struct {
	// Name prefixes the parameter names: Name.weight and Name.bias.
	Name string
	// In and Out are the numbers of inputs and outputs.
	In, Out int
	// Act is applied to the output.
	Act Activation
	// Init chooses the initial weights.
	Init Init
}

// Linear is a fully connected layer, y = act(x·Wᵀ + b) with Weight
// [Out, In] and Bias [Out]. Its input is [N, ...] with In elements per
// sample (an image batch is flattened in [C, H, W] order); its output is
// [N, Out].
type Linear struct {
	cfg LinearConfig
	// Weight and Bias are the parameters.
	Weight, Bias *gtn.Param
}

// NewLinear returns a fully connected layer with weights drawn by cfg.Init
// from rng (fan-in In).
func NewLinear(cfg LinearConfig, rng *rand.Rand) (*Linear, error) {
	if cfg.In <= 0 || cfg.Out <= 0 {
		return nil, fmt.Errorf("recognizers: linear %s: bad shape %d→%d", cfg.Name, cfg.In, cfg.Out)
	}
	if !cfg.Act.valid() {
		return nil, fmt.Errorf("recognizers: linear %s: unknown activation %d", cfg.Name, uint8(cfg.Act))
	}
	l := &Linear{
		cfg:    cfg,
		Weight: gtn.NewParam(cfg.Name+".weight", cfg.Out, cfg.In),
		Bias:   gtn.NewParam(cfg.Name+".bias", cfg.Out),
	}
	for o := range cfg.Out {
		cfg.Init.fill(rng, cfg.In, l.Weight.Value.Row(o), l.Bias.Value.Data[o:o+1])
	}
	return l, nil
}

// Config returns the layer's configuration.
func (l *Linear) Config() LinearConfig { return l.cfg }

// Params implements Layer.
func (l *Linear) Params() []*gtn.Param { return []*gtn.Param{l.Weight, l.Bias} }

// Forward implements Layer.
func (l *Linear) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	n, k := x.Value.Rows()
	if len(x.Value.Shape) < 2 || k != l.cfg.In {
		return nil, fmt.Errorf("recognizers: linear %s: input has shape %v, want [N, ...] with %d values per sample", l.cfg.Name, x.Value.Shape, l.cfg.In)
	}
	wv, bv := tp.Param(l.Weight), tp.Param(l.Bias)
	return dense(tp, x, n, k, l.cfg.Out, l.Weight.Value.Data, wv, bv, nil, l.cfg.Act, []int{n, l.cfg.Out}), nil
}
