package graphs

// This file holds the label operations (projection, inversion, relabeling)
// and reversal.

import (
	"fmt"
	"math"
)

// ProjectType selects the side kept by Project.
type ProjectType int

const (
	// ProjectInput copies input labels to output labels.
	ProjectInput ProjectType = iota
	// ProjectOutput copies output labels to input labels.
	ProjectOutput
)

// String returns "input" or "output".
func (p ProjectType) String() string {
	if p == ProjectOutput {
		return "output"
	}
	return "input"
}

// identityMap returns the Map of a one-input operation whose output
// weights are the weights of g, in the same order. As with a Builder, the
// rows of non-final states are empty.
func identityMap(g *Graph) *Map {
	nw := g.NumWeights()
	m := &Map{numInputs: 1, start: make([]int32, nw+1), refs: make([]Ref, 0, nw)}
	for j := range nw {
		if j < len(g.src) || !math.IsInf(g.final[j-len(g.src)], 1) {
			m.refs = append(m.refs, Ref{Index: int32(j), Coef: 1})
		}
		m.start[j+1] = int32(len(m.refs))
	}
	return m
}

// Project returns the acceptor of the input (ProjectInput) or output
// (ProjectOutput) side of g, as OpenFst's Project, and its Map, which is
// the identity: states, arcs and weights keep their numbers. The result
// shares all slices but one label slice with g; it costs no copy of the
// graph.
func Project(g *Graph, typ ProjectType) (*Graph, *Map) {
	h := *g
	p := g.props &^ (ILabelSorted | OLabelSorted | NoIEpsilons | NoOEpsilons)
	if typ == ProjectOutput {
		h.ilabel = g.olabel
		if g.Has(OLabelSorted) {
			p |= ILabelSorted | OLabelSorted
		}
		if g.Has(NoOEpsilons) {
			p |= NoIEpsilons | NoOEpsilons
		}
	} else {
		h.olabel = g.ilabel
		if g.Has(ILabelSorted) {
			p |= ILabelSorted | OLabelSorted
		}
		if g.Has(NoIEpsilons) {
			p |= NoIEpsilons | NoOEpsilons
		}
	}
	h.props = p | Acceptor
	return &h, identityMap(g)
}

// Invert returns the inverse of g, whose arcs have their input and output
// labels swapped, as OpenFst's Invert, and its Map, which is the identity.
// The result shares all slices with g.
func Invert(g *Graph) (*Graph, *Map) {
	h := *g
	h.ilabel, h.olabel = g.olabel, g.ilabel
	p := g.props &^ (ILabelSorted | OLabelSorted | NoIEpsilons | NoOEpsilons)
	if g.Has(ILabelSorted) {
		p |= OLabelSorted
	}
	if g.Has(OLabelSorted) {
		p |= ILabelSorted
	}
	if g.Has(NoIEpsilons) {
		p |= NoOEpsilons
	}
	if g.Has(NoOEpsilons) {
		p |= NoIEpsilons
	}
	h.props = p
	return &h, identityMap(g)
}

// Relabel returns g with its input labels replaced through imap and its
// output labels through omap, and its Map, which is the identity. Labels
// that are not keys of a map (or a nil map) are kept, as in OpenFst's
// Relabel; epsilon (0) is relabeled too if it is a key. A map value that is
// negative is an error.
func Relabel(g *Graph, imap, omap map[int32]int32) (*Graph, *Map, error) {
	h := *g
	var err error
	if h.ilabel, err = relabel(g.ilabel, imap); err != nil {
		return nil, nil, fmt.Errorf("graphs: Relabel: input %w", err)
	}
	if h.olabel, err = relabel(g.olabel, omap); err != nil {
		return nil, nil, fmt.Errorf("graphs: Relabel: output %w", err)
	}
	h.computeProps()
	return &h, identityMap(g), nil
}

// relabel returns labels mapped through m, or labels itself when m is
// empty.
func relabel(labels []int32, m map[int32]int32) ([]int32, error) {
	if len(m) == 0 {
		return labels, nil
	}
	for from, to := range m {
		if to < 0 {
			return nil, fmt.Errorf("label %d maps to negative label %d", from, to)
		}
	}
	out := make([]int32, len(labels))
	for a, l := range labels {
		if to, ok := m[l]; ok {
			l = to
		}
		out[a] = l
	}
	return out, nil
}

// Reverse returns the reversal of g, whose successful paths are those of g
// read backwards with the same energies, and its Map.
//
// It is OpenFst's Reverse with a super-initial state (fstreverse's
// default): state 0 is a new start state, state s+1 is state s of g. The new
// start state has an epsilon arc to state s+1 for every final state s of g,
// carrying the final energy of s; the old start state (plus one) is the only
// final state, with energy 0; every arc u -> v of g becomes an arc
// v+1 -> u+1 with the same labels and energy. The arcs of a state keep the
// order of their arc numbers in g. The reversal of the empty graph has one
// state, which is not final.
func Reverse(g *Graph) (*Graph, *Map) {
	n := g.NumStates()
	b := newAssembler(1, n+1, g.NumArcs()+countFinals(g))
	b.start = 0
	for s, f := range g.final {
		if f != Inf {
			b.arc(0, int32(s)+1, Epsilon, Epsilon, f, R(0, g.FinalIndex(s)))
		}
	}
	if n > 0 {
		for _, a := range sortBySource(g.dst, int32(n)) {
			b.arc(g.dst[a]+1, g.src[a]+1, g.ilabel[a], g.olabel[a], g.weight[a], R(0, int(a)))
		}
		b.setFinal(g.start+1, 0, noRef)
	}
	return b.build()
}
