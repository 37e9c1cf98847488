package gtn

import (
	"fmt"
	"math"
)

// ClassLoss applies an energy-based loss to a batch of class energies: row i
// of energies ([N, C]) holds the energy of each class for sample i, and
// labels[i] is its correct class. It returns the mean loss over the batch as
// a one-element Var.
func (tp *Tape) ClassLoss(energies *Var, labels []int, loss Loss) (*Var, error) {
	n, c := energies.Value.Rows()
	if len(labels) != n {
		return nil, fmt.Errorf("gtn: ClassLoss: %d labels for %d rows", len(labels), n)
	}
	if c < 2 && loss.Needs().Offending {
		return nil, fmt.Errorf("gtn: ClassLoss: loss %s needs at least two classes", loss.Name())
	}
	for i, y := range labels {
		if y < 0 || y >= c {
			return nil, fmt.Errorf("gtn: ClassLoss: label %d of sample %d out of range [0,%d)", y, i, c)
		}
	}
	out := tp.NewVar(energies.Grad != nil, 1)
	beta := loss.Beta()
	need := loss.Needs()
	var grads []Energies // per sample, kept for the backward pass
	var argOff, argBest []int
	if out.Grad != nil {
		grads = make([]Energies, n)
		argOff = make([]int, n)
		argBest = make([]int, n)
	}
	total := 0.0
	for i := range n {
		row := energies.Value.Row(i)
		y := labels[i]
		e := Energies{Correct: float64(row[y])}
		off, best := -1, -1
		for k, v := range row {
			if k != y && (off < 0 || v < row[off]) {
				off = k
			}
			if best < 0 || v < row[best] {
				best = k
			}
		}
		if need.Offending {
			e.Offending = float64(row[off])
		}
		e.Best = float64(row[best])
		if need.Free {
			e.Free = freeEnergy(row, beta)
		}
		l, g := loss.Eval(e)
		total += l
		if grads != nil {
			grads[i], argOff[i], argBest[i] = g, off, best
		}
	}
	out.Value.Data[0] = float32(total / float64(n))
	tp.OnBackward(func() {
		scale := float64(out.Grad.Data[0]) / float64(n)
		for i := range n {
			g := grads[i]
			row := energies.Value.Row(i)
			grow := energies.Grad.Row(i)
			grow[labels[i]] += float32(scale * g.Correct)
			if g.Offending != 0 {
				grow[argOff[i]] += float32(scale * g.Offending)
			}
			if g.Best != 0 {
				grow[argBest[i]] += float32(scale * g.Best)
			}
			if g.Free != 0 {
				// dF/dE_k = softmax(-beta E)_k.
				f := freeEnergy(row, beta)
				for k, v := range row {
					grow[k] += float32(scale * g.Free * math.Exp(-beta*(float64(v)-f)))
				}
			}
		}
	})
	return out, nil
}

// freeEnergy returns -1/beta log sum_k exp(-beta e_k).
func freeEnergy(e []float32, beta float64) float64 {
	lo := math.Inf(1)
	for _, v := range e {
		lo = math.Min(lo, float64(v))
	}
	s := 0.0
	for _, v := range e {
		s += math.Exp(-beta * (float64(v) - lo))
	}
	return lo - math.Log(s)/beta
}
