package graphs

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Compose returns the composition of the weighted transducers a and b: a
// path of the result reads x and writes z with the energy E_a(x:y) +
// E_b(y:z) for every pair of a path of a reading x and writing y and a path
// of b reading y and writing z. The energy of the result's paths from x to z
// combine, in either semiring, to the composition of the weighted relations,
// exactly as OpenFst's Compose (fstcompose) with its default filter.
//
// Epsilons: an output epsilon of a and an input epsilon of b are matched
// with "staying put" in the other graph, never with each other, and the
// epsilon moves between two matched symbols are ordered, those of a before
// those of b (OpenFst's sequence filter). So every pair of paths appears as
// exactly one path of the result, and log-semiring sums count each pair
// once.
//
// Only the states reachable from the start pair are built, with memory
// proportional to the result (a hash table of the visited state pairs),
// and the result is then trimmed to the states that reach a final state
// (OpenFst's fstcompose connects by default). Its states are numbered in
// breadth-first order from the start, which is state 0. When no path
// succeeds the result is the empty graph, without states.
//
// The Map has two inputs, a (input 0) and b (input 1). An arc of the result
// refers to the arc of a and the arc of b it matches, or to the one arc of a
// (input epsilon move of b's side staying put) or of b it moves along; a
// final energy refers to the final energies of both states.
//
// Neither graph needs to be arc-sorted: Compose sorts b's arcs by input
// label internally when b lacks the ILabelSorted property (and a's by
// output label when that makes matching cheaper). Giving it sorted graphs
// (see ArcSort) saves that work when the same graph is composed many times.
func Compose(a, b *Graph) (*Graph, *Map, error) {
	if a == nil || b == nil {
		return nil, nil, errors.New("graphs: Compose: nil graph")
	}
	g, m, err := compose(a, b)
	if err != nil {
		return nil, nil, fmt.Errorf("graphs: Compose: %w", err)
	}
	return g, m, nil
}

// Intersect returns the intersection of the weighted acceptors a and b: the
// acceptor of the strings both accept, with the sum of their energies. It is
// Compose restricted to acceptors, and returns the same Map (inputs a and
// b). It reports an error if a or b is not an acceptor.
func Intersect(a, b *Graph) (*Graph, *Map, error) {
	if a == nil || b == nil {
		return nil, nil, errors.New("graphs: Intersect: nil graph")
	}
	if !a.IsAcceptor() {
		return nil, nil, errors.New("graphs: Intersect: first graph is not an acceptor")
	}
	if !b.IsAcceptor() {
		return nil, nil, errors.New("graphs: Intersect: second graph is not an acceptor")
	}
	g, m, err := compose(a, b)
	if err != nil {
		return nil, nil, fmt.Errorf("graphs: Intersect: %w", err)
	}
	return g, m, nil
}

// maxComposeSize bounds the states and arcs of a composition, whose ids
// are int32.
const maxComposeSize = math.MaxInt32 - 1

// A composer holds the state of one composition.
//
// A state of the result is a triple (s1, s2, f) of a state of a, a state of
// b and a filter state, packed into a uint64 key (see packState). The
// filter state f is 1 after an input-epsilon move of b from a state s1 that
// has output-epsilon arcs: a may not move on an output epsilon again before
// the next matched symbol.
type composer struct {
	a, b *Graph

	// a's arcs (by output label) and b's arcs (by input label), possibly
	// reordered: arc i of a view is arc orig[i] of the graph (orig is nil
	// for the identity). bView is always sorted; aView when aSorted.
	aLab, aDst, aOrig []int32
	aSorted           bool
	bLab, bDst, bOrig []int32

	// aFlags[s1] are the epsilon facts of a's state s1 used by the
	// filter; nil when b has no input epsilons (they are then unused).
	aFlags []uint8

	keys  []uint64 // keys[s] is the packed triple of result state s
	table stateTable

	// Arcs of the result, in order of their source state: those of
	// state s are first[s] <= i < first[s+1].
	first []int32
	dst   []int32
	pair  []arcPair // view indices of the arcs of a and b, -1 for none

	pend []uint64 // keys of the destinations of the arcs to resolve
	sink uint64   // keeps the loads of resolve alive

	err error
}

// arcPair names the arcs of a and b (indices into the views) that a result
// arc combines; -1 when that side stays put.
type arcPair struct{ a, b int32 }

const (
	flagOEps   = 1 << iota // the state of a has output-epsilon arcs
	flagAllEps             // ... and only those, and is not final
)

// packState packs a triple of the result into a key. States are below
// 2^31, so s1 takes bits 33-63, s2 bits 1-32 and the filter state bit 0.
func packState(s1, s2 int32, f uint64) uint64 {
	return uint64(uint32(s1))<<33 | uint64(uint32(s2))<<1 | f
}

func unpackState(k uint64) (s1, s2 int32, f uint64) {
	return int32(k >> 33), int32(uint32(k >> 1)), k & 1
}

func compose(a, b *Graph) (*Graph, *Map, error) {
	if a.NumStates() == 0 || b.NumStates() == 0 {
		return emptyGraph(), &Map{numInputs: 2, start: []int32{0}}, nil
	}
	c := &composer{a: a, b: b}
	c.prepare()
	c.expand()
	if c.err != nil {
		return nil, nil, c.err
	}
	g, m := c.result()
	return g, m, nil
}

// prepare sets up the arc views, the filter flags and the state table.
func (c *composer) prepare() {
	a, b := c.a, c.b
	if perm := arcSortPerm(b, ByILabel, false); perm != nil {
		c.bLab, c.bDst, c.bOrig = permute(b.ilabel, perm), permute(b.dst, perm), perm
	} else {
		c.bLab, c.bDst = b.ilabel, b.dst
	}
	// Sorting a lets a state pair loop over b's arcs and search a's, which
	// is cheaper when a's states have more arcs than b's.
	c.aLab, c.aDst = a.olabel, a.dst
	switch {
	case a.Has(OLabelSorted):
		c.aSorted = true
	case int64(a.NumArcs())*int64(b.NumStates()) > int64(b.NumArcs())*int64(a.NumStates()):
		perm := arcSortPerm(a, ByOLabel, false)
		c.aLab, c.aDst, c.aOrig = permute(a.olabel, perm), permute(a.dst, perm), perm
		c.aSorted = true
	}
	if !b.Has(NoIEpsilons) {
		c.aFlags = make([]uint8, a.NumStates())
		for s := range c.aFlags {
			lo, hi := a.first[s], a.first[s+1]
			ne := int32(0)
			for _, l := range a.olabel[lo:hi] {
				if l == Epsilon {
					ne++
				}
			}
			var f uint8
			if ne > 0 {
				f |= flagOEps
			}
			if ne == hi-lo && math.IsInf(a.final[s], 1) {
				f |= flagAllEps
			}
			c.aFlags[s] = f
		}
	}
	c.table.init(2 * max(a.NumStates(), b.NumStates()))
	c.keys = make([]uint64, 0, max(a.NumStates(), b.NumStates()))
	n := max(a.NumArcs(), b.NumArcs())
	c.dst = make([]int32, 0, n)
	c.pair = make([]arcPair, 0, n)
}

// expand builds the states reachable from the start pair, breadth first,
// and their arcs.
func (c *composer) expand() {
	a, b := c.a, c.b
	startKey := packState(a.start, b.start, 0)
	c.table.lookup(startKey, 0)
	c.keys = append(c.keys, startKey)
	aFirst, bFirst := a.first, b.first
	aLab, aDst, bLab, bDst := c.aLab, c.aDst, c.bLab, c.bDst
	for s := 0; ; s++ {
		// Number the destinations of the previous state's arcs, which
		// may add states to expand.
		c.resolve()
		if s == len(c.keys) {
			break
		}
		c.first = appendGrow(c.first, int32(len(c.dst)))
		if len(c.dst) > maxComposeSize {
			c.err = fmt.Errorf("result has more than %d arcs", maxComposeSize)
			return
		}
		s1, s2, f := unpackState(c.keys[s])
		lo1, hi1 := aFirst[s1], aFirst[s1+1]
		lo2, hi2 := bFirst[s2], bFirst[s2+1]

		// b moves on an input epsilon, a stays put: allowed unless a
		// could then never move again; after it, a may not move on an
		// output epsilon (if it has any) before the next match.
		e2 := lo2
		for e2 < hi2 && bLab[e2] == Epsilon {
			e2++
		}
		if e2 > lo2 {
			if fl := c.aFlags[s1]; fl&flagAllEps == 0 {
				nf := uint64(fl & flagOEps)
				for j := lo2; j < e2; j++ {
					c.add(packState(s1, bDst[j], nf), -1, j)
				}
			}
		}

		if !c.aSorted || hi1-lo1 <= hi2-e2 {
			// Loop over a's arcs, binary search b's.
			lo := e2
			for i := lo1; i < hi1; i++ {
				l := aLab[i]
				if l == Epsilon {
					// a moves on an output epsilon, b stays put.
					if f == 0 {
						c.add(packState(aDst[i], s2, 0), i, -1)
					}
					continue
				}
				j := searchLabel(bLab, lo, hi2, l)
				if c.aSorted {
					lo = j
				}
				d1 := aDst[i]
				for ; j < hi2 && bLab[j] == l; j++ {
					c.add(packState(d1, bDst[j], 0), i, j)
				}
			}
			continue
		}

		// Loop over b's arcs, binary search a's (sorted).
		e1 := lo1
		for ; e1 < hi1 && aLab[e1] == Epsilon; e1++ {
			if f == 0 {
				c.add(packState(aDst[e1], s2, 0), e1, -1)
			}
		}
		lo := e1
		for j := e2; j < hi2; j++ {
			l := bLab[j]
			i := searchLabel(aLab, lo, hi1, l)
			lo = i
			d2 := bDst[j]
			for ; i < hi1 && aLab[i] == l; i++ {
				c.add(packState(aDst[i], d2, 0), i, j)
			}
		}
	}
	c.first = append(c.first, int32(len(c.dst)))
}

// searchLabel returns the first index i in [lo, hi) with lab[i] >= l, or hi.
func searchLabel(lab []int32, lo, hi, l int32) int32 {
	for lo < hi {
		m := int32(uint32(lo+hi) >> 1)
		if lab[m] < l {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// add adds an arc from the state being expanded to the state with key
// (see resolve), combining the arcs i of aView and j of bView.
func (c *composer) add(key uint64, i, j int32) {
	c.pend = append(c.pend, key)
	c.pair = appendGrow(c.pair, arcPair{i, j})
}

// resolve numbers the destinations of the arcs added since the last call,
// creating the states that are new.
//
// The table lookups, random accesses to a large table, dominate the time of
// a composition. Touching all their slots before the lookups lets the
// processor overlap the cache misses instead of waiting for each in turn.
func (c *composer) resolve() {
	t := &c.table
	var sink uint64
	for _, key := range c.pend {
		sink += t.slots[t.index(key)].key
	}
	c.sink += sink
	for _, key := range c.pend {
		id, isNew := t.lookup(key, int32(len(c.keys)))
		if isNew {
			if len(c.keys) >= maxComposeSize {
				c.err = fmt.Errorf("result has more than %d states", maxComposeSize)
			}
			c.keys = appendGrow(c.keys, key)
		}
		c.dst = appendGrow(c.dst, id)
	}
	c.pend = c.pend[:0]
}

// appendGrow appends x to s, doubling the capacity when it is full (append
// grows large slices by a quarter only, copying them more often).
func appendGrow[T any](s []T, x T) []T {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(len(s), 256))
	}
	return append(s, x)
}

// result trims the expanded states to those that reach a final state and
// returns the graph and its Map.
func (c *composer) result() (*Graph, *Map) {
	a, b := c.a, c.b
	n := len(c.keys)
	final := make([]float64, n)
	for s, k := range c.keys {
		s1, s2, _ := unpackState(k)
		final[s] = a.final[s1] + b.final[s2] // +Inf unless both are final
	}
	co := coAccessible(c.first, c.dst, final)
	if !co[0] {
		return emptyGraph(), &Map{numInputs: 2, start: []int32{0}}
	}

	// Number the kept states and count the kept arcs and map entries.
	newID := make([]int32, n)
	ns, na, nrefs := int32(0), 0, 0
	for s := range n {
		if !co[s] {
			newID[s] = -1
			continue
		}
		newID[s] = ns
		ns++
		if !math.IsInf(final[s], 1) {
			nrefs += 2
		}
		for i := c.first[s]; i < c.first[s+1]; i++ {
			if co[c.dst[i]] {
				na++
				nrefs++
				if p := c.pair[i]; p.a >= 0 && p.b >= 0 {
					nrefs++
				}
			}
		}
	}

	g := &Graph{
		start:  0,
		final:  make([]float64, ns),
		first:  make([]int32, ns+1),
		src:    make([]int32, na),
		dst:    make([]int32, na),
		ilabel: make([]int32, na),
		olabel: make([]int32, na),
		weight: make([]float64, na),
	}
	m := &Map{numInputs: 2, start: make([]int32, na+int(ns)+1), refs: make([]Ref, nrefs)}
	aOrig, bOrig := c.aOrig, c.bOrig
	k, r := 0, int32(0) // next arc, next ref
	for s := range n {
		t := newID[s]
		if t < 0 {
			continue
		}
		g.first[t] = int32(k)
		for i := c.first[s]; i < c.first[s+1]; i++ {
			d := newID[c.dst[i]]
			if d < 0 {
				continue
			}
			g.src[k], g.dst[k] = t, d
			m.start[k] = r
			p := c.pair[i]
			var il, ol int32
			var w float64
			if p.a >= 0 {
				ia := p.a
				if aOrig != nil {
					ia = aOrig[ia]
				}
				il, w = a.ilabel[ia], a.weight[ia]
				m.refs[r] = Ref{Input: 0, Index: ia, Coef: 1}
				r++
			}
			if p.b >= 0 {
				jb := p.b
				if bOrig != nil {
					jb = bOrig[jb]
				}
				ol, w = b.olabel[jb], w+b.weight[jb]
				m.refs[r] = Ref{Input: 1, Index: jb, Coef: 1}
				r++
			}
			g.ilabel[k], g.olabel[k], g.weight[k] = il, ol, w
			k++
		}
	}
	g.first[ns] = int32(k)
	for s := range n {
		t := newID[s]
		if t < 0 {
			continue
		}
		m.start[na+int(t)] = r
		g.final[t] = final[s]
		if !math.IsInf(final[s], 1) {
			s1, s2, _ := unpackState(c.keys[s])
			m.refs[r] = Ref{Input: 0, Index: int32(a.FinalIndex(int(s1))), Coef: 1}
			m.refs[r+1] = Ref{Input: 1, Index: int32(b.FinalIndex(int(s2))), Coef: 1}
			r += 2
		}
	}
	m.start[na+int(ns)] = r
	g.computeProps()
	return g, m
}

// A stateTable maps the packed triples of the result's states to their
// numbers: an open-addressing hash table with linear probing on uint64
// keys, which is several times faster than a Go map for this use.
type stateTable struct {
	slots []tableSlot // length a power of two, at most half full
	shift uint        // 64 - log2(len(slots))
	n     int
}

type tableSlot struct {
	key uint64
	id  int32 // state number + 1; 0 marks an empty slot
}

// init makes an empty table for about hint keys.
func (t *stateTable) init(hint int) {
	size := 64
	for size < 2*hint {
		size <<= 1
	}
	t.slots = make([]tableSlot, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.n = 0
}

// hashKey spreads a key over the table (Fibonacci hashing: the high bits
// of the product depend on all the bits of the key).
func (t *stateTable) index(key uint64) uint64 {
	return (key * 0x9E3779B97F4A7C15) >> t.shift
}

// lookup returns the number of the state with key; if there is none, it
// inserts key with number next and returns next, true.
func (t *stateTable) lookup(key uint64, next int32) (int32, bool) {
	mask := uint64(len(t.slots) - 1)
	for i := t.index(key); ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.id == 0 {
			sl.key, sl.id = key, next+1
			t.n++
			if 2*t.n > len(t.slots) {
				t.grow()
			}
			return next, true
		}
		if sl.key == key {
			return sl.id - 1, false
		}
	}
}

// grow doubles the table.
func (t *stateTable) grow() {
	old := t.slots
	t.slots = make([]tableSlot, 2*len(old))
	t.shift--
	mask := uint64(len(t.slots) - 1)
	for _, sl := range old {
		if sl.id == 0 {
			continue
		}
		i := t.index(sl.key)
		for t.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = sl
	}
}
