package graphs

import "fmt"

// TopSort returns the states of g in a topological order: every arc goes
// from a state to a state later in the order. It reports ok = false, and a
// nil order, if g has a cycle (a self-loop is a cycle). States that cannot
// be reached from the start state are included; the start state comes
// first whenever no arc enters it.
//
// TopSort runs in time linear in the size of g (Kahn's algorithm, without
// recursion).
func TopSort(g *Graph) (order []int32, ok bool) {
	n := g.NumStates()
	if n == 0 {
		return []int32{}, true
	}
	indeg := make([]int32, n)
	for _, d := range g.dst {
		indeg[d]++
	}
	order = make([]int32, 0, n)
	// order doubles as the FIFO queue of states whose predecessors are all
	// placed: order[head:] are waiting.
	if indeg[g.start] == 0 {
		order = append(order, g.start)
	}
	for s, k := range indeg {
		if k == 0 && int32(s) != g.start {
			order = append(order, int32(s))
		}
	}
	for head := 0; head < len(order); head++ {
		s := order[head]
		for _, d := range g.dst[g.first[s]:g.first[s+1]] {
			indeg[d]--
			if indeg[d] == 0 {
				order = append(order, d)
			}
		}
	}
	if len(order) < n {
		return nil, false
	}
	return order, true
}

// IsAcyclic reports whether g has no cycle. A graph whose arcs all go from
// lower to higher state numbers is recognized without allocating.
func IsAcyclic(g *Graph) bool {
	if isTopNumbered(g) {
		return true
	}
	_, ok := TopSort(g)
	return ok
}

// isTopNumbered reports whether every arc of g goes from a state to a
// higher-numbered state, so that 0, 1, ..., n-1 is a topological order.
func isTopNumbered(g *Graph) bool {
	for s := range len(g.final) {
		for _, d := range g.dst[g.first[s]:g.first[s+1]] {
			if int(d) <= s {
				return false
			}
		}
	}
	return true
}

// TopSorted returns a copy of g whose states are renumbered in topological
// order (as by TopSort), so that every arc goes from a lower to a higher
// state number, like OpenFst's fsttopsort. The Map copies every weight.
// It is an error if g has a cycle.
func TopSorted(g *Graph) (*Graph, *Map, error) {
	order, ok := TopSort(g)
	if !ok {
		return nil, nil, fmt.Errorf("graphs: TopSorted: graph has a cycle")
	}
	n := len(order)
	pos := make([]int32, n) // pos[old] = new
	for i, s := range order {
		pos[s] = int32(i)
	}
	b := NewMapBuilder(1)
	b.AddStates(n)
	if n > 0 {
		b.SetStart(int(pos[g.start]))
	}
	for _, s := range order {
		if f := g.final[s]; f != Inf {
			b.SetFinal(int(pos[s]), f, R(0, g.FinalIndex(int(s))))
		}
		for a := g.first[s]; a < g.first[s+1]; a++ {
			b.AddArc(int(pos[s]), int(pos[g.dst[a]]), g.ilabel[a], g.olabel[a], g.weight[a], R(0, int(a)))
		}
	}
	return b.Build()
}
