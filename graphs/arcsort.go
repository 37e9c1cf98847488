package graphs

import (
	"cmp"
	"slices"
)

// SortKey selects the label that ArcSort sorts arcs by.
type SortKey int

const (
	// ByILabel sorts the arcs of each state by input label.
	ByILabel SortKey = iota
	// ByOLabel sorts the arcs of each state by output label.
	ByOLabel
)

// String returns "ilabel" or "olabel".
func (k SortKey) String() string {
	if k == ByOLabel {
		return "olabel"
	}
	return "ilabel"
}

// property returns the graph property that sorting by k establishes.
func (k SortKey) property() Properties {
	if k == ByOLabel {
		return OLabelSorted
	}
	return ILabelSorted
}

// labels returns the labels of g's arcs that k sorts by, first and
// second.
func (k SortKey) labels(g *Graph) (first, second []int32) {
	if k == ByOLabel {
		return g.olabel, g.ilabel
	}
	return g.ilabel, g.olabel
}

// ArcSort returns g with the arcs of each state sorted by the label that by
// selects, then by the other label (as OpenFst's fstarcsort), and the Map
// of this permutation of the arcs (final energies are unchanged). The sort
// is stable: arcs with equal labels keep their order. The result has the
// ILabelSorted or OLabelSorted property.
//
// When g already is sorted that way, ArcSort returns g itself (graphs are
// immutable) with an identity Map.
func ArcSort(g *Graph, by SortKey) (*Graph, *Map) {
	var s arcSorter
	perm := s.perm(g, by, true)
	if perm == nil {
		return g, identityMap(g)
	}
	return permuteArcs(g, perm), selectMap(g, perm, nil)
}

// An arcSorter sorts arcs, keeping its buffers from one use to the next.
type arcSorter struct {
	buf   []int32
	items []sortItem
}

// A sortItem is an arc to sort: its sort key and its index, which breaks
// ties so that an unstable sort of items is stable for arcs.
type sortItem struct {
	key int64
	arc int32
}

// perm returns the stable permutation of g's arcs (perm[new] = old) that
// sorts the arcs of each state by the labels that by selects (and then by
// the other label if both), or nil when they already are sorted. The slice
// is s's and is valid until its next use.
func (s *arcSorter) perm(g *Graph, by SortKey, both bool) []int32 {
	if !both && g.Has(by.property()) {
		return nil
	}
	lab1, lab2 := by.labels(g)
	key := func(a int32) int64 { return int64(lab1[a]) << 32 }
	if both {
		key = func(a int32) int64 { return int64(lab1[a])<<32 | int64(lab2[a]) }
	}
	var perm []int32
	for st := range g.NumStates() {
		lo, hi := g.first[st], g.first[st+1]
		sorted := true
		for a := lo + 1; a < hi; a++ {
			if key(a-1) > key(a) {
				sorted = false
				break
			}
		}
		if sorted {
			continue
		}
		if perm == nil {
			perm = slices.Grow(s.buf[:0], g.NumArcs())[:g.NumArcs()]
			for a := range perm {
				perm[a] = int32(a)
			}
			s.buf = perm
		}
		p := perm[lo:hi]
		if len(p) <= 12 {
			// Insertion sort: stable, and fastest for the few arcs
			// most states have.
			for i := 1; i < len(p); i++ {
				x := p[i]
				kx := key(x)
				j := i
				for ; j > 0 && key(p[j-1]) > kx; j-- {
					p[j] = p[j-1]
				}
				p[j] = x
			}
			continue
		}
		items := s.items[:0]
		for _, a := range p {
			items = append(items, sortItem{key(a), a})
		}
		slices.SortFunc(items, func(x, y sortItem) int {
			return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.arc, y.arc))
		})
		for i, it := range items {
			p[i] = it.arc
		}
		s.items = items
	}
	return perm
}

// permuteArcs returns g with its arcs reordered by perm (perm[new] = old),
// which must keep every arc among the arcs of its source state.
func permuteArcs(g *Graph, perm []int32) *Graph {
	h := &Graph{
		start:  g.start,
		final:  g.final,
		first:  g.first,
		src:    g.src,
		dst:    permute(g.dst, perm),
		ilabel: permute(g.ilabel, perm),
		olabel: permute(g.olabel, perm),
		weight: permute(g.weight, perm),
	}
	h.computeProps()
	return h
}
