package graphs

import (
	"errors"
	"fmt"
	"math"
)

// DefaultShortestDelta is the convergence threshold of ShortestDistance
// in the log semiring on large cyclic components when
// DistanceOptions.Delta is 0. It is the default of OpenFst's
// fstshortestdistance (kShortestDelta).
const DefaultShortestDelta = 1e-6

// DefaultMaxIterations is the number of times ShortestDistance may process
// any one state of a large cyclic component in the log semiring before it
// gives up with ErrDivergent, when DistanceOptions.MaxIterations is 0.
const DefaultMaxIterations = 10000

// ErrNegativeCycle is returned by the tropical (min-sum) algorithms when a
// cycle of negative energy makes the lowest energy unbounded.
var ErrNegativeCycle = errors.New("graphs: cycle of negative energy")

// ErrDivergent is returned by the log-semiring algorithms on cyclic graphs
// when the sum over paths does not converge: the graph's cycles carry too
// much weight (the spectral radius of the matrix of exp(-energy) is at
// least 1).
var ErrDivergent = errors.New("graphs: sum over paths does not converge")

// DistanceOptions are the settings of ShortestDistance. The zero value (or
// nil) computes distances from the start state with the defaults.
type DistanceOptions struct {
	// Reverse computes, for every state, the distance from it to the final
	// states, final energies included (like fstshortestdistance --reverse),
	// instead of the distance from the start state to it.
	Reverse bool
	// Delta is the convergence threshold of the log semiring on strongly
	// connected components of more than 64 states: an update that changes
	// a state's distance by no more than Delta is dropped (as in OpenFst).
	// 0 means DefaultShortestDelta. It is not used otherwise: acyclic
	// graphs and small components are solved exactly, and the tropical
	// semiring's updates are exact.
	Delta float64
	// MaxIterations bounds, for the log semiring on components of more
	// than 64 states, the number of times one state may be processed; more
	// means that the sum diverges (ErrDivergent), or converges too slowly.
	// 0 means DefaultMaxIterations.
	MaxIterations int
}

// ShortestDistance returns, for every state s of g, the ⊕-sum in semiring
// sr of the energies of all paths from the start state to s (with
// opt.Reverse: of all paths from s to a final state, final energy
// included). It is +Inf for states that no path reaches. The distance of
// the start state is 0 when the graph has no cycle through it; with
// opt.Reverse, the distance of the start state is the graph's total energy
// (Viterbi energy in Tropical, free energy in Log).
//
// Acyclic graphs are solved exactly in one pass in topological order (no
// sorting when the states are numbered topologically). Cyclic graphs are
// solved one strongly connected component at a time, in topological order
// of the components, with Mohri's generic single-source shortest-distance
// algorithm:
//
//   - Tropical: Dijkstra's order within a component when no energy of g is
//     negative, a FIFO queue (Bellman-Ford) otherwise. It is exact, and
//     reports ErrNegativeCycle when a cycle of negative energy is reached.
//   - Log: a component of up to 64 states is solved exactly by eliminating
//     its states (O(m³) for m states), which also detects divergence
//     exactly (ErrDivergent); a larger one iterates with a FIFO queue until
//     the updates are below opt.Delta, and reports ErrDivergent after
//     opt.MaxIterations.
//
// Cycles that no path enters (forward) or that lead to no final state
// (reverse) do not matter.
func ShortestDistance(g *Graph, sr Semiring, opt *DistanceOptions) ([]float64, error) {
	if opt == nil {
		opt = &DistanceOptions{}
	}
	if sr != Tropical && sr != Log {
		return nil, fmt.Errorf("graphs: ShortestDistance: unknown semiring %d", sr)
	}
	delta, maxIter := opt.Delta, opt.MaxIterations
	if delta < 0 || math.IsNaN(delta) {
		return nil, fmt.Errorf("graphs: ShortestDistance: negative or NaN delta %v", delta)
	}
	if maxIter < 0 {
		return nil, fmt.Errorf("graphs: ShortestDistance: negative MaxIterations %d", maxIter)
	}
	if delta == 0 {
		delta = DefaultShortestDelta
	}
	if maxIter == 0 {
		maxIter = DefaultMaxIterations
	}
	n := g.NumStates()
	d := make([]float64, n)
	if n == 0 {
		return d, nil
	}
	if order, acyclic := topOrder(g); acyclic {
		switch {
		case sr == Tropical && !opt.Reverse:
			forwardTropicalPass(g, order, 1, d)
		case sr == Tropical:
			reverseTropicalPass(g, order, 1, d, nil)
		case !opt.Reverse:
			forwardLogPass(g, order, 1, d)
		default:
			reverseLogPass(g, order, 1, d, nil, nil)
		}
		return d, nil
	}
	p := cyclicDistance{g: g, sr: sr, scale: 1, reverse: opt.Reverse, delta: delta, maxIter: maxIter}
	if err := p.solve(d, nil); err != nil {
		return nil, fmt.Errorf("graphs: ShortestDistance: %w", err)
	}
	return d, nil
}

// topOrder returns a topological order of g, nil when the state numbering
// is one, and whether g is acyclic.
func topOrder(g *Graph) ([]int32, bool) {
	if isTopNumbered(g) {
		return nil, true
	}
	return TopSort(g)
}

// stateAt returns the i-th state of a topological order (the identity
// when order is nil).
func stateAt(order []int32, i int) int {
	if order == nil {
		return i
	}
	return int(order[i])
}

// forwardTropicalPass sets d to the tropical distances from the start
// state of the acyclic graph g, with every energy multiplied by scale,
// visiting states in the topological order order (nil: state numbers).
func forwardTropicalPass(g *Graph, order []int32, scale float64, d []float64) {
	for i := range d {
		d[i] = Inf
	}
	d[g.start] = 0
	for i := range d {
		s := stateAt(order, i)
		ds := d[s]
		if ds == Inf {
			continue
		}
		lo, hi := g.first[s], g.first[s+1]
		dst := g.dst[lo:hi]
		w := g.weight[lo:hi]
		dst = dst[:len(w)]
		for k, t := range dst {
			if x := ds + scale*w[k]; x < d[t] {
				d[t] = x
			}
		}
	}
}

// reverseTropicalPass sets d to the tropical distances to the final states
// of the acyclic graph g (energies multiplied by scale), in reverse
// topological order. If best is not nil it receives, for every state, the
// arc that starts a best path from it, or -1 when stopping there (final
// energy) is best or no path exists. With order nil the state numbering
// must be topological; if it is not, reverseTropicalPass returns false
// (and d and best are garbage).
func reverseTropicalPass(g *Graph, order []int32, scale float64, d []float64, best []int32) bool {
	check := order == nil
	for i := len(d) - 1; i >= 0; i-- {
		s := stateAt(order, i)
		lo, hi := g.first[s], g.first[s+1]
		dst := g.dst[lo:hi]
		w := g.weight[lo:hi]
		dst = dst[:len(w)]
		m := scale * g.final[s]
		arg := int32(-1)
		for k, t := range dst {
			if check && int(t) <= s {
				return false
			}
			if x := scale*w[k] + d[t]; x < m {
				m, arg = x, lo+int32(k)
			}
		}
		d[s] = m
		if best != nil {
			best[s] = arg
		}
	}
	return true
}

// forwardLogPass sets d to the log-semiring distances from the start state
// of the acyclic graph g (energies multiplied by scale), in topological
// order.
//
// Each state keeps a running reference energy m (stored in d until the
// state is finished) and acc = sum of exp(m - x) over the energies x
// pushed to it so far, so that each arc costs one exponential. m is only
// lowered when an energy more than 300 below it arrives, which keeps acc
// below exp(300) per term without a data-dependent branch on most arcs.
func forwardLogPass(g *Graph, order []int32, scale float64, d []float64) {
	acc := make([]float64, len(d))
	for i := range d {
		d[i] = Inf
	}
	d[g.start], acc[g.start] = 0, 1
	for i := range d {
		s := stateAt(order, i)
		if acc[s] == 0 {
			d[s] = Inf
			continue
		}
		ds := d[s] - math.Log(acc[s])
		d[s] = ds
		lo, hi := g.first[s], g.first[s+1]
		dst := g.dst[lo:hi]
		w := g.weight[lo:hi]
		dst = dst[:len(w)]
		for k, t := range dst {
			x := ds + scale*w[k]
			if m := d[t]; x >= m-300 {
				if y := m - x; y >= -708 {
					acc[t] += expCore(y)
				}
			} else {
				acc[t] = acc[t]*expNeg(x-m) + 1
				d[t] = x
			}
		}
	}
}

// reverseLogPass sets b to the log-semiring distances to the final states
// of the acyclic graph g (energies multiplied by scale), in reverse
// topological order: b[s] = -log(exp(-scale·final(s)) + Σ exp(-scale·w(a)
// - b(dst(a)))) over the arcs a leaving s.
//
// If cond is not nil (length g.NumWeights()), cond receives for every arc
// and final energy the term exp(m - x) of its state's sum (x its energy
// through that arc, m the state's reference energy), and inv[s] the
// reciprocal of that sum (0 when b[s] is +Inf), so that cond·inv is the
// probability of leaving s by that arc (or stopping) given that a path is
// at s.
//
// With order nil the state numbering must be topological; if it is not,
// reverseLogPass returns false (and its outputs are garbage).
func reverseLogPass(g *Graph, order []int32, scale float64, b, cond, inv []float64) bool {
	check := order == nil
	na := int32(len(g.src))
	for i := len(b) - 1; i >= 0; i-- {
		s := stateAt(order, i)
		lo, hi := g.first[s], g.first[s+1]
		dst := g.dst[lo:hi]
		w := g.weight[lo:hi]
		dst = dst[:len(w)]
		if check {
			for _, t := range dst {
				if int(t) <= s {
					return false
				}
			}
		}
		var c []float64
		if cond != nil {
			c = cond[lo:hi]
			c = c[:len(w)]
		}
		m, sum, ef := logSumExp(dst, w, scale, b, scale*g.final[s], c)
		if sum == 0 {
			b[s] = Inf
		} else {
			b[s] = m - math.Log(sum)
		}
		if cond != nil {
			cond[na+int32(s)] = ef
			if sum == 0 {
				inv[s] = 0
				clear(c)
			} else {
				inv[s] = 1 / sum
			}
		}
	}
	return true
}

// logSumExp returns the terms of -log(exp(-xf) + Σ_k exp(-x_k)), where
// x_k = scale·w[k] + b[dst[k]], as m - log(sum): a reference energy m and
// sum = exp(m - xf) + Σ exp(m - x_k), and ef = exp(m - xf). If c is not
// nil, c[k] receives exp(m - x_k).
//
// It takes one pass and one exponential per arc. m starts at xf (or the
// first finite energy) and is only moved when an energy more than 300
// below it arrives, rescaling what was summed, so that terms stay below
// exp(300) and the test is almost never taken.
func logSumExp(dst []int32, w []float64, scale float64, b []float64, xf float64, c []float64) (m, sum, ef float64) {
	const slack = 300
	m, ef = xf, 0
	var s0, s1 float64 // two sums, to halve the chain of additions
	if xf != Inf {
		s0, ef = 1, 1
	}
	w = w[:len(dst)]
	store := c != nil
	if store {
		c = c[:len(dst)]
	}
	for k, t := range dst {
		x := scale*w[k] + b[t]
		if x < m-slack {
			// New reference: rescale the sum and the stored terms.
			f := expNeg(x - m)
			s0, s1 = (s0+s1)*f+1, 0
			ef *= f
			if store {
				for j := range k {
					c[j] *= f
				}
				c[k] = 1
			}
			m = x
			continue
		}
		// e = exp(m - x); 0 when it would underflow, and for x = +Inf.
		e := 0.0
		if y := m - x; y >= -708 {
			e = expCore(y)
		}
		if store {
			c[k] = e
		}
		if k&1 == 0 {
			s0 += e
		} else {
			s1 += e
		}
	}
	return m, s0 + s1, ef
}

// expNegTable holds the bits of 2^(j/64), j = 0..63.
var expNegTable = func() (t [64]uint64) {
	for j := range t {
		t[j] = math.Float64bits(math.Exp2(float64(j) / 64))
	}
	return t
}()

// expNeg returns exp(x) for x <= 709 within a few ulps (relative error
// below 1e-15), and 0 for x < -708 (where exp underflows to subnormals)
// including -Inf and NaN. It is about twice as fast as math.Exp.
func expNeg(x float64) float64 {
	if !(x >= -708) {
		return 0
	}
	return expCore(x)
}

// expCore returns exp(x) for -708 <= x <= 709: x = (64k+j)·ln2/64 + r with
// |r| <= ln2/128, exp(x) = 2^k · 2^(j/64) · exp(r), exp(r) by a degree-5
// polynomial (error below r^6/720 < 2e-17). It is small enough to be
// inlined in the hot loops.
func expCore(x float64) float64 {
	const (
		invLn2x64 = 64 / math.Ln2
		ln2Hi     = 6.93147180369123816490e-01 / 64 // ln2 with 32 bits, exact times k
		ln2Lo     = 1.90821492927058770002e-10 / 64
		round     = 0x1.8p52 // adding and subtracting rounds to an integer
	)
	// The low bits of x·64/ln2 + 1.5·2^52 are 2^51 + k for the nearest
	// integer k; shifting them into the exponent field drops the rest.
	kf := x*invLn2x64 + round
	bits := math.Float64bits(kf)
	kf -= round
	r := x - kf*ln2Hi - kf*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120)))))
	return math.Float64frombits(expNegTable[bits&63]+(bits>>6)<<52) * p
}

// cyclicDistance is one run of the generic shortest-distance algorithm on
// a graph that may have cycles.
type cyclicDistance struct {
	g       *Graph
	sr      Semiring
	scale   float64 // every energy is multiplied by scale (> 0)
	reverse bool    // distances to the finals instead of from the start
	mask    []bool  // if not nil, only states with mask[s] take part
	delta   float64 // log semiring: convergence threshold
	maxIter int     // log semiring: bound on the times a state is processed
	// iterateOnly disables the exact solution of small components (for
	// tests).
	iterateOnly bool

	comp     []int32 // strongly connected component of each state, -1 outside mask
	inFirst  []int32 // reverse: arcs entering s are inArcs[inFirst[s]:inFirst[s+1]]
	inArcs   []int32
	resid    []float64 // log semiring: residual distance not yet propagated
	inQueue  []bool
	visits   []int32
	ring     []int32 // FIFO queue, a ring buffer
	heap     []int32 // Dijkstra: binary heap of states ordered by distance
	heapPos  []int32 // position of a state in heap, -1 if absent
	dijkstra bool
	dense    []float64 // scratch of solveComponentDense
	local    []int32   // index of a state within its component
}

// solve sets d to the distances; best, if not nil, receives (tropical
// only) the arc through which each state got its distance (reverse: the
// first arc of a best path from it; forward: the last arc of a best path
// to it), -1 for the start state (forward) or a final state whose final
// energy is best (reverse), or when the state is unreachable.
func (p *cyclicDistance) solve(d []float64, best []int32) error {
	g := p.g
	n := g.NumStates()
	for s := range d {
		d[s] = Inf
	}
	for s := range best {
		best[s] = -1
	}
	if n == 0 {
		return nil
	}
	comp, nComp := stronglyConnected(g, p.mask)
	p.comp = comp
	// Members of each component, grouped.
	cFirst := make([]int32, nComp+1)
	for _, c := range comp {
		if c >= 0 {
			cFirst[c+1]++
		}
	}
	for c := range nComp {
		cFirst[c+1] += cFirst[c]
	}
	members := make([]int32, cFirst[nComp])
	fill := append([]int32(nil), cFirst[:nComp]...)
	for s, c := range comp {
		if c >= 0 {
			members[fill[c]] = int32(s)
			fill[c]++
		}
	}
	if p.reverse {
		p.inFirst, p.inArcs = arcsByDestination(g)
		for s, f := range g.final {
			if comp[s] >= 0 {
				d[s] = p.scale * f
			}
		}
	} else if comp[g.start] >= 0 {
		d[g.start] = 0
	}
	if p.sr == Log {
		p.resid = make([]float64, n)
		for s := range p.resid {
			p.resid[s] = Inf
		}
	} else {
		p.dijkstra = true
		for _, w := range g.weight {
			if w < 0 {
				p.dijkstra = false
				break
			}
		}
	}
	p.inQueue = make([]bool, n)
	p.visits = make([]int32, n)
	if p.dijkstra {
		p.heapPos = make([]int32, n)
		for s := range p.heapPos {
			p.heapPos[s] = -1
		}
	}
	// Components in topological order of the flow: Tarjan numbers them
	// sinks first.
	for i := range nComp {
		c := nComp - 1 - i
		if p.reverse {
			c = i
		}
		ms := members[cFirst[c]:cFirst[c+1]]
		if len(ms) == 1 && !p.hasSelfLoop(int(ms[0])) {
			if q := int(ms[0]); d[q] != Inf {
				p.relax(q, d[q], int32(c), d, best)
			}
			continue
		}
		var err error
		if p.sr == Log && len(ms) <= maxDenseComponent && !p.iterateOnly {
			err = p.solveComponentDense(int32(c), ms, d)
		} else {
			err = p.solveComponent(int32(c), ms, d, best)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *cyclicDistance) hasSelfLoop(q int) bool {
	g := p.g
	for _, t := range g.dst[g.first[q]:g.first[q+1]] {
		if int(t) == q {
			return true
		}
	}
	return false
}

// neighbors returns the arcs along which state q's distance flows: the
// arcs leaving q (forward) or entering q (reverse). For the reverse
// direction the arcs are given as indices into inArcs.
func (p *cyclicDistance) neighbors(q int) (lo, hi int32) {
	if p.reverse {
		return p.inFirst[q], p.inFirst[q+1]
	}
	return p.g.first[q], p.g.first[q+1]
}

// relax propagates the value r of state q along its arcs to states of
// other components than c (all of them when c < 0), accumulating into d.
// It returns nothing: those states are processed with their components.
func (p *cyclicDistance) relax(q int, r float64, c int32, d []float64, best []int32) {
	g := p.g
	lo, hi := p.neighbors(q)
	for k := lo; k < hi; k++ {
		a, t := k, int32(0)
		if p.reverse {
			a = p.inArcs[k]
			t = g.src[a]
		} else {
			t = g.dst[a]
		}
		if p.comp[t] < 0 || p.comp[t] == c {
			continue
		}
		x := r + p.scale*g.weight[a]
		if p.sr == Log {
			d[t] = logAdd(d[t], x)
		} else if x < d[t] {
			d[t] = x
			if best != nil {
				best[t] = a
			}
		}
	}
}

// solveComponent runs the generic algorithm within component c, whose
// states are ms, after all components upstream of it are done.
func (p *cyclicDistance) solveComponent(c int32, ms []int32, d []float64, best []int32) error {
	g := p.g
	// The queue starts with every state that upstream components reached;
	// in the log semiring the residual starts as the whole distance. The
	// FIFO ring holds each state of the component at most once.
	if cap(p.ring) < len(ms) {
		p.ring = make([]int32, len(ms))
	}
	p.ring = p.ring[:len(ms)]
	p.heap = p.heap[:0]
	head, size := 0, 0
	enqueue := func(t int32) {
		p.inQueue[t] = true
		if p.dijkstra {
			p.heapPos[t] = int32(len(p.heap))
			p.heap = append(p.heap, t)
			p.heapUp(int32(len(p.heap)-1), d)
			return
		}
		tail := head + size
		if tail >= len(p.ring) {
			tail -= len(p.ring)
		}
		p.ring[tail] = t
		size++
	}
	for _, q := range ms {
		if d[q] != Inf {
			if p.resid != nil {
				p.resid[q] = d[q]
			}
			enqueue(q)
		}
	}
	limit := int32(p.maxIter)
	if p.sr == Tropical {
		limit = int32(len(ms)) + 1
	}
	for {
		var q int32
		if p.dijkstra {
			if len(p.heap) == 0 {
				break
			}
			q = p.heapPop(d)
		} else {
			if size == 0 {
				break
			}
			q = p.ring[head]
			head++
			if head == len(p.ring) {
				head = 0
			}
			size--
		}
		p.inQueue[q] = false
		p.visits[q]++
		if p.visits[q] > limit {
			if p.sr == Tropical {
				return fmt.Errorf("%w through state %d", ErrNegativeCycle, q)
			}
			return fmt.Errorf("%w: state %d processed %d times (delta %g)", ErrDivergent, q, p.visits[q]-1, p.delta)
		}
		r := d[q]
		if p.resid != nil {
			r = p.resid[q]
			p.resid[q] = Inf
		}
		p.relax(int(q), r, c, d, best) // to downstream components
		lo, hi := p.neighbors(int(q))
		for k := lo; k < hi; k++ {
			a, t := k, int32(0)
			if p.reverse {
				a = p.inArcs[k]
				t = g.src[a]
			} else {
				t = g.dst[a]
			}
			if p.comp[t] != c {
				continue
			}
			x := r + p.scale*g.weight[a]
			if p.sr == Log {
				dt := d[t]
				nd := logAdd(dt, x)
				if !(dt-nd > p.delta) {
					continue
				}
				d[t] = nd
				p.resid[t] = logAdd(p.resid[t], x)
			} else {
				if !(x < d[t]) {
					continue
				}
				d[t] = x
				if best != nil {
					best[t] = a
				}
			}
			switch {
			case !p.inQueue[t]:
				enqueue(t)
			case p.dijkstra:
				p.heapUp(p.heapPos[t], d)
			}
		}
	}
	return nil
}

// maxDenseComponent is the size of the largest strongly connected
// component that the log semiring solves exactly, by eliminating its
// states, rather than by iterating to convergence.
const maxDenseComponent = 64

// solveComponentDense solves component c (states ms) of the log semiring
// exactly: it computes the closure C* of the component's arc energies by
// eliminating one state after another (the Floyd-Warshall-Kleene
// algorithm, in costs: log-add for +, star(c) = log(1 - exp(-c))), then
// the distances of ms from those that upstream components left in d. The
// sum over paths converges if and only if every pivot's cycle energy is
// positive (the Z-matrix I - M is then a nonsingular M-matrix), which
// makes divergence detection exact up to rounding.
func (p *cyclicDistance) solveComponentDense(c int32, ms []int32, d []float64) error {
	g := p.g
	k := len(ms)
	reached := false
	for _, s := range ms {
		reached = reached || d[s] != Inf
	}
	if !reached {
		return nil // no path enters the component: it does not matter
	}
	if cap(p.dense) < k*k+2*k {
		p.dense = make([]float64, k*k+2*k)
	}
	m := p.dense[:k*k]
	row := p.dense[k*k : k*k+k]
	vec := p.dense[k*k+k : k*k+2*k]
	for i := range m {
		m[i] = Inf
	}
	if p.local == nil {
		p.local = make([]int32, g.NumStates())
	}
	for i, s := range ms {
		p.local[s] = int32(i)
	}
	for i, s := range ms {
		for a := g.first[s]; a < g.first[s+1]; a++ {
			if t := g.dst[a]; p.comp[t] == c {
				j := int(p.local[t])
				m[i*k+j] = logAdd(m[i*k+j], p.scale*g.weight[a])
			}
		}
	}
	for e := range k {
		cee := m[e*k+e]
		if !(cee > 0) {
			return fmt.Errorf("%w: a cycle through state %d has total weight exp(-%.6g) >= 1", ErrDivergent, ms[e], cee)
		}
		star := math.Log(-math.Expm1(-cee)) // cost of Σ_n exp(-n·cee)
		copy(row, m[e*k:e*k+k])
		for i := range k {
			f := m[i*k+e]
			if f == Inf {
				continue
			}
			f += star
			mi := m[i*k : i*k+k]
			for j, r := range row {
				if r != Inf {
					mi[j] = logAdd(mi[j], f+r)
				}
			}
		}
	}
	// C* = 1 ⊕ C: paths of any length, the empty one included.
	for i := range k {
		m[i*k+i] = logAdd(m[i*k+i], 0)
	}
	for i, s := range ms {
		vec[i] = d[s]
	}
	for i, s := range ms {
		x := Inf
		for j := range k {
			if p.reverse {
				x = logAdd(x, m[i*k+j]+vec[j])
			} else {
				x = logAdd(x, vec[j]+m[j*k+i])
			}
		}
		d[s] = x
	}
	for _, s := range ms {
		if d[s] != Inf {
			p.relax(int(s), d[s], c, d, nil)
		}
	}
	return nil
}

func (p *cyclicDistance) heapUp(i int32, d []float64) {
	h := p.heap
	q := h[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !(d[q] < d[h[parent]]) {
			break
		}
		h[i] = h[parent]
		p.heapPos[h[i]] = i
		i = parent
	}
	h[i] = q
	p.heapPos[q] = i
}

func (p *cyclicDistance) heapPop(d []float64) int32 {
	h := p.heap
	top := h[0]
	p.heapPos[top] = -1
	last := h[len(h)-1]
	h = h[:len(h)-1]
	p.heap = h
	if len(h) == 0 {
		return top
	}
	i, n := int32(0), int32(len(h))
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && d[h[c+1]] < d[h[c]] {
			c++
		}
		if !(d[h[c]] < d[last]) {
			break
		}
		h[i] = h[c]
		p.heapPos[h[i]] = i
		i = c
	}
	h[i] = last
	p.heapPos[last] = i
	return top
}

// arcsByDestination returns the arcs of g grouped by destination state:
// those entering s are arcs[first[s]:first[s+1]], in increasing order.
func arcsByDestination(g *Graph) (first, arcs []int32) {
	n := g.NumStates()
	first = make([]int32, n+1)
	for _, t := range g.dst {
		first[t+1]++
	}
	for s := range n {
		first[s+1] += first[s]
	}
	arcs = make([]int32, len(g.dst))
	fill := append([]int32(nil), first[:n]...)
	for a, t := range g.dst {
		arcs[fill[t]] = int32(a)
		fill[t]++
	}
	return first, arcs
}

// stronglyConnected returns the strongly connected component of every
// state of g (restricted to states with mask[s] when mask is not nil;
// others get -1) and the number of components. Components are numbered in
// reverse topological order: an arc between two components goes to the
// lower number. It is Tarjan's algorithm, without recursion.
func stronglyConnected(g *Graph, mask []bool) (comp []int32, nComp int) {
	n := g.NumStates()
	comp = make([]int32, n)
	index := make([]int32, n)
	low := make([]int32, n)
	for s := range n {
		comp[s], index[s] = -1, -1
	}
	type frame struct{ v, next int32 }
	var frames []frame
	var stack []int32
	counter := int32(0)
	for root := range n {
		if index[root] >= 0 || (mask != nil && !mask[root]) {
			continue
		}
		index[root], low[root] = counter, counter
		counter++
		stack = append(stack, int32(root))
		frames = append(frames, frame{int32(root), g.first[root]})
		for len(frames) > 0 {
			f := &frames[len(frames)-1]
			v := f.v
			if f.next < g.first[v+1] {
				w := g.dst[f.next]
				f.next++
				if mask != nil && !mask[w] {
					continue
				}
				if index[w] < 0 {
					index[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					frames = append(frames, frame{w, g.first[w]})
				} else if comp[w] < 0 && index[w] < low[v] { // w on the stack
					low[v] = index[w]
				}
				continue
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					comp[w] = int32(nComp)
					if w == v {
						break
					}
				}
				nComp++
			}
			frames = frames[:len(frames)-1]
			if len(frames) > 0 {
				if u := frames[len(frames)-1].v; low[v] < low[u] {
					low[u] = low[v]
				}
			}
		}
	}
	return comp, nComp
}
