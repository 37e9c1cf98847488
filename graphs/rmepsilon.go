package graphs

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// RmEpsilon returns a graph equivalent to g in semiring sr without epsilon
// arcs (arcs whose input and output labels are both 0; an arc with one
// epsilon label is kept), as OpenFst's fstrmepsilon, with its Map.
//
// For every state p, the epsilon closure of p (the states q reached from p
// by epsilon paths, and d(p, q), the ⊕ of those paths' energies) is
// computed exactly (Mohri 2002). Then p gets an arc p → t for each
// non-epsilon arc q → t of energy w, with energy d(p, q) + w, and final
// energy ⊕_q d(p, q) + final(q); arcs of p with equal labels and
// destination are merged into one whose energy is their ⊕. States reached
// only through epsilon arcs disappear: the result is connected (every
// state is on a successful path) and keeps the order of g's states. A
// graph without successful paths gives an empty graph.
//
// Epsilon cycles are allowed when the closure converges: in Tropical when
// no epsilon cycle has negative energy, in Log when the epsilon cycles
// through each state have total probability below 1; RmEpsilon returns an
// error otherwise. In Log an epsilon cycle costs O(m³) time for the
// strongly connected component of m states of the epsilon arcs it lies in,
// and components of more than 1000 states are refused.
//
// The Map is exact. In Tropical an output energy is the best epsilon path
// plus one arc (or final energy), so its row holds 1 for each of them (ties
// broken consistently). In Log an output energy is a ⊕ over epsilon paths,
// and its row holds the posterior of every epsilon arc (its expected number
// of uses, which may exceed 1 on epsilon cycles) and of every merged arc or
// final energy; computing it costs one backward pass over the epsilon
// closure of p per output arc of p.
func RmEpsilon(g *Graph, sr Semiring) (*Graph, *Map, error) {
	if err := checkSemiring(sr); err != nil {
		return nil, nil, fmt.Errorf("graphs: RmEpsilon: %w", err)
	}
	r := rmEpsilon{g: g, sr: sr}
	if err := r.run(); err != nil {
		return nil, nil, fmt.Errorf("graphs: RmEpsilon: %w", err)
	}
	return r.build()
}

// rmEpsilon is the state of one epsilon removal.
type rmEpsilon struct {
	g      *Graph
	sr     Semiring
	live   []bool
	fw, bw *flowSolver // epsilon closure of the state being expanded, and backward passes
	acc    *refAcc

	seen  []bool
	queue []int32
	cands []rmCand
	sinks []flowInit

	// The result, by input state: arcs and finals with their rows in refs.
	arcs   []rmArc
	finals []rmArc
	refs   []Ref
}

// rmCand is a non-epsilon arc (or, with arc < 0, a final energy) of a state
// q of the epsilon closure of the state being expanded.
type rmCand struct {
	il, ol int32
	dst    int32
	q      int32
	idx    int32   // weight index of the arc or final energy
	w      float64 // its energy
	val    float64 // d(p, q) + w
}

type rmArc struct {
	src, dst     int32
	il, ol       int32
	w            float64
	refLo, refHi int32
}

func (r *rmEpsilon) run() error {
	g := r.g
	n := g.NumStates()
	if n == 0 {
		return nil
	}
	r.live = liveStateMask(g)
	start := int32(g.Start())
	if !r.live[start] {
		return nil
	}
	var eu, ev, eidx []int32
	var ew []float64
	for a := range g.NumArcs() {
		if g.ilabel[a] == Epsilon && g.olabel[a] == Epsilon && r.live[g.src[a]] && r.live[g.dst[a]] {
			eu, ev = append(eu, g.src[a]), append(ev, g.dst[a])
			ew, eidx = append(ew, g.weight[a]), append(eidx, int32(a))
		}
	}
	f := newFlowGraph(n, eu, ev, ew, eidx)
	r.fw = newFlowSolver(f, r.sr)
	r.bw = newFlowSolver(f, r.sr)
	r.acc = newRefAcc(g.NumWeights())
	r.seen = make([]bool, n)
	r.seen[start] = true
	r.queue = append(r.queue, start)
	for i := 0; i < len(r.queue); i++ {
		if err := r.expand(r.queue[i]); err != nil {
			return err
		}
	}
	return nil
}

// expand computes the arcs and final energy of state p.
func (r *rmEpsilon) expand(p int32) error {
	g := r.g
	if err := r.fw.solve(false, []flowInit{{p, 0, -1}}, nil); err != nil {
		return err
	}
	r.cands = r.cands[:0]
	var finals []rmCand
	for _, q := range r.fw.list {
		dq := r.fw.val[q]
		if math.IsInf(dq, 1) {
			continue
		}
		for a := g.first[q]; a < g.first[q+1]; a++ {
			il, ol, d := g.ilabel[a], g.olabel[a], g.dst[a]
			if il == Epsilon && ol == Epsilon || !r.live[d] {
				continue
			}
			w := g.weight[a]
			r.cands = append(r.cands, rmCand{il, ol, d, q, a, w, dq + w})
		}
		if g.IsFinal(int(q)) {
			w := g.final[q]
			finals = append(finals, rmCand{-1, -1, -1, q, int32(g.FinalIndex(int(q))), w, dq + w})
		}
	}
	slices.SortFunc(r.cands, func(x, y rmCand) int {
		if c := cmp.Compare(x.il, y.il); c != 0 {
			return c
		}
		if c := cmp.Compare(x.ol, y.ol); c != 0 {
			return c
		}
		if c := cmp.Compare(x.dst, y.dst); c != 0 {
			return c
		}
		return cmp.Compare(x.idx, y.idx)
	})
	for i := 0; i < len(r.cands); {
		c := r.cands[i]
		j := i + 1
		for j < len(r.cands) && r.cands[j].il == c.il && r.cands[j].ol == c.ol && r.cands[j].dst == c.dst {
			j++
		}
		w, lo, hi, err := r.merge(r.cands[i:j])
		if err != nil {
			return err
		}
		r.arcs = append(r.arcs, rmArc{p, c.dst, c.il, c.ol, w, lo, hi})
		if !r.seen[c.dst] {
			r.seen[c.dst] = true
			r.queue = append(r.queue, c.dst)
		}
		i = j
	}
	if len(finals) > 0 {
		w, lo, hi, err := r.merge(finals)
		if err != nil {
			return err
		}
		r.finals = append(r.finals, rmArc{src: p, w: w, refLo: lo, refHi: hi})
	}
	return nil
}

// merge returns the ⊕ of the candidates' values and records its row.
func (r *rmEpsilon) merge(cs []rmCand) (w float64, lo, hi int32, err error) {
	lo = int32(len(r.refs))
	if r.sr == Tropical {
		best := 0
		for i := range cs {
			if cs[i].val < cs[best].val {
				best = i
			}
		}
		c := cs[best]
		r.acc.add(c.idx, 1)
		r.fw.addPath(c.q, 1, r.acc)
		r.refs = r.acc.flush(r.refs)
		return c.val, lo, int32(len(r.refs)), nil
	}
	w = Inf
	for _, c := range cs {
		w = logAdd(w, c.val)
	}
	for _, c := range cs {
		r.acc.add(c.idx, math.Exp(w-c.val))
	}
	if len(r.fw.list) > 1 || r.fw.f.cyclic[r.fw.f.comp[r.fw.list[0]]] {
		// Posteriors of the epsilon arcs: a backward pass from the
		// candidates' states through the closure.
		r.sinks = r.sinks[:0]
		for _, c := range cs {
			r.sinks = append(r.sinks, flowInit{c.q, c.w, c.idx})
		}
		if err := r.bw.solve(true, r.sinks, r.fw); err != nil {
			return 0, 0, 0, err
		}
		addEdgePosteriors(r.fw, r.bw, w, r.acc)
	}
	r.refs = r.acc.flush(r.refs)
	return w, lo, int32(len(r.refs)), nil
}

// build assembles the result, numbering the kept states in input order.
func (r *rmEpsilon) build() (*Graph, *Map, error) {
	b := NewMapBuilder(1)
	if len(r.queue) == 0 {
		return b.Build()
	}
	id := make([]int32, r.g.NumStates())
	k := int32(0)
	for s, ok := range r.seen {
		if ok {
			id[s] = k
			k++
		}
	}
	b.AddStates(int(k))
	b.SetStart(int(id[r.g.Start()]))
	for _, a := range r.arcs {
		b.AddArc(int(id[a.src]), int(id[a.dst]), a.il, a.ol, a.w, r.refs[a.refLo:a.refHi]...)
	}
	for _, f := range r.finals {
		b.SetFinal(int(id[f.src]), f.w, r.refs[f.refLo:f.refHi]...)
	}
	return b.Build()
}
