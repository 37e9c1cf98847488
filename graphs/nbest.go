package graphs

import (
	"fmt"
	"slices"
)

// NBest returns the n lowest-energy successful paths of g in order of
// increasing energy: distinct paths (arc sequences), not distinct label
// strings, as OpenFst's fstshortestpath --nshortest=n without --unique.
// Paths of equal energy come in an unspecified but deterministic order. If
// g has fewer than n paths, all of them are returned (none: an empty
// slice). A cyclic graph has infinitely many paths and always yields n.
//
// Preconditions are those of Viterbi: no cycle of negative energy on a
// successful path (ErrNegativeCycle).
//
// The search is best-first over partial paths, ranked by their energy so
// far plus the exact lowest energy to complete them (the tropical reverse
// distance), so every partial path it expands is a prefix of one of the
// paths it returns. The arcs of a state are ranked lazily (a heap per
// state), and each expansion pushes only its best extension and its next
// sibling, so the cost is about O(n·L·log) after one shortest-distance
// pass, for paths of L arcs.
func NBest(g *Graph, n int) ([]Path, error) {
	if n < 0 {
		return nil, fmt.Errorf("graphs: NBest: n = %d, want n >= 0", n)
	}
	h, _, err := bestSuffixes(g)
	if err != nil {
		return nil, fmt.Errorf("graphs: NBest: %w", err)
	}
	paths := []Path{}
	if n == 0 || len(h) == 0 || h[g.start] == Inf {
		return paths, nil
	}
	s := nbestSearch{g: g, h: h, cands: make([][]nbestCand, len(h)), candHeap: make([]int32, len(h))}
	if c, ok := s.cand(int(g.start), 0); ok {
		s.push(nbestEntry{key: c.key, prefix: -1, state: g.start})
	}
	for len(s.queue) > 0 && len(paths) < n {
		e := s.pop()
		c, _ := s.cand(int(e.state), int(e.rank))
		if next, ok := s.cand(int(e.state), int(e.rank)+1); ok {
			sib := e
			sib.rank++
			sib.key = e.energy + next.key
			s.push(sib)
		}
		if c.arc < 0 {
			paths = append(paths, s.path(e.prefix, e.state, e.energy+g.final[e.state]))
			continue
		}
		t := g.dst[c.arc]
		first, ok := s.cand(int(t), 0)
		if !ok {
			continue // cannot happen: h[t] is finite
		}
		energy := e.energy + g.weight[c.arc]
		s.nodes = append(s.nodes, nbestNode{parent: e.prefix, arc: c.arc})
		s.push(nbestEntry{key: energy + first.key, energy: energy, prefix: int32(len(s.nodes) - 1), state: t})
	}
	return paths, nil
}

// nbestCand is a way to continue from a state: an arc (whose key is its
// energy plus the best energy from its destination) or, with arc -1,
// stopping there (key: the final energy).
type nbestCand struct {
	key float64
	arc int32
}

// nbestEntry is a partial path (prefix, ending at state, of the given
// energy) together with its rank-th best continuation; key is the energy
// of the best path that continues that way.
type nbestEntry struct {
	key    float64
	energy float64
	seq    int64 // insertion order: ties are popped first in, first out
	prefix int32 // node of the partial path, -1 for the empty path
	state  int32
	rank   int32
}

// nbestNode is a partial path: its last arc and the node of the rest.
type nbestNode struct {
	parent int32
	arc    int32
}

type nbestSearch struct {
	g     *Graph
	h     []float64 // lowest energy from each state to a final state
	nodes []nbestNode
	queue []nbestEntry // binary heap by (key, seq)
	seq   int64

	// The continuations of state q, once built, are cands[q]: a min-heap
	// in cands[q][:candHeap[q]] and, after it, those already taken from
	// the heap, in decreasing order of key, so that the one of rank r is
	// at len(cands[q])-1-r. They are carved from arena, a chunk of free
	// space, so that building them allocates little.
	cands    [][]nbestCand
	candHeap []int32
	arena    []nbestCand
}

func candLess(a, b nbestCand) bool {
	return a.key < b.key || (a.key == b.key && a.arc < b.arc)
}

// cand returns the continuation of rank r (0 = best) of state q.
func (s *nbestSearch) cand(q, r int) (nbestCand, bool) {
	c := s.cands[q]
	if c == nil {
		c = s.buildCands(q)
	}
	hp := int(s.candHeap[q])
	for len(c)-hp <= r {
		if hp == 0 {
			return nbestCand{}, false
		}
		// Move the heap's minimum to the sorted tail.
		top := c[0]
		hp--
		c[0] = c[hp]
		if hp > 0 {
			siftDownCands(c[:hp], 0)
		}
		c[hp] = top
		s.candHeap[q] = int32(hp)
	}
	return c[len(c)-1-r], true
}

func (s *nbestSearch) buildCands(q int) []nbestCand {
	g := s.g
	lo, hi := g.first[q], g.first[q+1]
	n := 0
	if g.final[q] != Inf {
		n++
	}
	for _, t := range g.dst[lo:hi] {
		if s.h[t] != Inf {
			n++
		}
	}
	if n > len(s.arena) {
		s.arena = make([]nbestCand, max(n, 1<<14))
	}
	c := s.arena[:0:n]
	s.arena = s.arena[n:]
	if f := g.final[q]; f != Inf {
		c = append(c, nbestCand{key: f, arc: -1})
	}
	for a := lo; a < hi; a++ {
		if ht := s.h[g.dst[a]]; ht != Inf {
			c = append(c, nbestCand{key: g.weight[a] + ht, arc: a})
		}
	}
	for i := len(c)/2 - 1; i >= 0; i-- {
		siftDownCands(c, i)
	}
	if len(c) == 0 {
		c = []nbestCand{} // not nil: built
	}
	s.cands[q] = c
	s.candHeap[q] = int32(len(c))
	return c
}

func siftDownCands(h []nbestCand, i int) {
	x := h[i]
	for {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && candLess(h[c+1], h[c]) {
			c++
		}
		if !candLess(h[c], x) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}

func entryLess(a, b *nbestEntry) bool {
	return a.key < b.key || (a.key == b.key && a.seq < b.seq)
}

func (s *nbestSearch) push(e nbestEntry) {
	e.seq = s.seq
	s.seq++
	s.queue = append(s.queue, e)
	q := s.queue
	i := len(q) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !entryLess(&e, &q[parent]) {
			break
		}
		q[i] = q[parent]
		i = parent
	}
	q[i] = e
}

func (s *nbestSearch) pop() nbestEntry {
	q := s.queue
	top := q[0]
	last := q[len(q)-1]
	q = q[:len(q)-1]
	s.queue = q
	if len(q) == 0 {
		return top
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= len(q) {
			break
		}
		if c+1 < len(q) && entryLess(&q[c+1], &q[c]) {
			c++
		}
		if !entryLess(&q[c], &last) {
			break
		}
		q[i] = q[c]
		i = c
	}
	q[i] = last
	return top
}

// path returns the path of node prefix, ending at final state q.
func (s *nbestSearch) path(prefix, q int32, energy float64) Path {
	var arcs []int32
	for v := prefix; v >= 0; v = s.nodes[v].parent {
		arcs = append(arcs, s.nodes[v].arc)
	}
	slices.Reverse(arcs)
	return Path{Energy: energy, Arcs: arcs, Final: q}
}
