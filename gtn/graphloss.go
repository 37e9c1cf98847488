package gtn

import (
	"errors"
	"fmt"
	"math"

	"github.com/gotn/gotn/graphs"
)

// GraphLoss applies an energy-based loss to an interpretation graph: free
// holds every interpretation of a sample (its output labels spell the
// answers), target is the correct answer's label sequence. It computes
// what the loss needs (LeCun et al. 1998, section VI):
//   - the correct answer's energy, from the graph constrained to paths that
//     spell target (free composed with target's linear acceptor): its
//     Viterbi energy, or its free energy for losses with SoftCorrect;
//   - the best answer's energy, the Viterbi energy of free;
//   - the most offending incorrect answer's energy, the Viterbi energy of
//     free composed with an acceptor of every label string but target
//     (+Inf when there is no incorrect answer);
//   - the free energy of free at the loss's beta;
//
// and records the loss so that its gradient reaches free's weights, and
// through them everything free was computed from. It fails with an error
// wrapping graphs.ErrNoPath if no path of free spells target.
func (tp *Tape) GraphLoss(free *GraphVar, target []int32, loss Loss) (*Var, error) {
	need := loss.Needs()
	var e Energies
	var vars [4]*Var // correct, offending, best, free
	var err error
	if need.Correct {
		lin, err := graphs.LinearAcceptor(target)
		if err != nil {
			return nil, fmt.Errorf("gtn: GraphLoss: target: %w", err)
		}
		c, err := tp.Compose(free, tp.Graph(lin))
		if err != nil {
			return nil, fmt.Errorf("gtn: GraphLoss: constraining to the target: %w", err)
		}
		if need.SoftCorrect {
			vars[0], e.Correct, err = tp.FreeEnergy(c, loss.Beta())
		} else {
			vars[0], err = tp.viterbi(c, &e.Correct)
		}
		if err != nil {
			return nil, fmt.Errorf("gtn: GraphLoss: the target is not among the interpretations: %w", err)
		}
	}
	if need.Offending {
		wrong, err := tp.Compose(free, tp.Graph(allBut(target, outputAlphabet(free.G))))
		if err != nil {
			return nil, fmt.Errorf("gtn: GraphLoss: incorrect interpretations: %w", err)
		}
		vars[1], err = tp.viterbi(wrong, &e.Offending)
		if errors.Is(err, graphs.ErrNoPath) {
			vars[1], e.Offending, err = nil, math.Inf(1), nil
		}
		if err != nil {
			return nil, fmt.Errorf("gtn: GraphLoss: %w", err)
		}
	}
	if need.Best {
		if vars[2], err = tp.viterbi(free, &e.Best); err != nil {
			return nil, fmt.Errorf("gtn: GraphLoss: %w", err)
		}
	}
	if need.Free {
		if vars[3], e.Free, err = tp.FreeEnergy(free, loss.Beta()); err != nil {
			return nil, fmt.Errorf("gtn: GraphLoss: %w", err)
		}
	}
	l, g := loss.Eval(e)
	if math.IsNaN(l) {
		return nil, fmt.Errorf("gtn: GraphLoss: %s loss is NaN at energies %+v", loss.Name(), e)
	}
	d := [4]float64{g.Correct, g.Offending, g.Best, g.Free}
	needGrad := false
	for _, v := range vars {
		needGrad = needGrad || (v != nil && v.Grad != nil)
	}
	return tp.scalar(l, needGrad, func(out float64) {
		for i, v := range vars {
			if v != nil && v.Grad != nil && d[i] != 0 {
				v.Grad.Data[0] += float32(out * d[i])
			}
		}
	}), nil
}

// viterbi records the Viterbi energy of g and stores it, in float64, in e.
func (tp *Tape) viterbi(g *GraphVar, e *float64) (*Var, error) {
	v, p, err := tp.ViterbiEnergy(g)
	if err != nil {
		return nil, err
	}
	*e = p.Energy
	return v, nil
}

// outputAlphabet returns the distinct non-epsilon output labels of g.
func outputAlphabet(g *graphs.Graph) []int32 {
	seen := map[int32]bool{}
	var labels []int32
	for a := range g.NumArcs() {
		if l := g.OLabel(a); l != graphs.Epsilon && !seen[l] {
			seen[l] = true
			labels = append(labels, l)
		}
	}
	return labels
}

// allBut returns a deterministic acceptor of every string over alphabet
// except target. States 0..n track a prefix of target; state n+1 is
// "deviated". Every state but n (exactly target) is final.
func allBut(target, alphabet []int32) *graphs.Graph {
	n := len(target)
	b := graphs.NewBuilder()
	b.AddStates(n + 2)
	b.SetStart(0)
	sink := n + 1
	for s := 0; s <= n; s++ {
		for _, l := range alphabet {
			if s < n && l == target[s] {
				b.AddArc(s, s+1, l, l, 0)
			} else {
				b.AddArc(s, sink, l, l, 0)
			}
		}
		if s != n {
			b.SetFinal(s, 0)
		}
	}
	for _, l := range alphabet {
		b.AddArc(sink, sink, l, l, 0)
	}
	b.SetFinal(sink, 0)
	g, _, err := b.Build()
	if err != nil {
		panic("gtn: allBut: " + err.Error()) // the construction is valid by design
	}
	return g
}
