package graphs

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// DefaultDelta is the default quantization step of residual energies in
// Determinize, OpenFst's kDelta.
const DefaultDelta = 1.0 / 1024

// Default limits of Determinize, which stop the construction on inputs
// that are not determinizable.
const (
	DefaultMaxDeterminizeStates = 1 << 20
	DefaultMaxDeterminizeArcs   = 1 << 24
)

// ErrDeterminizeLimit is returned (wrapped) by Determinize when the result
// exceeds DeterminizeOptions.MaxStates or MaxArcs.
var ErrDeterminizeLimit = errors.New("graphs: Determinize: size limit reached")

// DeterminizeOptions are the settings of Determinize. The zero value (or a
// nil pointer) selects the defaults.
type DeterminizeOptions struct {
	// Delta is the quantization step of the residual energies that decides
	// when two subsets are the same state: residuals are compared after
	// rounding to a multiple of Delta. 0 means DefaultDelta.
	Delta float64
	// MaxStates and MaxArcs bound the size of the result: Determinize
	// returns an error wrapping ErrDeterminizeLimit when it would exceed
	// them. A weighted automaton that lacks the twins property has no
	// finite deterministic equivalent, so these bounds are what stops the
	// construction. 0 means the defaults (DefaultMaxDeterminizeStates,
	// DefaultMaxDeterminizeArcs); negative means no limit.
	MaxStates, MaxArcs int
	// NoMap skips the computation of the Map (Determinize then returns a
	// nil Map), which can cost much more than the graph in Log (see
	// Determinize).
	NoMap bool
}

// Determinize returns a deterministic weighted acceptor equivalent to g in
// semiring sr, with its Map: every label sequence accepted by g is accepted
// by exactly one path of the result, whose energy is the ⊕ (Tropical: min,
// Log: log-sum) of the energies of g's paths with that sequence, as
// OpenFst's fstdeterminize.
//
// g must be an acceptor without epsilon arcs: Determinize returns an error
// for a transducer, and for epsilon arcs (remove them with RmEpsilon
// first). States of g on no successful path are ignored, so the result is
// connected; a graph without successful paths gives an empty graph.
//
// It is the weighted subset construction (Mohri 1997): a state of the
// result is a set of pairs (state q of g, residual energy r_q), the energy
// left to pay from q relative to the best (Tropical) or total (Log) of the
// set. An arc with label l from set S to set S' has energy
// W = ⊕_{(q,r) ∈ S, q -l/w-> q'} r + w, and the residuals of S' are
// r_{q'} = (⊕ of those reaching q') − W; a final energy is
// ⊕_{(q,r) ∈ S} r + final(q). Two sets are the same state when they have
// the same states and residuals equal after rounding to a multiple of
// opt.Delta; the state keeps the exact residuals of its first occurrence
// (OpenFst keeps the rounded ones), so the energies of the result are exact
// unless two sets whose residuals differ by less than Delta are merged.
// That is rare on acyclic inputs, but it is how the construction ends on
// cycles in Log, where residuals converge without repeating: the energies
// are then within about Delta of the exact ones. Arcs leave each state
// sorted by label.
//
// Acyclic inputs are always determinizable. A cyclic input whose paths
// with equal labels drift apart in energy forever (it lacks the twins
// property) is not, even when it is unambiguous: the construction then
// stops at opt.MaxStates or opt.MaxArcs with an error.
//
// The Map holds the exact derivatives of the output energies with respect
// to g's weights, for the construction as it was made (state identities
// fixed). In Tropical they are the subgradient of the min choices: 1 on the
// arcs of the best path, so that an arc's row is the best path it stands
// for minus the one its source state's residual was measured from. In Log
// every residual depends on the weights upstream of its set, so each
// element of a set carries the sparse gradient of its residual, and an
// output energy's row is the posterior-weighted combination of them. The
// rows of a state's arcs then cover the input arcs of every path with the
// same label sequence as the state's prefix: the Map grows like the number
// of states times those supports, which is fine for lattices of some
// hundreds of arcs but can be quadratic or worse in the size of larger
// inputs (a random lattice of 321 states and 960 arcs gives 3475 states
// and a Map of 260,000 entries in Log, 58,000 in Tropical, and takes about
// 8 times as long as without the Map); set opt.NoMap when it is not needed.
func Determinize(g *Graph, sr Semiring, opt *DeterminizeOptions) (*Graph, *Map, error) {
	if err := checkSemiring(sr); err != nil {
		return nil, nil, fmt.Errorf("graphs: Determinize: %w", err)
	}
	if g.NumStates() == 0 {
		if opt != nil && opt.NoMap {
			return NewBuilder().Build()
		}
		return NewMapBuilder(1).Build()
	}
	if !g.IsAcceptor() {
		return nil, nil, errors.New("graphs: Determinize: the graph is a transducer; only acceptors are supported")
	}
	if !g.Has(NoIEpsilons) {
		return nil, nil, errors.New("graphs: Determinize: the graph has epsilon arcs; remove them with RmEpsilon first")
	}
	d := determinizer{g: g, sr: sr, delta: DefaultDelta, maxStates: DefaultMaxDeterminizeStates, maxArcs: DefaultMaxDeterminizeArcs}
	if opt != nil {
		if opt.Delta < 0 || math.IsNaN(opt.Delta) || math.IsInf(opt.Delta, 0) {
			return nil, nil, fmt.Errorf("graphs: Determinize: invalid delta %v", opt.Delta)
		}
		if opt.Delta > 0 {
			d.delta = opt.Delta
		}
		if opt.MaxStates != 0 {
			d.maxStates = opt.MaxStates
		}
		if opt.MaxArcs != 0 {
			d.maxArcs = opt.MaxArcs
		}
		d.noMap = opt.NoMap
	}
	return d.run()
}

// determinizer is the state of one weighted subset construction.
type determinizer struct {
	g                  *Graph
	sr                 Semiring
	delta              float64
	maxStates, maxArcs int
	noMap              bool

	b *Builder

	// Subsets: those of output state s are elements lo[s]:lo[s+1].
	lo    []int32
	hash  []uint64
	table []int32 // open addressing over subsets, -1: empty

	// Elements of the subsets.
	elState []int32
	elRes   []float64 // exact residual
	elKey   []int64   // quantized residual
	elGrad  [][2]int32
	grads   []Ref // residual gradients: elGrad[i] is a range of grads

	cands []detCand
	next  []detNext
	acc   *refAcc
	refs  []Ref
	curLo int32     // first element of the subset being expanded
	coef  []float64 // scratch, by element of the subset being expanded
}

// detCand is an arc of an element of the subset being expanded.
type detCand struct {
	label int32
	dst   int32
	el    int32 // element of the subset (index into elState)
	arc   int32
	val   float64 // residual + arc energy
}

// detNext is a state of the destination subset of one label.
type detNext struct {
	state  int32
	lo, hi int32   // its candidates in cands
	v      float64 // ⊕ of their values
	best   int32   // Tropical: candidate of the min
}

func (d *determinizer) run() (*Graph, *Map, error) {
	g := d.g
	if d.noMap {
		d.b = NewBuilder()
	} else {
		d.b = NewMapBuilder(1)
		d.acc = newRefAcc(g.NumWeights())
	}
	if g.NumStates() == 0 {
		return d.b.Build()
	}
	live := liveStateMask(g)
	start := int32(g.Start())
	if !live[start] {
		return d.b.Build()
	}
	d.table = make([]int32, 64)
	for i := range d.table {
		d.table[i] = -1
	}
	d.lo = append(d.lo, 0)
	d.addElement(start, 0, 0, 0)
	d.intern()
	d.b.SetStart(0)
	for s := 0; s < len(d.lo)-1; s++ {
		if err := d.expand(s, live); err != nil {
			return nil, nil, err
		}
	}
	return d.b.Build()
}

// addElement appends an element to the subset being built; its residual
// gradient is grads[glo:ghi].
func (d *determinizer) addElement(q int32, res float64, glo, ghi int32) {
	d.elState = append(d.elState, q)
	d.elRes = append(d.elRes, res)
	d.elKey = append(d.elKey, quantize(res, d.delta))
	if !d.noMap {
		d.elGrad = append(d.elGrad, [2]int32{glo, ghi})
	}
}

// quantize returns k such that k·delta is the multiple of delta nearest to
// r (rounding as OpenFst's Quantize), clamped to ±2⁶².
func quantize(r, delta float64) int64 {
	q := math.Floor(r/delta + 0.5)
	if q > 1<<62 {
		return 1 << 62
	}
	if q < -(1 << 62) {
		return -(1 << 62)
	}
	return int64(q)
}

// intern looks up the subset made of the elements appended after the last
// subset. If an equal subset exists, the new elements are dropped and its
// state is returned; otherwise the subset becomes a new state.
func (d *determinizer) intern() (state int, isNew bool) {
	n := len(d.lo) - 1
	lo, hi := d.lo[n], int32(len(d.elState))
	h := uint64(14695981039346656037)
	for i := lo; i < hi; i++ {
		h = (h ^ uint64(d.elState[i])) * 1099511628211
		h = (h ^ uint64(d.elKey[i])) * 1099511628211
	}
	h ^= h >> 29
	mask := uint64(len(d.table) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := d.table[i]
		if s < 0 {
			break
		}
		if d.hash[s] == h && d.sameSubset(int(s), lo, hi) {
			d.dropElements(lo)
			return int(s), false
		}
	}
	d.hash = append(d.hash, h)
	d.lo = append(d.lo, hi)
	d.b.AddState()
	if 2*(n+1) > len(d.table) {
		d.rehash()
	} else {
		d.insert(int32(n), h)
	}
	return n, true
}

func (d *determinizer) sameSubset(s int, lo, hi int32) bool {
	slo, shi := d.lo[s], d.lo[s+1]
	if shi-slo != hi-lo {
		return false
	}
	for i := range hi - lo {
		if d.elState[slo+i] != d.elState[lo+i] || d.elKey[slo+i] != d.elKey[lo+i] {
			return false
		}
	}
	return true
}

func (d *determinizer) dropElements(lo int32) {
	d.elState = d.elState[:lo]
	d.elRes = d.elRes[:lo]
	d.elKey = d.elKey[:lo]
	if !d.noMap {
		d.grads = d.grads[:d.elGrad[lo][0]]
		d.elGrad = d.elGrad[:lo]
	}
}

func (d *determinizer) insert(s int32, h uint64) {
	mask := uint64(len(d.table) - 1)
	i := h & mask
	for d.table[i] >= 0 {
		i = (i + 1) & mask
	}
	d.table[i] = s
}

func (d *determinizer) rehash() {
	d.table = make([]int32, 2*len(d.table))
	for i := range d.table {
		d.table[i] = -1
	}
	for s, h := range d.hash {
		d.insert(int32(s), h)
	}
}

// expand adds the arcs and final energy of output state s.
func (d *determinizer) expand(s int, live []bool) error {
	g := d.g
	lo, hi := d.lo[s], d.lo[s+1]
	d.curLo = lo
	d.cands = d.cands[:0]
	for el := lo; el < hi; el++ {
		q, r := d.elState[el], d.elRes[el]
		for a := g.first[q]; a < g.first[q+1]; a++ {
			if live[g.dst[a]] {
				d.cands = append(d.cands, detCand{g.ilabel[a], g.dst[a], el, a, r + g.weight[a]})
			}
		}
	}
	slices.SortFunc(d.cands, func(x, y detCand) int {
		if c := cmp.Compare(x.label, y.label); c != 0 {
			return c
		}
		if c := cmp.Compare(x.dst, y.dst); c != 0 {
			return c
		}
		if c := cmp.Compare(x.el, y.el); c != 0 {
			return c
		}
		return cmp.Compare(x.arc, y.arc)
	})
	if cap(d.coef) < int(hi-lo) {
		d.coef = make([]float64, hi-lo)
	}
	d.coef = d.coef[:hi-lo]
	for i := 0; i < len(d.cands); {
		j := i + 1
		for j < len(d.cands) && d.cands[j].label == d.cands[i].label {
			j++
		}
		if err := d.addArc(s, i, j); err != nil {
			return err
		}
		i = j
	}
	d.setFinal(s)
	return nil
}

// addArc adds the arc of output state s for the candidates cands[i:j],
// which share one label.
func (d *determinizer) addArc(s, i, j int) error {
	// Group the candidates by destination state.
	d.next = d.next[:0]
	for k := i; k < j; {
		c := d.cands[k]
		nx := detNext{state: c.dst, lo: int32(k), v: c.val, best: int32(k)}
		k++
		for ; k < j && d.cands[k].dst == c.dst; k++ {
			if v := d.cands[k].val; d.sr == Log {
				nx.v = logAdd(nx.v, v)
			} else if v < nx.v {
				nx.v, nx.best = v, int32(k)
			}
		}
		nx.hi = int32(k)
		d.next = append(d.next, nx)
	}
	w := d.next[0].v
	bestNext := 0
	for k := 1; k < len(d.next); k++ {
		if d.sr == Log {
			w = logAdd(w, d.next[k].v)
		} else if d.next[k].v < w {
			w, bestNext = d.next[k].v, k
		}
	}

	// The arc's row: the derivative of w.
	var wRow []Ref
	if !d.noMap {
		if d.sr == Log {
			d.addLogCombination(i, j, w)
		} else {
			c := d.cands[d.next[bestNext].best]
			d.addCandidate(c, 1)
		}
		d.refs = d.acc.flush(d.refs[:0])
		wRow = d.refs
	}

	// The destination subset, with its residuals v − w and, in the Map,
	// their gradients.
	for _, nx := range d.next {
		glo := int32(len(d.grads))
		if !d.noMap {
			if d.sr == Log {
				d.addLogCombination(int(nx.lo), int(nx.hi), nx.v)
			} else {
				d.addCandidate(d.cands[nx.best], 1)
			}
			d.acc.addRefs(wRow, -1)
			d.grads = d.acc.flush(d.grads)
		}
		d.addElement(nx.state, nx.v-w, glo, int32(len(d.grads)))
	}
	dst, isNew := d.intern()
	if isNew && d.maxStates >= 0 && len(d.lo)-1 > d.maxStates {
		return fmt.Errorf("%w: more than %d states (the input may not be determinizable; see DeterminizeOptions)", ErrDeterminizeLimit, d.maxStates)
	}
	if d.maxArcs >= 0 && d.b.NumArcs() >= d.maxArcs {
		return fmt.Errorf("%w: more than %d arcs (the input may not be determinizable; see DeterminizeOptions)", ErrDeterminizeLimit, d.maxArcs)
	}
	d.b.AddArc(s, dst, d.cands[i].label, d.cands[i].label, w, wRow...)
	return nil
}

// addCandidate adds scale times the derivative of a candidate's value (its
// element's residual plus its arc's energy) to the accumulator.
func (d *determinizer) addCandidate(c detCand, scale float64) {
	d.acc.add(c.arc, scale)
	gr := d.elGrad[c.el]
	d.acc.addRefs(d.grads[gr[0]:gr[1]], scale)
}

// addLogCombination adds to the accumulator the derivative of
// z = ⊕ of the values of cands[i:j]: Σ exp(z − val) ∇val, gathering the
// candidates of each element so that its residual gradient is added once.
func (d *determinizer) addLogCombination(i, j int, z float64) {
	for _, c := range d.cands[i:j] {
		p := math.Exp(z - c.val)
		d.acc.add(c.arc, p)
		d.coef[c.el-d.curLo] += p
	}
	for _, c := range d.cands[i:j] {
		if p := d.coef[c.el-d.curLo]; p != 0 {
			gr := d.elGrad[c.el]
			d.acc.addRefs(d.grads[gr[0]:gr[1]], p)
			d.coef[c.el-d.curLo] = 0
		}
	}
}

// setFinal sets the final energy of output state s.
func (d *determinizer) setFinal(s int) {
	g := d.g
	lo, hi := d.lo[s], d.lo[s+1]
	f, best := Inf, int32(-1)
	for el := lo; el < hi; el++ {
		q := d.elState[el]
		if !g.IsFinal(int(q)) {
			continue
		}
		v := d.elRes[el] + g.final[q]
		if d.sr == Log {
			f = logAdd(f, v)
		} else if v < f {
			f, best = v, el
		}
	}
	if math.IsInf(f, 1) {
		return
	}
	if d.noMap {
		d.b.SetFinal(s, f)
		return
	}
	add := func(el int32, p float64) {
		d.acc.add(int32(g.FinalIndex(int(d.elState[el]))), p)
		gr := d.elGrad[el]
		d.acc.addRefs(d.grads[gr[0]:gr[1]], p)
	}
	if d.sr == Tropical {
		add(best, 1)
	} else {
		for el := lo; el < hi; el++ {
			if q := d.elState[el]; g.IsFinal(int(q)) {
				add(el, math.Exp(f-d.elRes[el]-g.final[q]))
			}
		}
	}
	d.refs = d.acc.flush(d.refs[:0])
	d.b.SetFinal(s, f, d.refs...)
}
