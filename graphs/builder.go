package graphs

import (
	"fmt"
	"math"
	"slices"
)

// A Builder assembles a Graph. States are numbered in the order they are
// added; arcs may be added in any order and are sorted by source state
// (stably) when the graph is built.
//
// A Builder made by NewMapBuilder also records, for every arc and final
// energy it is given, the input weights it was computed from (Refs), and
// Build returns them as a Map.
//
// The zero value is a Builder for a graph without a Map.
type Builder struct {
	start  int32
	final  []float64
	src    []int32
	dst    []int32
	ilabel []int32
	olabel []int32
	weight []float64

	numInputs int // 0: no map

	// Map rows: the refs of arc a (in order of addition) are
	// refs[arcRefs[a][0]:arcRefs[a][1]], likewise for finals by state.
	arcRefs   [][2]int32
	finalRefs [][2]int32
	refs      []Ref
	err       error
}

// Ref names one input weight that an output weight was computed from, and
// the derivative of the output weight with respect to it.
type Ref struct {
	Input int32   // which input graph of the operation (0 for the first)
	Index int32   // weight index in that input graph (see Graph.NumWeights)
	Coef  float64 // d output / d input
}

// R returns the reference to weight index of input graph input with
// derivative 1, the common case of a weight copied or summed.
func R(input, index int) Ref { return Ref{Input: int32(input), Index: int32(index), Coef: 1} }

// NewBuilder returns a Builder for a graph without a Map.
func NewBuilder() *Builder { return &Builder{start: NoState} }

// NewMapBuilder returns a Builder that records the provenance of weights
// computed from numInputs input graphs.
func NewMapBuilder(numInputs int) *Builder {
	return &Builder{start: NoState, numInputs: numInputs}
}

// AddState adds a non-final state and returns its number.
func (b *Builder) AddState() int {
	b.final = append(b.final, Inf)
	if b.numInputs > 0 {
		b.finalRefs = append(b.finalRefs, [2]int32{})
	}
	return len(b.final) - 1
}

// AddStates adds n non-final states.
func (b *Builder) AddStates(n int) {
	b.final = slices.Grow(b.final, n)
	for range n {
		b.final = append(b.final, Inf)
	}
	if b.numInputs > 0 {
		b.finalRefs = append(b.finalRefs, make([][2]int32, n)...)
	}
}

// NumStates returns the number of states added so far.
func (b *Builder) NumStates() int { return len(b.final) }

// NumArcs returns the number of arcs added so far.
func (b *Builder) NumArcs() int { return len(b.src) }

// SetStart makes s the start state.
func (b *Builder) SetStart(s int) { b.start = int32(s) }

// SetFinal sets the final energy of state s (+Inf makes it non-final), with
// the input weights it was computed from when the builder records a map.
// Setting it again replaces both.
func (b *Builder) SetFinal(s int, w float64, refs ...Ref) {
	if s < 0 || s >= len(b.final) {
		b.fail(fmt.Errorf("graphs: SetFinal: state %d out of range [0,%d)", s, len(b.final)))
		return
	}
	b.final[s] = w
	if b.numInputs > 0 {
		lo := int32(len(b.refs))
		b.refs = append(b.refs, refs...)
		b.finalRefs[s] = [2]int32{lo, int32(len(b.refs))}
	}
}

// AddArc adds an arc, with the input weights its energy was computed from
// when the builder records a map, and returns its index in the order of
// addition.
func (b *Builder) AddArc(src, dst int, ilabel, olabel int32, w float64, refs ...Ref) int {
	b.src = append(b.src, int32(src))
	b.dst = append(b.dst, int32(dst))
	b.ilabel = append(b.ilabel, ilabel)
	b.olabel = append(b.olabel, olabel)
	b.weight = append(b.weight, w)
	if b.numInputs > 0 {
		lo := int32(len(b.refs))
		b.refs = append(b.refs, refs...)
		b.arcRefs = append(b.arcRefs, [2]int32{lo, int32(len(b.refs))})
	}
	return len(b.src) - 1
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Build returns the graph, and its Map when the builder records one (nil
// otherwise). It reports an error if an arc names a state that was not
// added, a label is negative, a weight is NaN, an arc energy is infinite,
// or there are states but no start state. The Builder must not be used
// afterwards.
func (b *Builder) Build() (*Graph, *Map, error) {
	if b.err != nil {
		return nil, nil, b.err
	}
	n := int32(len(b.final))
	if n > 0 && (b.start < 0 || b.start >= n) {
		return nil, nil, fmt.Errorf("graphs: start state %d out of range [0,%d)", b.start, n)
	}
	for s, f := range b.final {
		if math.IsNaN(f) || math.IsInf(f, -1) {
			return nil, nil, fmt.Errorf("graphs: state %d: invalid final energy %v", s, f)
		}
	}
	sorted := true
	for a := range b.src {
		if b.src[a] < 0 || b.src[a] >= n || b.dst[a] < 0 || b.dst[a] >= n {
			return nil, nil, fmt.Errorf("graphs: arc %d (%d -> %d): state out of range [0,%d)", a, b.src[a], b.dst[a], n)
		}
		if b.ilabel[a] < 0 || b.olabel[a] < 0 {
			return nil, nil, fmt.Errorf("graphs: arc %d (%d -> %d): negative label", a, b.src[a], b.dst[a])
		}
		if w := b.weight[a]; math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, nil, fmt.Errorf("graphs: arc %d (%d -> %d): invalid energy %v", a, b.src[a], b.dst[a], w)
		}
		if a > 0 && b.src[a] < b.src[a-1] {
			sorted = false
		}
	}
	g := &Graph{start: b.start, final: b.final}
	if n == 0 {
		g.start = NoState
	}
	var perm []int32 // perm[new] = old, nil when identity
	if sorted {
		g.src, g.dst, g.ilabel, g.olabel, g.weight = b.src, b.dst, b.ilabel, b.olabel, b.weight
	} else {
		perm = sortBySource(b.src, n)
		g.src = permute(b.src, perm)
		g.dst = permute(b.dst, perm)
		g.ilabel = permute(b.ilabel, perm)
		g.olabel = permute(b.olabel, perm)
		g.weight = permute(b.weight, perm)
	}
	g.first = make([]int32, n+1)
	for _, s := range g.src {
		g.first[s+1]++
	}
	for s := int32(0); s < n; s++ {
		g.first[s+1] += g.first[s]
	}
	g.computeProps()

	if b.numInputs == 0 {
		return g, nil, nil
	}
	m := &Map{numInputs: b.numInputs, start: make([]int32, 0, g.NumWeights()+1)}
	m.refs = make([]Ref, 0, len(b.refs))
	row := func(r [2]int32) {
		m.start = append(m.start, int32(len(m.refs)))
		m.refs = append(m.refs, b.refs[r[0]:r[1]]...)
	}
	for i := range g.src {
		old := int32(i)
		if perm != nil {
			old = perm[i]
		}
		row(b.arcRefs[old])
	}
	for s, r := range b.finalRefs {
		if math.IsInf(g.final[s], 1) {
			r = [2]int32{}
		}
		row(r)
	}
	m.start = append(m.start, int32(len(m.refs)))
	for _, r := range m.refs {
		if r.Input < 0 || int(r.Input) >= b.numInputs {
			return nil, nil, fmt.Errorf("graphs: map reference to input %d of %d", r.Input, b.numInputs)
		}
	}
	return g, m, nil
}

// sortBySource returns the stable permutation that sorts arcs by source.
func sortBySource(src []int32, n int32) []int32 {
	count := make([]int32, n+1)
	for _, s := range src {
		count[s+1]++
	}
	for s := int32(0); s < n; s++ {
		count[s+1] += count[s]
	}
	perm := make([]int32, len(src))
	for a, s := range src {
		perm[count[s]] = int32(a)
		count[s]++
	}
	return perm
}

func permute[T any](x []T, perm []int32) []T {
	y := make([]T, len(x))
	for i, p := range perm {
		y[i] = x[p]
	}
	return y
}
