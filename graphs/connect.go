package graphs

import (
	"math"
	"slices"
)

// Accessible returns, for every state of g, whether a path from the start
// state reaches it.
func Accessible(g *Graph) []bool {
	n := g.NumStates()
	acc := make([]bool, n)
	if n == 0 {
		return acc
	}
	stack := make([]int32, 0, 64)
	acc[g.start] = true
	stack = append(stack, g.start)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for a := g.first[s]; a < g.first[s+1]; a++ {
			if d := g.dst[a]; !acc[d] {
				acc[d] = true
				stack = append(stack, d)
			}
		}
	}
	return acc
}

// CoAccessible returns, for every state of g, whether a path from it
// reaches a final state. Like Accessible, it takes time linear in the size
// of g, without recursion.
func CoAccessible(g *Graph) []bool {
	return coAccessibleInto(nil, g.first, g.dst, g.final)
}

// coAccessibleInto returns, in co (reallocated if too short), which states
// of the graph with arcs first, dst (CSR layout) and final energies final
// reach a final state.
//
// It first sweeps the states backwards, marking a state when one of its
// arcs leads to a marked state, until a sweep marks nothing: when states are
// numbered roughly in breadth-first order from the start, as composition
// and most builders number them, this reaches the fixed point (the exact
// answer) in a few sweeps, each cheaper than the last, without the memory
// of reversed arcs. If the sweeps have looked at a few times as many arcs as
// there are without reaching the fixed point, it finishes with a search
// over the reversed arcs, which takes linear time whatever the order.
func coAccessibleInto(co []bool, first, dst []int32, final []float64) []bool {
	n := len(final)
	co = slices.Grow(co[:0], n)[:n]
	if n == 0 {
		return co
	}
	for s, f := range final {
		co[s] = !math.IsInf(f, 1)
	}
	budget := 4 * (int64(first[n]) + int64(n))
	for budget > 0 {
		changed := false
		for s := n - 1; s >= 0; s-- {
			if co[s] {
				continue
			}
			lo, hi := first[s], first[s+1]
			budget -= int64(hi-lo) + 1
			for a := lo; a < hi; a++ {
				if co[dst[a]] {
					co[s] = true
					changed = true
					break
				}
			}
		}
		if !changed {
			return co
		}
	}

	// Reverse the arcs (counting sort by destination) and search backwards
	// from the states marked so far.
	rfirst := make([]int32, n+1)
	for _, d := range dst[:first[n]] {
		rfirst[d+1]++
	}
	for s := range n {
		rfirst[s+1] += rfirst[s]
	}
	rsrc := make([]int32, first[n])
	pos := append([]int32(nil), rfirst[:n]...)
	for s := range n {
		for a := first[s]; a < first[s+1]; a++ {
			d := dst[a]
			rsrc[pos[d]] = int32(s)
			pos[d]++
		}
	}
	stack := pos[:0] // pos is no longer needed
	for s := range n {
		if co[s] {
			stack = append(stack, int32(s))
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range rsrc[rfirst[s]:rfirst[s+1]] {
			if !co[p] {
				co[p] = true
				stack = append(stack, p)
			}
		}
	}
	return co
}

// Connect returns g trimmed to its useful states, those on a path from the
// start state to a final state, and the Map of the arcs and final energies
// it keeps. The kept states and arcs keep their relative order. When the
// start state is not useful (g has no successful path), the result is the
// empty graph, without states, as OpenFst's fstconnect.
//
// When every state of g is useful, Connect returns g itself (graphs are
// immutable) with an identity Map.
func Connect(g *Graph) (*Graph, *Map) {
	acc := Accessible(g)
	co := CoAccessible(g)
	useful := acc // reuse: useful[s] = acc[s] && co[s]
	all := true
	for s := range useful {
		useful[s] = acc[s] && co[s]
		all = all && useful[s]
	}
	if all {
		return g, identityMap(g)
	}
	return keepStates(g, useful)
}

// keepStates returns the subgraph of g on the states where keep is true
// (renumbered in order) and the arcs between them, with its Map. If the
// start state is not kept the result is the empty graph.
func keepStates(g *Graph, keep []bool) (*Graph, *Map) {
	n := g.NumStates()
	if n == 0 || !keep[g.start] {
		return emptyGraph(), &Map{numInputs: 1, start: []int32{0}}
	}
	newID := make([]int32, n)
	states := make([]int32, 0, n) // states[new] = old
	for s := range n {
		newID[s] = -1
		if keep[s] {
			newID[s] = int32(len(states))
			states = append(states, int32(s))
		}
	}
	arcs := make([]int32, 0, g.NumArcs()) // arcs[new] = old
	h := &Graph{start: newID[g.start], first: make([]int32, len(states)+1)}
	h.final = make([]float64, len(states))
	for i, s := range states {
		h.final[i] = g.final[s]
		for a := g.first[s]; a < g.first[s+1]; a++ {
			if newID[g.dst[a]] >= 0 {
				arcs = append(arcs, a)
			}
		}
		h.first[i+1] = int32(len(arcs))
	}
	h.src = make([]int32, len(arcs))
	h.dst = make([]int32, len(arcs))
	for i, a := range arcs {
		h.src[i] = newID[g.src[a]]
		h.dst[i] = newID[g.dst[a]]
	}
	h.ilabel = gather(g.ilabel, arcs)
	h.olabel = gather(g.olabel, arcs)
	h.weight = gather(g.weight, arcs)
	h.computeProps()
	return h, selectMap(g, arcs, states)
}

// gather returns x[idx[0]], x[idx[1]], ...
func gather[T any](x []T, idx []int32) []T {
	y := make([]T, len(idx))
	for i, j := range idx {
		y[i] = x[j]
	}
	return y
}

// selectMap returns the Map of a one-input operation whose output copies
// arc arcs[i] of g to its arc i, and the final energy of state states[s] of
// g to its state s (final energies only of final states). A nil arcs or
// states stands for the identity.
func selectMap(g *Graph, arcs, states []int32) *Map {
	na, ns := len(arcs), len(states)
	if arcs == nil {
		na = g.NumArcs()
	}
	if states == nil {
		ns = g.NumStates()
	}
	m := &Map{numInputs: 1, start: make([]int32, na+ns+1), refs: make([]Ref, 0, na+ns)}
	for i := range na {
		a := int32(i)
		if arcs != nil {
			a = arcs[i]
		}
		m.start[i] = int32(len(m.refs))
		m.refs = append(m.refs, Ref{Input: 0, Index: a, Coef: 1})
	}
	base := int32(g.NumArcs())
	for i := range ns {
		s := int32(i)
		if states != nil {
			s = states[i]
		}
		m.start[na+i] = int32(len(m.refs))
		if !math.IsInf(g.final[s], 1) {
			m.refs = append(m.refs, Ref{Input: 0, Index: base + s, Coef: 1})
		}
	}
	m.start[na+ns] = int32(len(m.refs))
	return m
}
