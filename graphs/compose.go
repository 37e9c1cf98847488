package graphs

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// Compose returns the composition of the weighted transducers a and b: a
// path of the result reads x and writes z with the energy E_a(x:y) +
// E_b(y:z) for every pair of a path of a reading x and writing y and a path
// of b reading y and writing z. The energies of the result's paths from x to
// z combine, in either semiring, to the composition of the weighted relations,
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
// refers to the arc of a and the arc of b that it combines, or to just one
// of them for an epsilon move, where the other graph stays put; a final
// energy refers to the final energies of both states.
//
// Neither graph needs to be arc-sorted. Compose sorts b's arcs by input
// label when b lacks the ILabelSorted property, and a's by output label
// when a lacks OLabelSorted and has more arcs per state than b (a state
// pair then loops over b's arcs and searches a's). That costs time and
// memory in proportion to the graph, on every call: sort a graph that is
// composed many times, such as a grammar, once with ArcSort. Labels are
// found by binary search, or through a direct index for the states of b
// that have arcs for most labels.
//
// Compose is safe for concurrent use; its scratch memory is recycled
// between calls.
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

	// Buffers of the views.
	aSort, bSort                       arcSorter
	aLabBuf, aDstBuf, bLabBuf, bDstBuf []int32

	// Dense label rows of b's states, made on first use for the states
	// that have arcs for many of the labels up to their largest: row
	// rowOff[s2] of rows, valid when rowStamp[s2] == gen, holds for every
	// label l up to the largest the first arc of s2 (in bView) with a
	// label >= l, and then the end of s2's arcs; rowOff[s2] < 0 when s2's
	// labels are too sparse for a row (binary search then). These
	// buffers outlive a composition (see composerPool), hence the stamps.
	rows     []int32
	rowOff   []int32
	rowStamp []uint32
	gen      uint32

	table stateTable // the states of the result

	// Arcs of the result, in order of their source state: those of
	// state s are first[s] <= i < first[s+1].
	first []int32
	dst   []int32
	pair  []arcPair // view indices of the arcs of a and b, -1 for none
	nBoth int       // number of arcs that match an arc of a with one of b

	pend []uint64 // keys of the destinations of the arcs to resolve

	// Buffers of result.
	final []float64
	newID []int32
	co    []bool

	err error
}

// arcPair names the arcs of a and b (indices into the views) that a result
// arc combines; -1 when that side stays put.
type arcPair struct{ a, b int32 }

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
	c := composerPool.Get().(*composer)
	defer c.release()
	c.a, c.b = a, b
	c.prepare()
	c.expand()
	if c.err != nil {
		return nil, nil, c.err
	}
	return c.result()
}

// composerPool recycles the scratch memory of compositions (the state
// table, the states and arcs before trimming), which is as large as the
// result: compositions of similar sizes, as in training, then allocate
// little more than their results.
var composerPool = sync.Pool{New: func() any { return new(composer) }}

// release clears c, keeping its buffers, and returns it to composerPool.
func (c *composer) release() {
	c.table.clear()
	*c = composer{
		aSort:    c.aSort,
		bSort:    c.bSort,
		aLabBuf:  c.aLabBuf,
		aDstBuf:  c.aDstBuf,
		bLabBuf:  c.bLabBuf,
		bDstBuf:  c.bDstBuf,
		table:    c.table,
		rows:     c.rows[:0],
		rowOff:   c.rowOff,
		rowStamp: c.rowStamp,
		gen:      c.gen,
		first:    c.first[:0],
		dst:      c.dst[:0],
		pair:     c.pair[:0],
		pend:     c.pend[:0],
		final:    c.final[:0],
		newID:    c.newID[:0],
		co:       c.co[:0],
	}
	composerPool.Put(c)
}

// prepare sets up the arc views, the dense rows and the state table.
func (c *composer) prepare() {
	a, b := c.a, c.b
	if perm := c.bSort.perm(b, ByILabel, false); perm != nil {
		c.bLabBuf, c.bDstBuf = gatherInto(c.bLabBuf, b.ilabel, perm), gatherInto(c.bDstBuf, b.dst, perm)
		c.bLab, c.bDst, c.bOrig = c.bLabBuf, c.bDstBuf, perm
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
		perm := c.aSort.perm(a, ByOLabel, false)
		c.aLabBuf, c.aDstBuf = gatherInto(c.aLabBuf, a.olabel, perm), gatherInto(c.aDstBuf, a.dst, perm)
		c.aLab, c.aDst, c.aOrig = c.aLabBuf, c.aDstBuf, perm
		c.aSorted = true
	}
	c.gen++
	if c.gen == 0 { // wrapped around: forget all stamps
		clear(c.rowStamp)
		c.gen = 1
	}
	if n := b.NumStates(); len(c.rowStamp) < n {
		c.rowStamp = slices.Grow(c.rowStamp[:0], n)[:n]
		c.rowOff = slices.Grow(c.rowOff[:0], n)[:n]
		clear(c.rowStamp)
	}
	c.rows = c.rows[:0]
	c.table.init(2 * max(a.NumStates(), b.NumStates()))
}

// expand builds the states reachable from the start pair, breadth first,
// and their arcs.
func (c *composer) expand() {
	a, b := c.a, c.b
	c.table.lookup(packState(a.start, b.start, 0))
	aFirst, bFirst := a.first, b.first
	aLab, aDst, bLab, bDst := c.aLab, c.aDst, c.bLab, c.bDst
	for s := 0; ; s++ {
		// Number the destinations of the previous state's arcs, which
		// may add states to expand.
		c.resolve()
		if s == len(c.table.keys) {
			break
		}
		if len(c.first) == cap(c.first) {
			c.first = reserve(c.first)
		}
		c.first = append(c.first, int32(len(c.dst)))
		if len(c.dst) > maxComposeSize {
			c.err = fmt.Errorf("result has more than %d arcs", maxComposeSize)
			return
		}
		s1, s2, f := unpackState(c.table.keys[s])
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
			ne1 := int32(0) // a's output epsilons
			for _, l := range aLab[lo1:hi1] {
				if l == Epsilon {
					ne1++
				}
			}
			if ne1 < hi1-lo1 || !math.IsInf(a.final[s1], 1) {
				nf := uint64(0)
				if ne1 > 0 {
					nf = 1
				}
				for j := lo2; j < e2; j++ {
					c.add(packState(s1, bDst[j], nf), -1, j)
				}
			}
		}

		if !c.aSorted || hi1-lo1 <= hi2-e2 {
			if row := c.row(s2, lo2, hi2); row != nil {
				// Loop over a's arcs, find b's in the dense row.
				maxL := int32(len(row) - 2)
				for i := lo1; i < hi1; i++ {
					l := aLab[i]
					if l == Epsilon {
						if f == 0 {
							c.add(packState(aDst[i], s2, 0), i, -1)
						}
						continue
					}
					if l > maxL {
						continue
					}
					d1 := aDst[i]
					for j, end := row[l], row[l+1]; j < end; j++ {
						c.add(packState(d1, bDst[j], 0), i, j)
						c.nBoth++
					}
				}
				continue
			}
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
					c.nBoth++
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
				c.nBoth++
			}
		}
	}
	c.first = append(c.first, int32(len(c.dst)))
}

// row returns the dense label row of b's state s2, whose arcs are
// [lo, hi) in bView, making it on first use, or nil if s2's labels are too
// sparse for one (then a row would take more memory than twice the arcs).
func (c *composer) row(s2, lo, hi int32) []int32 {
	if c.rowStamp[s2] != c.gen {
		c.rowStamp[s2] = c.gen
		c.rowOff[s2] = -1
		if n := hi - lo; n >= 8 {
			maxL := c.bLab[hi-1]
			if maxL <= 2*n {
				c.rowOff[s2] = int32(len(c.rows))
				j := lo
				for l := int32(0); l <= maxL; l++ {
					for c.bLab[j] < l {
						j++
					}
					c.rows = append(c.rows, j)
				}
				c.rows = append(c.rows, hi)
			}
		}
	}
	off := c.rowOff[s2]
	if off < 0 {
		return nil
	}
	return c.rows[off : off+c.bLab[hi-1]+2]
}

// searchLabel returns the first index i in [lo, hi) with lab[i] >= l, or hi.
// It is a binary search without data-dependent branches, so that its
// unpredictable comparisons do not stall the processor. Labels are
// non-negative, so lab[i]-l does not overflow and its sign bit says
// lab[i] < l.
func searchLabel(lab []int32, lo, hi, l int32) int32 {
	if lo >= hi {
		return lo
	}
	s := lab[lo:hi:hi]
	base, n := int32(0), int32(len(s))
	for n > 1 {
		half := n >> 1
		base += half & ((s[base+half] - l) >> 31)
		n -= half
	}
	return lo + base + int32(uint32(s[base]-l)>>31)
}

// add adds an arc from the state being expanded to the state with key
// (see resolve), combining the arcs i of aView and j of bView.
func (c *composer) add(key uint64, i, j int32) {
	c.pend = append(c.pend, key)
	if len(c.pair) == cap(c.pair) {
		c.pair = reserve(c.pair)
	}
	c.pair = append(c.pair, arcPair{i, j})
}

// resolve numbers the destinations of the arcs added since the last call,
// creating the states that are new.
//
// The table lookups, random accesses to a large table, dominate the time of
// a composition. Doing them together, in a tight loop apart from the
// branchy matching of labels, lets the processor overlap their cache misses
// (measured: 15-25% faster than looking up each arc as it is found).
func (c *composer) resolve() {
	t := &c.table
	for _, key := range c.pend {
		id, isNew := t.lookup(key)
		if isNew && id >= maxComposeSize {
			c.err = fmt.Errorf("result has more than %d states", maxComposeSize)
		}
		if len(c.dst) == cap(c.dst) {
			c.dst = reserve(c.dst)
		}
		c.dst = append(c.dst, id)
	}
	c.pend = c.pend[:0]
}

// reserve returns s with room for one more element: s itself, or a copy
// with double the capacity when it is full (append grows large slices by a
// quarter only, copying them more often). The callers test whether s is
// full first and append to the field itself, so that the compiler updates
// only its length in the common case, without a write barrier.
func reserve[T any](s []T) []T {
	if len(s) < cap(s) {
		return s
	}
	return slices.Grow(s, max(len(s), 256))
}

// gatherInto returns x[idx[0]], x[idx[1]], ... in buf, grown if needed.
func gatherInto(buf, x, idx []int32) []int32 {
	buf = slices.Grow(buf[:0], len(idx))[:len(idx)]
	for i, j := range idx {
		buf[i] = x[j]
	}
	return buf
}

// result trims the expanded states to those that reach a final state and
// returns the graph and its Map.
func (c *composer) result() (*Graph, *Map, error) {
	a, b := c.a, c.b
	n := len(c.table.keys)
	c.final = slices.Grow(c.final[:0], n)[:n]
	final := c.final
	nfinal := 0
	for s, k := range c.table.keys {
		s1, s2, _ := unpackState(k)
		final[s] = a.final[s1] + b.final[s2] // +Inf unless both are final
		if !math.IsInf(final[s], 1) {
			nfinal++
		}
	}
	c.co = coAccessibleInto(c.co, c.first, c.dst, final)
	co := c.co
	if !co[0] {
		return emptyGraph(), &Map{numInputs: 2, start: []int32{0}}, nil
	}

	// Number the kept states, and count the kept arcs and map entries.
	var newID []int32 // nil when all states are kept
	ns, na, nrefs := int32(n), len(c.dst), len(c.dst)+c.nBoth+2*nfinal
	if slices.Contains(co, false) {
		c.newID = slices.Grow(c.newID[:0], n)[:n]
		newID = c.newID
		ns, na, nrefs = 0, 0, 0
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
	}

	if nrefs > math.MaxInt32 {
		return nil, nil, fmt.Errorf("result's Map needs %d entries, more than %d", nrefs, math.MaxInt32)
	}

	// One allocation for the int32 slices of g, one for the float64 ones.
	ints := make([]int32, int(ns)+1+4*na)
	take := func(n int) []int32 {
		x := ints[:n:n]
		ints = ints[n:]
		return x
	}
	floats := make([]float64, int(ns)+na)
	g := &Graph{
		start:  0,
		final:  floats[:ns:ns],
		weight: floats[ns:],
		first:  take(int(ns) + 1),
		src:    take(na),
		dst:    take(na),
		ilabel: take(na),
		olabel: take(na),
	}
	m := &Map{numInputs: 2, start: make([]int32, na+int(ns)+1), refs: make([]Ref, nrefs)}
	aOrig, bOrig := c.aOrig, c.bOrig
	// The properties of g, found on the way (see Graph.computeProps).
	var labelDiff int32 // nonzero when an arc has different labels
	minIl, minOl := int32(1), int32(1)
	var unsortedI, unsortedO bool
	k, r := 0, int32(0) // next arc, next ref
	for s := range n {
		t := int32(s)
		if newID != nil {
			if t = newID[s]; t < 0 {
				continue
			}
		}
		g.first[t] = int32(k)
		prevIl, prevOl := int32(0), int32(0)
		for i := c.first[s]; i < c.first[s+1]; i++ {
			d := c.dst[i]
			if newID != nil {
				if d = newID[d]; d < 0 {
					continue
				}
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
			labelDiff |= il ^ ol
			minIl, minOl = min(minIl, il), min(minOl, ol)
			if il < prevIl {
				unsortedI = true
			}
			if ol < prevOl {
				unsortedO = true
			}
			prevIl, prevOl = il, ol
		}
	}
	g.first[ns] = int32(k)
	for s := range n {
		t := int32(s)
		if newID != nil {
			if t = newID[s]; t < 0 {
				continue
			}
		}
		m.start[na+int(t)] = r
		g.final[t] = final[s]
		if !math.IsInf(final[s], 1) {
			s1, s2, _ := unpackState(c.table.keys[s])
			m.refs[r] = Ref{Input: 0, Index: int32(a.FinalIndex(int(s1))), Coef: 1}
			m.refs[r+1] = Ref{Input: 1, Index: int32(b.FinalIndex(int(s2))), Coef: 1}
			r += 2
		}
	}
	m.start[na+int(ns)] = r
	for _, x := range [...]struct {
		p   Properties
		has bool
	}{
		{Acceptor, labelDiff == 0},
		{ILabelSorted, !unsortedI},
		{OLabelSorted, !unsortedO},
		{NoIEpsilons, minIl > 0},
		{NoOEpsilons, minOl > 0},
	} {
		if x.has {
			g.props |= x.p
		}
	}
	return g, m, nil
}

// A stateTable numbers the states of the result: keys[id] is the packed
// triple of state id, and slots is an open-addressing hash table with
// linear probing from keys to ids. Its slots hold only ids (the keys are
// compared in keys), which keeps the table small: its random accesses are
// the main cost of a composition, and they miss the caches less.
//
// A table is reused by many compositions (see composerPool): all of
// slots[:cap(slots)] is zero between uses, so that a small composition uses
// a small prefix, which stays in the caches, and a large one grows in place
// without allocating; clearing after use costs what was used.
type stateTable struct {
	keys  []uint64
	slots []int32 // id + 1, 0 when empty; length a power of two, at most half full
	shift uint    // 64 - log2(len(slots))
	last  int     // the size the last use needed
}

// init makes an empty table for about hint keys.
func (t *stateTable) init(hint int) {
	size := 64
	for size < 2*hint {
		size <<= 1
	}
	// Compositions in a row tend to have similar sizes: starting at the
	// size the last one needed saves growing the table step by step.
	t.resize(max(size, t.last))
	t.keys = t.keys[:0]
}

// resize makes slots size long and empty: it uses the memory of slots if
// it is large enough (beyond len(slots) it is zero), and allocates
// otherwise.
func (t *stateTable) resize(size int) {
	if size <= cap(t.slots) {
		clear(t.slots)
		t.slots = t.slots[:size]
	} else {
		t.slots = make([]int32, size)
	}
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

// clear empties the table, keeping its memory.
func (t *stateTable) clear() {
	t.last = 64
	for t.last < 2*len(t.keys) {
		t.last <<= 1
	}
	clear(t.slots)
	t.slots = t.slots[:0]
	t.keys = t.keys[:0]
}

// index returns the home slot of key (Fibonacci hashing: the high bits of
// the product depend on all the bits of the key).
func (t *stateTable) index(key uint64) uint64 {
	return (key * 0x9E3779B97F4A7C15) >> t.shift
}

// lookup returns the number of the state with key; if there is none, it
// adds one and returns its number and true.
func (t *stateTable) lookup(key uint64) (int32, bool) {
	mask := uint64(len(t.slots) - 1)
	for i := t.index(key); ; i = (i + 1) & mask {
		id := t.slots[i] - 1
		if id < 0 {
			id = int32(len(t.keys))
			if len(t.keys) == cap(t.keys) {
				t.keys = reserve(t.keys)
			}
			t.keys = append(t.keys, key)
			t.slots[i] = id + 1
			if 2*len(t.keys) > len(t.slots) {
				t.grow()
			}
			return id, true
		}
		if t.keys[id] == key {
			return id, false
		}
	}
}

// grow doubles the table and inserts the keys again.
func (t *stateTable) grow() {
	t.resize(2 * len(t.slots))
	mask := uint64(len(t.slots) - 1)
	for id, key := range t.keys {
		i := t.index(key)
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = int32(id) + 1
	}
}
