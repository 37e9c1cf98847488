package graphs

// This file holds the rational operations: union, concatenation and
// closure, with the semantics (and the state numbering) of OpenFst's
// Union, Concat and Closure, and the linear-graph constructors.

import (
	"fmt"
	"math"
	"slices"
)

// ClosureType selects the Kleene closure computed by Closure.
type ClosureType int

const (
	// ClosureStar is T*: zero or more repetitions of T.
	ClosureStar ClosureType = iota
	// ClosurePlus is T+: one or more repetitions of T.
	ClosurePlus
)

// String returns "star" or "plus".
func (c ClosureType) String() string {
	if c == ClosurePlus {
		return "plus"
	}
	return "star"
}

// noRef marks an output weight that depends on no input weight (a constant,
// such as the zero energy of an added epsilon arc).
var noRef = Ref{Input: -1}

// assembler builds a graph and its Map when arcs are produced in order of
// source state, which is the case for the rational operations; it avoids the
// Builder's general bookkeeping (one optional reference per weight).
type assembler struct {
	numInputs int
	start     int32
	final     []float64
	finalRef  []Ref // per state; Input < 0: none
	src, dst  []int32
	ilabel    []int32
	olabel    []int32
	weight    []float64
	arcRef    []Ref // per arc; Input < 0: none
}

// newAssembler returns an assembler for a graph of the given number of
// states (all non-final) and about arcs arcs, whose weights come from
// numInputs input graphs.
func newAssembler(numInputs, states, arcs int) *assembler {
	b := &assembler{
		numInputs: numInputs,
		start:     NoState,
		final:     make([]float64, states),
		finalRef:  make([]Ref, states),
		src:       make([]int32, 0, arcs),
		dst:       make([]int32, 0, arcs),
		ilabel:    make([]int32, 0, arcs),
		olabel:    make([]int32, 0, arcs),
		weight:    make([]float64, 0, arcs),
		arcRef:    make([]Ref, 0, arcs),
	}
	for s := range b.final {
		b.final[s] = Inf
		b.finalRef[s] = noRef
	}
	return b
}

// arc appends an arc; its source must not be lower than the previous arc's.
func (b *assembler) arc(src, dst, il, ol int32, w float64, ref Ref) {
	b.src = append(b.src, src)
	b.dst = append(b.dst, dst)
	b.ilabel = append(b.ilabel, il)
	b.olabel = append(b.olabel, ol)
	b.weight = append(b.weight, w)
	b.arcRef = append(b.arcRef, ref)
}

// copyArcs appends the arcs of state s of g, input graph input, as arcs of
// state s+offset going to their destinations plus offset.
func (b *assembler) copyArcs(g *Graph, input int, s int, offset int32) {
	lo, hi := g.Arcs(s)
	for a := lo; a < hi; a++ {
		b.arc(int32(s)+offset, g.dst[a]+offset, g.ilabel[a], g.olabel[a], g.weight[a], R(input, a))
	}
}

// setFinal makes state s final with energy w copied from ref.
func (b *assembler) setFinal(s int32, w float64, ref Ref) {
	b.final[s] = w
	b.finalRef[s] = ref
}

// build returns the graph and its Map.
func (b *assembler) build() (*Graph, *Map) {
	n := int32(len(b.final))
	g := &Graph{start: b.start, final: b.final, src: b.src, dst: b.dst,
		ilabel: b.ilabel, olabel: b.olabel, weight: b.weight}
	if n == 0 {
		g.start = NoState
	}
	g.first = make([]int32, n+1)
	for _, s := range g.src {
		g.first[s+1]++
	}
	for s := int32(0); s < n; s++ {
		g.first[s+1] += g.first[s]
	}
	g.computeProps()

	m := &Map{numInputs: b.numInputs, start: make([]int32, 0, g.NumWeights()+1)}
	m.refs = make([]Ref, 0, g.NumWeights())
	row := func(r Ref) {
		m.start = append(m.start, int32(len(m.refs)))
		if r.Input >= 0 {
			m.refs = append(m.refs, r)
		}
	}
	for _, r := range b.arcRef {
		row(r)
	}
	for s, r := range b.finalRef {
		if math.IsInf(b.final[s], 1) {
			r = noRef
		}
		row(r)
	}
	m.start = append(m.start, int32(len(m.refs)))
	return g, m
}

// emptyGraph returns a graph without states.
func emptyGraph() *Graph {
	g := &Graph{start: NoState, first: []int32{0}}
	g.computeProps()
	return g
}

// emptyMap returns the Map of an output graph with numWeights weights that
// depend on none of numInputs inputs.
func emptyMap(numInputs, numWeights int) *Map {
	return &Map{numInputs: numInputs, start: make([]int32, numWeights+1)}
}

// Union returns the union of graphs gs: a graph whose successful paths are
// those of all the graphs, and its Map (with len(gs) inputs).
//
// It is OpenFst's Union applied from left to right: the states of gs[0],
// then those of gs[1] and so on. When no arc enters the start state of the
// first non-empty graph, epsilon arcs of energy 0 from it to the start
// states of the other graphs are added after its own arcs; otherwise a new
// start state (the last state) gets epsilon arcs to every start state.
// OpenFst adds the new start state unless it knows that the start state
// lies on no cycle, which it knows of graphs read from text only when they
// are topologically sorted; its result may then have that one extra state,
// but the same weighted relation. Empty graphs (without states) are left
// out; the union of no graphs, or of empty graphs only, is the empty graph.
func Union(gs ...*Graph) (*Graph, *Map) {
	states, arcs := 0, 0
	var offset []int32
	firstIdx := -1
	for i, g := range gs {
		offset = append(offset, int32(states))
		if g.NumStates() == 0 {
			continue
		}
		if firstIdx < 0 {
			firstIdx = i
		}
		states += g.NumStates()
		arcs += g.NumArcs() + 1
	}
	if firstIdx < 0 {
		return emptyGraph(), emptyMap(len(gs), 0)
	}
	first := gs[firstIdx]
	// A new start state is needed when there is another graph to reach.
	newStart := states > first.NumStates() && startEntered(first)
	if newStart {
		states++
	}
	b := newAssembler(len(gs), states, arcs)
	// eps adds the epsilon arcs from src to the start states of the
	// non-empty graphs of gs[from:].
	eps := func(src int32, from int) {
		for j := from; j < len(gs); j++ {
			if g := gs[j]; g.NumStates() > 0 {
				b.arc(src, offset[j]+g.start, Epsilon, Epsilon, 0, noRef)
			}
		}
	}
	for i, g := range gs {
		for s := range g.NumStates() {
			b.copyArcs(g, i, s, offset[i])
			if i == firstIdx && s == int(g.start) && !newStart {
				eps(offset[i]+g.start, i+1)
			}
			if g.IsFinal(s) {
				b.setFinal(offset[i]+int32(s), g.final[s], R(i, g.FinalIndex(s)))
			}
		}
	}
	if newStart {
		b.start = int32(states - 1)
		eps(b.start, firstIdx)
	} else {
		b.start = offset[firstIdx] + first.start
	}
	return b.build()
}

// startEntered reports whether an arc of g (which has states) enters its
// start state.
func startEntered(g *Graph) bool {
	return slices.Contains(g.dst, g.start)
}

// Concat returns the concatenation of graphs gs, whose successful paths are
// a path of gs[0] followed by a path of gs[1] and so on, and its Map (with
// len(gs) inputs).
//
// It is OpenFst's Concat applied from left to right, with the same state
// numbering: the states of gs[0], then those of gs[1] and so on. Each final
// state of gs[i] loses its final energy and gets, after its own arcs, an
// epsilon arc carrying that energy to the start state of gs[i+1]. The finals
// of the last graph stay final. As in OpenFst, a graph without states
// accepts nothing: when gs[0] has no states the result has none; when a
// later graph has none, the finals before it are dropped, so that the
// result has no successful path. The concatenation of no graphs accepts
// only the empty string: one state, final with energy 0.
func Concat(gs ...*Graph) (*Graph, *Map) {
	if len(gs) == 0 {
		g := &Graph{start: 0, final: []float64{0}, first: []int32{0, 0}}
		g.computeProps()
		return g, emptyMap(0, 1)
	}
	if gs[0].NumStates() == 0 {
		return emptyGraph(), emptyMap(len(gs), 0)
	}
	states, arcs := 0, 0
	offset := make([]int32, len(gs))
	for i, g := range gs {
		offset[i] = int32(states)
		states += g.NumStates()
		arcs += g.NumArcs()
		if i+1 < len(gs) {
			arcs += countFinals(g)
		}
	}
	b := newAssembler(len(gs), states, arcs)
	b.start = gs[0].start
	for i, g := range gs {
		last := i+1 == len(gs)
		var next *Graph
		if !last {
			next = gs[i+1]
		}
		for s := range g.NumStates() {
			b.copyArcs(g, i, s, offset[i])
			if !g.IsFinal(s) {
				continue
			}
			ref := R(i, g.FinalIndex(s))
			switch {
			case last:
				b.setFinal(offset[i]+int32(s), g.final[s], ref)
			case next.NumStates() > 0:
				b.arc(offset[i]+int32(s), offset[i+1]+next.start, Epsilon, Epsilon, g.final[s], ref)
			}
		}
	}
	return b.build()
}

func countFinals(g *Graph) int {
	n := 0
	for _, f := range g.final {
		if !math.IsInf(f, 1) {
			n++
		}
	}
	return n
}

// Closure returns the Kleene closure of g, ClosureStar (g*) or ClosurePlus
// (g+), and its Map.
//
// It is OpenFst's Closure: every final state keeps its final energy and gets,
// after its own arcs, an epsilon arc carrying that energy back to the start
// state. For ClosureStar a new start state, numbered g.NumStates(), is
// final with energy 0 and has an epsilon arc of energy 0 to the old start
// state. The star of the empty graph accepts only the empty string; its
// plus is the empty graph.
func Closure(g *Graph, typ ClosureType) (*Graph, *Map) {
	n := g.NumStates()
	states := n
	if typ == ClosureStar {
		states++
	}
	b := newAssembler(1, states, g.NumArcs()+countFinals(g)+1)
	for s := range n {
		b.copyArcs(g, 0, s, 0)
		if g.IsFinal(s) {
			ref := R(0, g.FinalIndex(s))
			b.arc(int32(s), g.start, Epsilon, Epsilon, g.final[s], ref)
			b.setFinal(int32(s), g.final[s], ref)
		}
	}
	if n > 0 {
		b.start = g.start
	}
	if typ == ClosureStar {
		b.start = int32(n)
		b.setFinal(b.start, 0, noRef)
		if n > 0 {
			b.arc(b.start, g.start, Epsilon, Epsilon, 0, noRef)
		}
	}
	return b.build()
}

// Linear returns the linear graph with one path, states 0..len(ilabels),
// whose arc i goes from state i to state i+1 with input label ilabels[i],
// output label olabels[i] and energy energies[i]; the last state is final
// with energy 0. A nil olabels makes an acceptor (output labels equal
// to input labels) and nil energies make all arc energies 0; otherwise their
// lengths must be len(ilabels). Labels must be non-negative and energies
// finite.
func Linear(ilabels, olabels []int32, energies []float64) (*Graph, error) {
	n := len(ilabels)
	if olabels != nil && len(olabels) != n {
		return nil, fmt.Errorf("graphs: Linear: %d output labels for %d input labels", len(olabels), n)
	}
	if energies != nil && len(energies) != n {
		return nil, fmt.Errorf("graphs: Linear: %d energies for %d labels", len(energies), n)
	}
	if n >= math.MaxInt32 {
		return nil, fmt.Errorf("graphs: Linear: %d labels is too many", n)
	}
	g := &Graph{
		start:  0,
		final:  make([]float64, n+1),
		first:  make([]int32, n+2),
		src:    make([]int32, n),
		dst:    make([]int32, n),
		ilabel: make([]int32, n),
		weight: make([]float64, n),
	}
	for i, l := range ilabels {
		if l < 0 {
			return nil, fmt.Errorf("graphs: Linear: input label %d is negative (%d)", i, l)
		}
		g.src[i], g.dst[i] = int32(i), int32(i+1)
		g.first[i+1] = int32(i + 1)
		g.ilabel[i] = l
		g.final[i] = Inf
	}
	g.first[n+1] = int32(n)
	g.olabel = g.ilabel
	if olabels != nil {
		g.olabel = make([]int32, n)
		for i, l := range olabels {
			if l < 0 {
				return nil, fmt.Errorf("graphs: Linear: output label %d is negative (%d)", i, l)
			}
			g.olabel[i] = l
		}
	}
	for i, w := range energies {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("graphs: Linear: energy %d is %v, want a finite number", i, w)
		}
		g.weight[i] = w
	}
	g.computeProps()
	return g, nil
}

// LinearAcceptor returns the acceptor of the single string labels, with
// energy 0: Linear(labels, nil, nil).
func LinearAcceptor(labels []int32) (*Graph, error) {
	return Linear(labels, nil, nil)
}
