package gtn

import (
	"fmt"

	"github.com/gotn/gotn/graphs"
)

// GraphVar is a weighted graph recorded on a tape, with the gradient of the
// loss with respect to its weights (in graphs weight-index order: arcs, then
// final energies). Grad is nil when no weight of the graph needs a gradient.
type GraphVar struct {
	G    *graphs.Graph
	Grad []float64
}

// Graph returns a GraphVar for a constant graph (a grammar, a lexicon).
func (tp *Tape) Graph(g *graphs.Graph) *GraphVar { return &GraphVar{G: g} }

// Apply records a graph operation whose result out was computed from ins
// with Jacobian m (as returned by the graphs package), so that gradients
// flow from out back to the inputs that need them.
func (tp *Tape) Apply(out *graphs.Graph, m *graphs.Map, ins ...*GraphVar) (*GraphVar, error) {
	if m.NumInputs() != len(ins) {
		return nil, fmt.Errorf("gtn: Apply: map has %d inputs, got %d graphs", m.NumInputs(), len(ins))
	}
	if m.NumOutputs() != out.NumWeights() {
		return nil, fmt.Errorf("gtn: Apply: map has %d outputs, graph has %d weights", m.NumOutputs(), out.NumWeights())
	}
	v := &GraphVar{G: out}
	need := false
	for _, in := range ins {
		need = need || in.Grad != nil
	}
	if !need || !tp.Training() {
		return v, nil
	}
	v.Grad = make([]float64, out.NumWeights())
	tp.OnBackward(func() {
		grads := make([][]float64, len(ins))
		for i, in := range ins {
			grads[i] = in.Grad
		}
		// The map was checked against out; the inputs' gradient
		// lengths are theirs, so Backward cannot fail here.
		_ = m.Backward(v.Grad, grads...)
	})
	return v, nil
}

// Compose records graphs.Compose(a, b).
func (tp *Tape) Compose(a, b *GraphVar) (*GraphVar, error) {
	g, m, err := graphs.Compose(a.G, b.G)
	if err != nil {
		return nil, err
	}
	return tp.Apply(g, m, a, b)
}

// BindArcs returns a graph with the structure of template whose weight k
// (graphs weight-index order) is template's weight k plus x[index[k]], or
// template's weight alone where index[k] < 0. The gradient of each bound
// weight flows into x. This is how a recognizer's output tensor becomes
// the energies of a recognition graph.
func (tp *Tape) BindArcs(template *graphs.Graph, index []int32, x *Var) (*GraphVar, error) {
	if len(index) != template.NumWeights() {
		return nil, fmt.Errorf("gtn: BindArcs: %d indices for %d weights", len(index), template.NumWeights())
	}
	w := template.Weights()
	for k, i := range index {
		if i < 0 {
			continue
		}
		if int(i) >= x.Value.Len() {
			return nil, fmt.Errorf("gtn: BindArcs: weight %d bound to element %d of a tensor of %d", k, i, x.Value.Len())
		}
		w[k] += float64(x.Value.Data[i])
	}
	g, err := template.WithWeights(w)
	if err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("gtn: BindArcs: %w", err)
	}
	v := &GraphVar{G: g}
	if x.Grad == nil || !tp.Training() {
		return v, nil
	}
	v.Grad = make([]float64, g.NumWeights())
	tp.OnBackward(func() {
		for k, i := range index {
			if i >= 0 {
				x.Grad.Data[i] += float32(v.Grad[k])
			}
		}
	})
	return v, nil
}

// scalar returns a one-element Var holding e whose gradient, when needGrad,
// is passed to back during the backward pass.
func (tp *Tape) scalar(e float64, needGrad bool, back func(d float64)) *Var {
	out := tp.NewVar(needGrad, 1)
	out.Value.Data[0] = float32(e)
	if out.Grad != nil {
		tp.OnBackward(func() { back(float64(out.Grad.Data[0])) })
	}
	return out
}

// FreeEnergy records the free energy of g at inverse temperature beta,
// F = -1/beta log sum_paths exp(-beta E(path)). Its gradient is the arc
// posteriors. It fails with graphs.ErrNoPath if g has no path.
func (tp *Tape) FreeEnergy(g *GraphVar, beta float64) (*Var, float64, error) {
	f, post, err := graphs.ArcPosteriors(g.G, beta)
	if err != nil {
		return nil, 0, err
	}
	return tp.scalar(f, g.Grad != nil, func(d float64) {
		for k, p := range post {
			g.Grad[k] += d * p
		}
	}), f, nil
}

// ViterbiEnergy records the energy of the best path of g. Its gradient is
// the indicator of the best path's arcs and final state.
func (tp *Tape) ViterbiEnergy(g *GraphVar) (*Var, graphs.Path, error) {
	p, err := graphs.Viterbi(g.G)
	if err != nil {
		return nil, p, err
	}
	return tp.scalar(p.Energy, g.Grad != nil, func(d float64) {
		for k, c := range p.Gradient(g.G) {
			if c != 0 {
				g.Grad[k] += d * c
			}
		}
	}), p, nil
}
