package graphs

import (
	"fmt"
	"math"
)

// forwardDelta is the convergence threshold of Forward and ArcPosteriors
// on large cyclic components, far below DefaultShortestDelta so that free
// energies and posteriors are accurate enough for gradient-based training.
const forwardDelta = 1e-12

// Forward returns the free energy of g at inverse temperature beta > 0:
//
//	F = -1/beta · log Σ_paths exp(-beta · E(path))
//
// over the successful paths of g (the log-semiring total energy when beta
// is 1; the Viterbi energy as beta → ∞). If g has no successful path,
// Forward returns +Inf and ErrNoPath.
//
// Acyclic graphs take one pass over the arcs in reverse topological order
// with one exponential per arc (no sorting when the states are already
// numbered topologically, as by TopSorted). Cyclic graphs are summed as by
// ShortestDistance in the log semiring with opt.Reverse, over the states
// reachable from the start: exactly for strongly connected components of
// up to 64 states, to a relative accuracy of about 1e-12 for larger ones.
// Forward reports ErrDivergent if the sum does not converge.
func Forward(g *Graph, beta float64) (float64, error) {
	if err := checkBeta(beta); err != nil {
		return math.NaN(), fmt.Errorf("graphs: Forward: %w", err)
	}
	n := g.NumStates()
	if n == 0 {
		return Inf, ErrNoPath
	}
	b := make([]float64, n)
	if !reverseLogPass(g, nil, beta, b, nil, nil) {
		order, acyclic := TopSort(g)
		if acyclic {
			reverseLogPass(g, order, beta, b, nil, nil)
		} else {
			p := cyclicDistance{g: g, sr: Log, scale: beta, reverse: true, mask: Accessible(g),
				delta: forwardDelta, maxIter: DefaultMaxIterations}
			if err := p.solve(b, nil); err != nil {
				return math.NaN(), fmt.Errorf("graphs: Forward: %w", err)
			}
		}
	}
	if b[g.start] == Inf {
		return Inf, ErrNoPath
	}
	return b[g.start] / beta, nil
}

func checkBeta(beta float64) error {
	if !(beta > 0) || math.IsInf(beta, 1) {
		return fmt.Errorf("inverse temperature beta = %v, want 0 < beta < +Inf", beta)
	}
	return nil
}

// ArcPosteriors returns the free energy F of g at inverse temperature beta
// (see Forward) and its gradient with respect to every weight of g, in
// weight-index order (arcs, then finals): dF/dw is the expected number of
// times the weight is used by a path drawn with probability proportional
// to exp(-beta·E(path)), the arc's posterior (for a final energy: the
// probability that the path ends in that state). In an acyclic graph the
// posteriors are at most 1, and the posteriors of the arcs leaving the
// start state plus its final posterior sum to 1.
//
// If g has no successful path, ArcPosteriors returns +Inf, an all-zero
// gradient and ErrNoPath.
//
// Acyclic graphs take two passes over the arcs and one exponential per
// arc: the backward (beta) pass in reverse topological order keeps each
// state's conditional distribution over its arcs, and a forward pass
// multiplies them by the state's posterior and propagates it (no alpha
// pass, no second exponential). Cyclic graphs use forward and backward
// log-semiring distances from the generic algorithm (see Forward).
func ArcPosteriors(g *Graph, beta float64) (F float64, grad []float64, err error) {
	if err := checkBeta(beta); err != nil {
		return math.NaN(), nil, fmt.Errorf("graphs: ArcPosteriors: %w", err)
	}
	n := g.NumStates()
	grad = make([]float64, g.NumWeights())
	if n == 0 {
		return Inf, grad, ErrNoPath
	}
	b := make([]float64, n)
	inv := make([]float64, n)
	order, acyclic := []int32(nil), true
	if !reverseLogPass(g, nil, beta, b, grad, inv) {
		order, acyclic = TopSort(g)
		if acyclic {
			reverseLogPass(g, order, beta, b, grad, inv)
		}
	}
	if !acyclic {
		return cyclicPosteriors(g, beta, b, grad)
	}
	if b[g.start] == Inf {
		clear(grad)
		return Inf, grad, ErrNoPath
	}
	F = b[g.start] / beta
	statePosteriors(g, order, b, grad, inv)
	return F, grad, nil
}

// statePosteriors turns the conditional terms cond (with their states'
// normalizers inv) left by reverseLogPass into arc and final posteriors, in
// place, by propagating the probability of being at each state forward in
// topological order. gamma is scratch space of one entry per state.
func statePosteriors(g *Graph, order []int32, gamma, cond, inv []float64) {
	clear(gamma)
	gamma[g.start] = 1
	na := len(g.src)
	for i := range gamma {
		s := stateAt(order, i)
		lo, hi := g.first[s], g.first[s+1]
		c := cond[lo:hi]
		p := gamma[s] * inv[s]
		if p == 0 {
			clear(c)
			cond[na+s] = 0
			continue
		}
		cond[na+s] *= p
		dst := g.dst[lo:hi]
		dst = dst[:len(c)]
		// Arcs to the same state often come in runs (parallel arcs):
		// sum a run before touching gamma.
		cur, run := int32(-1), 0.0
		for k, t := range dst {
			v := p * c[k]
			c[k] = v
			if t != cur {
				if cur >= 0 {
					gamma[cur] += run
				}
				cur, run = t, 0
			}
			run += v
		}
		if cur >= 0 {
			gamma[cur] += run
		}
	}
}

// cyclicPosteriors computes the free energy and posteriors of the cyclic
// graph g at inverse temperature beta from forward (alpha) and backward
// log-semiring distances; b and grad are scratch and result space.
func cyclicPosteriors(g *Graph, beta float64, b, grad []float64) (float64, []float64, error) {
	clear(grad)
	acc := Accessible(g)
	p := cyclicDistance{g: g, sr: Log, scale: beta, reverse: true, mask: acc,
		delta: forwardDelta, maxIter: DefaultMaxIterations}
	if err := p.solve(b, nil); err != nil {
		return math.NaN(), grad, fmt.Errorf("graphs: ArcPosteriors: %w", err)
	}
	total := b[g.start]
	if total == Inf {
		return Inf, grad, ErrNoPath
	}
	// Alpha over the states on successful paths only, so that cycles
	// that lead nowhere cannot make it diverge.
	for s := range acc {
		acc[s] = acc[s] && b[s] != Inf
	}
	alpha := make([]float64, len(b))
	q := cyclicDistance{g: g, sr: Log, scale: beta, mask: acc,
		delta: forwardDelta, maxIter: DefaultMaxIterations}
	if err := q.solve(alpha, nil); err != nil {
		return math.NaN(), grad, fmt.Errorf("graphs: ArcPosteriors: %w", err)
	}
	for a, s := range g.src {
		t := g.dst[a]
		if alpha[s] != Inf && b[t] != Inf {
			grad[a] = math.Exp(total - alpha[s] - beta*g.weight[a] - b[t])
		}
	}
	na := len(g.src)
	for s, f := range g.final {
		if alpha[s] != Inf && f != Inf {
			grad[na+s] = math.Exp(total - alpha[s] - beta*f)
		}
	}
	return total / beta, grad, nil
}
