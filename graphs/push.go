package graphs

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Push returns g with its weights pushed towards the initial state, or
// towards the final states when toFinal is set, in semiring sr, as OpenFst's
// fstpush --push_weights [--to_final], with the Map of the new weights.
//
// Pushing towards the initial state reweights with the potentials
// V(s) = ⊕ of the energies of the paths from s to a final state: an arc
// s → t of energy w gets w + V(t) − V(s) and a final energy f of s gets
// f − V(s), so that the arcs and final energy leaving every state sum (⊕)
// to 0. Pushing towards the final states uses the forward potentials
// α(s) = ⊕ of the energies of the paths from the start to s: w becomes
// w + α(s) − α(t) and f becomes f + α(s). The energy of every successful
// path is unchanged, as is the structure of g, except for the total weight
// (V(start), or −α(start) towards the final states, when it is not 0): it
// is added to the start state's arcs and final energy when no path returns
// to the start state, and otherwise carried by a new start state with one
// epsilon arc to the old one, as OpenFst does. Weights of arcs and final
// states on no successful path are left unchanged.
//
// The potentials are exact sums over paths, cycles included; Push fails if
// they diverge (a cycle of negative energy in Tropical, cycles of total
// probability ≥ 1 in Log). In the log semiring, a cycle makes its strongly
// connected component's sums a dense linear system: its closure takes
// O(m³) time and O(m²) memory for a component of m states, and Push refuses
// components of more than 1000 states.
//
// The Map is exact. In Tropical the derivative of V(s) is 1 on the arcs of
// the best path from s (ties broken once, consistently), so a pushed arc's
// row holds the two best paths from its ends up to where they merge. In
// Log the derivative of V(s) is the posterior (expected count) of every arc
// and final energy on paths from s, so a row may hold every weight
// reachable from the arc: the Map has O(NumArcs × reachable weights)
// entries, which is fine for lattices of some hundreds of states (a random
// one of 321 states and 960 arcs gives 342,000 entries in 20 ms) but grows
// quadratically: a determinized lattice of 5,791 states and 22,445 arcs
// gives 53 million entries (0.8 GB) in 5 s, against 87,000 in 6 ms in
// Tropical.
func Push(g *Graph, sr Semiring, toFinal bool) (*Graph, *Map, error) {
	if err := checkSemiring(sr); err != nil {
		return nil, nil, fmt.Errorf("graphs: Push: %w", err)
	}
	if g.NumStates() == 0 {
		return NewMapBuilder(1).Build()
	}
	p, err := newPusher(g, sr, toFinal, liveStateMask(g))
	if err != nil {
		return nil, nil, fmt.Errorf("graphs: Push: %w", err)
	}
	start := g.Start()
	b := NewMapBuilder(1)
	b.AddStates(g.NumStates())
	b.SetStart(start)

	// The total weight moves to the start state, or to a new one.
	adj, adjSign := p.pot(start), 1.0
	if toFinal {
		adj, adjSign = -adj, -1
	}
	if math.IsInf(adj, 0) {
		adj = 0
	}
	// On the start state, the total weight is added even when it is 0, so
	// that the Map has its derivative; a new start state is only made
	// when it is not 0.
	onStart := p.pot(start) < Inf && !p.f.cyclic[p.f.comp[start]]

	var refs []Ref
	acc := newRefAcc(g.NumWeights())
	for a := range g.NumArcs() {
		w := p.arcWeight(a)
		p.addArcRow(a, acc)
		if onStart && g.Src(a) == start {
			w += adj
			p.addPotGrad(int32(start), adjSign, acc)
		}
		refs = acc.flush(refs[:0])
		b.AddArc(g.Src(a), g.Dst(a), g.ilabel[a], g.olabel[a], w, refs...)
	}
	for s := range g.NumStates() {
		if !g.IsFinal(s) {
			continue
		}
		w := p.finalWeight(s)
		p.addFinalRow(s, acc)
		if onStart && s == start {
			w += adj
			p.addPotGrad(int32(start), adjSign, acc)
		}
		refs = acc.flush(refs[:0])
		b.SetFinal(s, w, refs...)
	}
	if adj != 0 && !onStart {
		ns := b.AddState()
		p.addPotGrad(int32(start), adjSign, acc)
		refs = acc.flush(refs[:0])
		b.AddArc(ns, start, Epsilon, Epsilon, adj, refs...)
		b.SetStart(ns)
	}
	return b.Build()
}

// checkSemiring reports an error for an unknown semiring.
func checkSemiring(sr Semiring) error {
	if sr != Tropical && sr != Log {
		return fmt.Errorf("unknown semiring %d", int(sr))
	}
	return nil
}

// pusher holds the potentials of a graph and the derivatives of the
// reweighted energies.
type pusher struct {
	g       *Graph
	sr      Semiring
	toFinal bool
	f       *flowGraph  // arcs between live states, oriented like the potentials
	sol     *flowSolver // sol.val holds the potentials of live states
	inits   []flowInit

	// Log: derivatives of the potentials, computed on demand.
	grad [][]Ref
	done []bool
	bw   *flowSolver
	tmp  *refAcc
	// Tropical: depth of each state in the tree of best paths (0: unknown).
	depth []int32
}

// newPusher computes the potentials of the live states of g: towards the
// final states V (flow from the finals backwards along the arcs) or, when
// toFinal, α (flow from the start along the arcs).
func newPusher(g *Graph, sr Semiring, toFinal bool, live []bool) (*pusher, error) {
	n := g.NumStates()
	var eu, ev, eidx []int32
	var ew []float64
	for a := range g.NumArcs() {
		s, d := g.src[a], g.dst[a]
		if !live[s] || !live[d] {
			continue
		}
		if !toFinal {
			s, d = d, s
		}
		eu, ev = append(eu, s), append(ev, d)
		ew, eidx = append(ew, g.weight[a]), append(eidx, int32(a))
	}
	p := &pusher{g: g, sr: sr, toFinal: toFinal, f: newFlowGraph(n, eu, ev, ew, eidx)}
	if toFinal {
		if start := g.Start(); live[start] {
			p.inits = append(p.inits, flowInit{int32(start), 0, -1})
		}
	} else {
		for s := range n {
			if live[s] && g.IsFinal(s) {
				p.inits = append(p.inits, flowInit{int32(s), g.final[s], int32(g.FinalIndex(s))})
			}
		}
	}
	p.sol = newFlowSolver(p.f, sr)
	if err := p.sol.solve(false, p.inits, nil); err != nil {
		return nil, err
	}
	if sr == Log {
		p.grad = make([][]Ref, n)
		p.done = make([]bool, n)
		p.bw = newFlowSolver(p.f, sr)
		p.tmp = newRefAcc(g.NumWeights())
	} else {
		p.depth = make([]int32, n)
	}
	return p, nil
}

// pot returns the potential of state s, +Inf if s is on no successful path.
func (p *pusher) pot(s int) float64 {
	if !p.sol.reached(int32(s)) {
		return Inf
	}
	return p.sol.val[s]
}

// flowEnds returns the states of arc a as the tail and head of its flow
// edge: the potential of u is added and that of v subtracted.
func (p *pusher) flowEnds(a int) (u, v int32) {
	if p.toFinal {
		return p.g.src[a], p.g.dst[a]
	}
	return p.g.dst[a], p.g.src[a]
}

// arcWeight returns the pushed energy of arc a.
func (p *pusher) arcWeight(a int) float64 {
	u, v := p.flowEnds(a)
	pu, pv := p.pot(int(u)), p.pot(int(v))
	if math.IsInf(pu, 1) || math.IsInf(pv, 1) {
		return p.g.weight[a]
	}
	return p.g.weight[a] + pu - pv
}

// finalWeight returns the pushed final energy of state s.
func (p *pusher) finalWeight(s int) float64 {
	ps := p.pot(s)
	if math.IsInf(ps, 1) {
		return p.g.final[s]
	}
	if p.toFinal {
		return p.g.final[s] + ps
	}
	return p.g.final[s] - ps
}

// addArcRow adds the derivatives of the pushed energy of arc a to acc.
func (p *pusher) addArcRow(a int, acc *refAcc) {
	acc.add(int32(a), 1)
	u, v := p.flowEnds(a)
	if math.IsInf(p.pot(int(u)), 1) || math.IsInf(p.pot(int(v)), 1) {
		return
	}
	if p.sr == Tropical {
		p.addPathDifference(u, v, acc)
		return
	}
	p.addPotGrad(u, 1, acc)
	p.addPotGrad(v, -1, acc)
}

// addFinalRow adds the derivatives of the pushed final energy of s to acc.
func (p *pusher) addFinalRow(s int, acc *refAcc) {
	acc.add(int32(p.g.FinalIndex(s)), 1)
	if math.IsInf(p.pot(s), 1) {
		return
	}
	if p.toFinal {
		p.addPotGrad(int32(s), 1, acc)
	} else {
		p.addPotGrad(int32(s), -1, acc)
	}
}

// addPotGrad adds scale times the derivative of the potential of s to acc.
func (p *pusher) addPotGrad(s int32, scale float64, acc *refAcc) {
	if math.IsInf(p.pot(int(s)), 1) {
		return
	}
	if p.sr == Tropical {
		p.sol.addPath(s, scale, acc)
		return
	}
	if !p.done[s] {
		p.grad[s] = p.logPotGrad(s)
		p.done[s] = true
	}
	acc.addRefs(p.grad[s], scale)
}

// logPotGrad returns the derivative of the log-semiring potential of s: the
// posteriors of the edges and initial weights of the paths that flow into s.
func (p *pusher) logPotGrad(s int32) []Ref {
	if err := p.bw.solve(true, []flowInit{{s, 0, -1}}, p.sol); err != nil {
		// The components were closed without error by the forward solve.
		panic("graphs: internal error: " + err.Error())
	}
	z := p.sol.val[s]
	addEdgePosteriors(p.sol, p.bw, z, p.tmp)
	for _, in := range p.inits {
		if in.idx >= 0 && p.bw.reached(in.state) {
			p.tmp.add(in.idx, math.Exp(z-in.w-p.bw.val[in.state]))
		}
	}
	return p.tmp.flush(nil)
}

// addPathDifference adds to acc the derivative of pot(u) − pot(v) in the
// tropical semiring: the best path of u minus that of v, up to the state
// where they merge.
func (p *pusher) addPathDifference(u, v int32, acc *refAcc) {
	sol := p.sol
	step := func(x int32, sign float64) int32 {
		e := sol.parent[x]
		if e < 0 {
			if r := sol.root[x]; r >= 0 {
				acc.add(r, sign)
			}
			return -1
		}
		if idx := p.f.eidx[e]; idx >= 0 {
			acc.add(idx, sign)
		}
		return p.f.eu[e]
	}
	for u != v {
		if p.treeDepth(u) >= p.treeDepth(v) {
			u = step(u, 1)
		} else {
			v = step(v, -1)
		}
	}
}

// treeDepth returns the number of edges plus one from s to the initial
// state of its best path (0 for the virtual root, -1).
func (p *pusher) treeDepth(s int32) int32 {
	if s < 0 {
		return 0
	}
	if d := p.depth[s]; d > 0 {
		return d
	}
	// Walk up to a state of known depth, then unwind.
	var path []int32
	x := s
	d := int32(0)
	for x >= 0 && p.depth[x] == 0 {
		path = append(path, x)
		if e := p.sol.parent[x]; e >= 0 {
			x = p.f.eu[e]
		} else {
			x = -1
		}
	}
	if x >= 0 {
		d = p.depth[x]
	}
	for i := len(path) - 1; i >= 0; i-- {
		d++
		p.depth[path[i]] = d
	}
	return p.depth[s]
}

// liveStateMask reports for each state of g whether it is on a successful
// path: accessible from the start and coaccessible to a final state.
func liveStateMask(g *Graph) []bool {
	n := g.NumStates()
	live := make([]bool, n)
	if n == 0 {
		return live
	}
	acc := make([]bool, n)
	stack := []int32{int32(g.Start())}
	acc[g.Start()] = true
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for a := g.first[s]; a < g.first[s+1]; a++ {
			if d := g.dst[a]; !acc[d] {
				acc[d] = true
				stack = append(stack, d)
			}
		}
	}
	inFirst, inArc := csrBy(n, g.dst)
	for s := range n {
		if acc[s] && g.IsFinal(s) {
			live[s] = true
			stack = append(stack, int32(s))
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for i := inFirst[s]; i < inFirst[s+1]; i++ {
			if src := g.src[inArc[i]]; acc[src] && !live[src] {
				live[src] = true
				stack = append(stack, src)
			}
		}
	}
	return live
}

// csrBy groups the indices 0..len(key)-1 by key in [0,n): the indices with
// key k are idx[first[k]:first[k+1]], in increasing order.
func csrBy(n int, key []int32) (first, idx []int32) {
	first = make([]int32, n+1)
	for _, k := range key {
		first[k+1]++
	}
	for i := range n {
		first[i+1] += first[i]
	}
	idx = make([]int32, len(key))
	pos := slices.Clone(first[:n])
	for i, k := range key {
		idx[pos[k]] = int32(i)
		pos[k]++
	}
	return first, idx
}

// maxLogComponent bounds the number of states of a strongly connected
// component whose log-semiring closure is computed (densely: O(m²) memory,
// O(m³) time).
const maxLogComponent = 1000

// A flowGraph is the graph of a system of path sums: a value flows along
// each edge u → v, val(v) = init(v) ⊕ ⊕_{u→v} val(u) ⊗ w. The algorithms
// here (potentials, epsilon closures, string weights) build one over the
// arcs they sum over, in the direction they need, and solve it from a set
// of initial values with a flowSolver, exactly, cycles included: strongly
// connected components are visited in topological order and closed, in the
// log semiring by the dense closure (Kleene star) of the component, in the
// tropical semiring by Dijkstra's algorithm or, with negative edges,
// Bellman-Ford.
type flowGraph struct {
	n      int
	eu, ev []int32   // edge tails and heads
	ew     []float64 // edge energies
	eidx   []int32   // weight index of each edge in the caller's graph, -1 if none

	outFirst, outEdge []int32 // edges by tail
	inFirst, inEdge   []int32 // edges by head

	comp      []int32 // component of each state; edges never go to a lower one
	compFirst []int32 // states of component c: compState[compFirst[c]:compFirst[c+1]]
	compState []int32
	local     []int32     // index of each state in its component
	cyclic    []bool      // the component has an edge inside it
	nonNeg    []bool      // the edges inside the component have energies >= 0
	star      [][]float64 // log closures of cyclic components, computed on demand
}

func newFlowGraph(n int, eu, ev []int32, ew []float64, eidx []int32) *flowGraph {
	f := &flowGraph{n: n, eu: eu, ev: ev, ew: ew, eidx: eidx}
	f.outFirst, f.outEdge = csrBy(n, eu)
	f.inFirst, f.inEdge = csrBy(n, ev)
	f.components()
	return f
}

// components finds the strongly connected components (Tarjan's algorithm,
// iterative) and numbers them in topological order.
func (f *flowGraph) components() {
	n := f.n
	index := make([]int32, n) // discovery order + 1; 0: not visited
	low := make([]int32, n)
	onStack := make([]bool, n)
	tarjan := make([]int32, n)
	var stack []int32
	type frame struct{ v, next int32 }
	var calls []frame
	var counter, ncomp int32
	visit := func(v int32) {
		counter++
		index[v], low[v] = counter, counter
		stack = append(stack, v)
		onStack[v] = true
		calls = append(calls, frame{v, f.outFirst[v]})
	}
	for s0 := range n {
		if index[s0] != 0 {
			continue
		}
		visit(int32(s0))
		for len(calls) > 0 {
			top := len(calls) - 1
			v := calls[top].v
			if i := calls[top].next; i < f.outFirst[v+1] {
				calls[top].next++
				w := f.ev[f.outEdge[i]]
				if index[w] == 0 {
					visit(w)
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			calls = calls[:top]
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					tarjan[w] = ncomp
					if w == v {
						break
					}
				}
				ncomp++
			}
			if top > 0 {
				if u := calls[top-1].v; low[v] < low[u] {
					low[u] = low[v]
				}
			}
		}
	}
	// Tarjan's algorithm completes the components in reverse topological
	// order.
	f.comp = make([]int32, n)
	for s := range n {
		f.comp[s] = ncomp - 1 - tarjan[s]
	}
	f.compFirst, f.compState = csrBy(int(ncomp), f.comp)
	f.local = make([]int32, n)
	for c := range ncomp {
		for i, s := range f.compState[f.compFirst[c]:f.compFirst[c+1]] {
			f.local[s] = int32(i)
		}
	}
	f.cyclic = make([]bool, ncomp)
	f.nonNeg = make([]bool, ncomp)
	for c := range f.nonNeg {
		f.nonNeg[c] = true
	}
	for e := range f.eu {
		if c := f.comp[f.eu[e]]; c == f.comp[f.ev[e]] {
			f.cyclic[c] = true
			if f.ew[e] < 0 {
				f.nonNeg[c] = false
			}
		}
	}
	f.star = make([][]float64, ncomp)
}

// logStar returns the closure of cyclic component c in the log semiring:
// star[i*m+j] is the ⊕ of the energies of all paths inside the component
// from its i-th to its j-th state, the empty path included. It uses the
// Floyd-Warshall-Kleene elimination, which fails exactly when the sums
// diverge (a pivot's cycles have total probability >= 1).
func (f *flowGraph) logStar(c int32) ([]float64, error) {
	if d := f.star[c]; d != nil {
		return d, nil
	}
	states := f.compState[f.compFirst[c]:f.compFirst[c+1]]
	m := len(states)
	if m > maxLogComponent {
		return nil, fmt.Errorf("a cycle through state %d lies in a strongly connected component of %d states; exact log-semiring sums are limited to %d", states[0], m, maxLogComponent)
	}
	d := make([]float64, m*m)
	for i := range d {
		d[i] = Inf
	}
	for _, u := range states {
		for i := f.outFirst[u]; i < f.outFirst[u+1]; i++ {
			e := f.outEdge[i]
			if v := f.ev[e]; f.comp[v] == c {
				k := f.local[u]*int32(m) + f.local[v]
				d[k] = logAdd(d[k], f.ew[e])
			}
		}
	}
	for k := range m {
		rowk := d[k*m : k*m+m]
		dkk := rowk[k]
		star := 0.0 // ⊕ of dkk^n for n >= 0
		if !math.IsInf(dkk, 1) {
			if !(dkk > 0) {
				return nil, fmt.Errorf("the cycles through state %d have total probability %.6g >= 1: the log-semiring sum over paths diverges", states[k], math.Exp(-dkk))
			}
			star = math.Log(-math.Expm1(-dkk))
		}
		for i := range m {
			if i == k {
				continue
			}
			rowi := d[i*m : i*m+m]
			dik := rowi[k]
			if math.IsInf(dik, 1) {
				continue
			}
			a := dik + star
			for j, dkj := range rowk {
				if j != k && !math.IsInf(dkj, 1) {
					rowi[j] = logAdd(rowi[j], a+dkj)
				}
			}
			rowi[k] = a
		}
		for j := range rowk {
			if !math.IsInf(rowk[j], 1) {
				rowk[j] += star
			}
		}
	}
	for i := range m {
		d[i*m+i] = logAdd(d[i*m+i], 0)
	}
	f.star[c] = d
	return d, nil
}

// flowInit is an initial value of a flow: energy w at state, which is the
// weight of index idx in the caller's graph (-1: a constant).
type flowInit struct {
	state int32
	w     float64
	idx   int32
}

// A flowSolver solves a flowGraph from initial values, over the states they
// reach only. Its buffers are reused from one solve to the next.
type flowSolver struct {
	f        *flowGraph
	sr       Semiring
	backward bool

	gen  uint32
	mark []uint32 // mark[s] == gen: s was reached by the last solve
	val  []float64
	acc  []float64 // values flowing in from earlier components
	list []int32   // reached states, in the order of solution

	// Tropical: the edge into each state on its best path (-1: the path
	// starts there, with the initial weight of index root).
	parent, root       []int32
	accParent, accRoot []int32

	stack []int32
	heap  []heapItem
	count []int32
	inQ   []bool
}

type heapItem struct {
	d float64
	s int32
}

func newFlowSolver(f *flowGraph, sr Semiring) *flowSolver {
	s := &flowSolver{f: f, sr: sr}
	s.mark = make([]uint32, f.n)
	s.val = make([]float64, f.n)
	s.acc = make([]float64, f.n)
	if sr == Tropical {
		s.parent = make([]int32, f.n)
		s.root = make([]int32, f.n)
		s.accParent = make([]int32, f.n)
		s.accRoot = make([]int32, f.n)
	}
	return s
}

// reached reports whether the last solve reached state x (its value is
// then in val, possibly +Inf).
func (s *flowSolver) reached(x int32) bool { return s.mark[x] == s.gen }

// solve computes the path sums from inits: forward, val(x) = ⊕ over inits
// (y, w) of w ⊗ d(y, x) where d(y, x) is the ⊕ of the paths y ⇝ x, or
// backward, val(x) = ⊕ of d(x, y) ⊗ w, over the states the inits reach (in
// the direction of the solve), restricted to the states reached by within
// if it is not nil (which must be closed under the graph's components).
func (s *flowSolver) solve(backward bool, inits []flowInit, within *flowSolver) error {
	f := s.f
	first, edges, other := f.outFirst, f.outEdge, f.ev
	if backward {
		first, edges, other = f.inFirst, f.inEdge, f.eu
	}
	s.backward = backward
	s.gen++
	if s.gen == 0 {
		clear(s.mark)
		s.gen = 1
	}
	s.list = s.list[:0]
	stack := s.stack[:0]
	trop := s.sr == Tropical
	visit := func(x int32) {
		s.mark[x] = s.gen
		s.acc[x], s.val[x] = Inf, Inf
		if trop {
			s.accParent[x], s.accRoot[x] = -1, -1
			s.parent[x], s.root[x] = -1, -1
		}
		s.list = append(s.list, x)
		stack = append(stack, x)
	}
	for _, in := range inits {
		x := in.state
		if within != nil && !within.reached(x) {
			continue
		}
		if s.mark[x] != s.gen {
			visit(x)
		}
		if !trop {
			s.acc[x] = logAdd(s.acc[x], in.w)
		} else if in.w < s.acc[x] {
			s.acc[x], s.accRoot[x] = in.w, in.idx
		}
	}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for i := first[x]; i < first[x+1]; i++ {
			y := other[edges[i]]
			if s.mark[y] != s.gen && (within == nil || within.reached(y)) {
				visit(y)
			}
		}
	}
	s.stack = stack
	s.orderByComponent()
	comp := f.comp
	for i := 0; i < len(s.list); {
		c := comp[s.list[i]]
		j := i + 1
		for j < len(s.list) && comp[s.list[j]] == c {
			j++
		}
		if err := s.close(c, s.list[i:j]); err != nil {
			return err
		}
		for _, x := range s.list[i:j] {
			vx := s.val[x]
			if math.IsInf(vx, 1) {
				continue
			}
			for k := first[x]; k < first[x+1]; k++ {
				e := edges[k]
				y := other[e]
				if comp[y] == c || s.mark[y] != s.gen {
					continue
				}
				v := vx + f.ew[e]
				if !trop {
					s.acc[y] = logAdd(s.acc[y], v)
				} else if v < s.acc[y] {
					s.acc[y], s.accParent[y] = v, e
				}
			}
		}
		i = j
	}
	return nil
}

// orderByComponent sorts the reached states by component, in the order of
// the solve: by sorting when they are few, else by a pass over all the
// states in topological order.
func (s *flowSolver) orderByComponent() {
	f := s.f
	if len(s.list) < 64 || 16*len(s.list) < f.n {
		comp := f.comp
		if s.backward {
			slices.SortFunc(s.list, func(a, b int32) int { return cmp.Compare(comp[b], comp[a]) })
		} else {
			slices.SortFunc(s.list, func(a, b int32) int { return cmp.Compare(comp[a], comp[b]) })
		}
		return
	}
	s.list = s.list[:0]
	n := len(f.compState)
	for i := range n {
		x := f.compState[i]
		if s.backward {
			x = f.compState[n-1-i]
		}
		if s.mark[x] == s.gen {
			s.list = append(s.list, x)
		}
	}
}

// close computes the values of the states S of component c from the
// values flowing into them.
func (s *flowSolver) close(c int32, S []int32) error {
	f := s.f
	if s.sr == Tropical {
		for _, x := range S {
			s.val[x], s.parent[x], s.root[x] = s.acc[x], s.accParent[x], s.accRoot[x]
		}
		if !f.cyclic[c] {
			return nil
		}
		if f.nonNeg[c] {
			s.dijkstra(c, S)
			return nil
		}
		return s.bellmanFord(c, S)
	}
	if !f.cyclic[c] {
		s.val[S[0]] = s.acc[S[0]]
		return nil
	}
	star, err := f.logStar(c)
	if err != nil {
		return err
	}
	m := int32(len(S))
	for _, y := range S {
		v := Inf
		ly := f.local[y]
		for _, x := range S {
			ax := s.acc[x]
			if math.IsInf(ax, 1) {
				continue
			}
			var d float64
			if s.backward {
				d = star[ly*m+f.local[x]]
			} else {
				d = star[f.local[x]*m+ly]
			}
			v = logAdd(v, ax+d)
		}
		s.val[y] = v
	}
	return nil
}

// internalEdges returns the adjacency of the solve's direction.
func (s *flowSolver) adjacency() (first, edges, other []int32) {
	if s.backward {
		return s.f.inFirst, s.f.inEdge, s.f.eu
	}
	return s.f.outFirst, s.f.outEdge, s.f.ev
}

// dijkstra closes a component whose inside edges are non-negative.
func (s *flowSolver) dijkstra(c int32, S []int32) {
	first, edges, other := s.adjacency()
	h := s.heap[:0]
	for _, x := range S {
		if !math.IsInf(s.val[x], 1) {
			h = heapPush(h, heapItem{s.val[x], x})
		}
	}
	for len(h) > 0 {
		var it heapItem
		it, h = heapPop(h)
		x := it.s
		if it.d > s.val[x] {
			continue
		}
		for k := first[x]; k < first[x+1]; k++ {
			e := edges[k]
			y := other[e]
			if s.f.comp[y] != c {
				continue
			}
			if v := it.d + s.f.ew[e]; v < s.val[y] {
				s.val[y], s.parent[y], s.root[y] = v, e, -1
				h = heapPush(h, heapItem{v, y})
			}
		}
	}
	s.heap = h
}

// bellmanFord closes a component with negative edges (FIFO label
// correcting), failing on a negative cycle.
func (s *flowSolver) bellmanFord(c int32, S []int32) error {
	first, edges, other := s.adjacency()
	if s.count == nil {
		s.count = make([]int32, s.f.n)
		s.inQ = make([]bool, s.f.n)
	}
	q := s.stack[:0]
	for _, x := range S {
		s.count[x] = 0
		if !math.IsInf(s.val[x], 1) {
			q = append(q, x)
			s.inQ[x] = true
		}
	}
	limit := int32(len(S))
	for head := 0; head < len(q); head++ {
		x := q[head]
		s.inQ[x] = false
		if s.count[x]++; s.count[x] > limit {
			for _, y := range q[head:] {
				s.inQ[y] = false
			}
			s.stack = q[:0]
			return fmt.Errorf("a cycle through state %d has negative energy: the tropical sum over paths diverges", x)
		}
		for k := first[x]; k < first[x+1]; k++ {
			e := edges[k]
			y := other[e]
			if s.f.comp[y] != c {
				continue
			}
			if v := s.val[x] + s.f.ew[e]; v < s.val[y] {
				s.val[y], s.parent[y], s.root[y] = v, e, -1
				if !s.inQ[y] {
					s.inQ[y] = true
					q = append(q, y)
				}
			}
		}
		if head > 4096 && 2*head > len(q) {
			q = append(q[:0], q[head+1:]...)
			head = -1
		}
	}
	s.stack = q[:0]
	return nil
}

// addPath adds scale to the coefficients of the weights on the best path
// of x in the last tropical solve (the edges back to its initial state and
// that state's initial weight).
func (s *flowSolver) addPath(x int32, scale float64, acc *refAcc) {
	for {
		e := s.parent[x]
		if e < 0 {
			if r := s.root[x]; r >= 0 {
				acc.add(r, scale)
			}
			return
		}
		if idx := s.f.eidx[e]; idx >= 0 {
			acc.add(idx, scale)
		}
		if s.backward {
			x = s.f.ev[e]
		} else {
			x = s.f.eu[e]
		}
	}
}

// addEdgePosteriors adds to acc, for every edge u → v reached by both a
// forward solve fw and a backward solve bw of a log-semiring flow, its
// posterior exp(z − fw(u) − w − bw(v)): the derivative of the total z of
// the paths from fw's initial values to bw's with respect to the edge's
// energy (its expected number of uses).
func addEdgePosteriors(fw, bw *flowSolver, z float64, acc *refAcc) {
	f := fw.f
	for _, v := range bw.list {
		bv := bw.val[v]
		if math.IsInf(bv, 1) {
			continue
		}
		for k := f.inFirst[v]; k < f.inFirst[v+1]; k++ {
			e := f.inEdge[k]
			u := f.eu[e]
			if f.eidx[e] < 0 || !fw.reached(u) || math.IsInf(fw.val[u], 1) {
				continue
			}
			acc.add(f.eidx[e], math.Exp(z-fw.val[u]-f.ew[e]-bv))
		}
	}
}

func heapPush(h []heapItem, it heapItem) []heapItem {
	h = append(h, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].d <= h[i].d {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	return h
}

func heapPop(h []heapItem) (heapItem, []heapItem) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].d < h[l].d {
			m = r
		}
		if h[i].d <= h[m].d {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return top, h
}

// negligibleCoef is the magnitude under which a derivative is rounding
// noise and left out of a Map row.
const negligibleCoef = 1e-15

// refAcc accumulates a sparse row of derivatives with respect to the
// weights of one input graph.
type refAcc struct {
	coef    []float64
	used    []bool
	touched []int32
}

func newRefAcc(n int) *refAcc {
	return &refAcc{coef: make([]float64, n), used: make([]bool, n)}
}

func (a *refAcc) add(idx int32, c float64) {
	if !a.used[idx] {
		a.used[idx] = true
		a.touched = append(a.touched, idx)
	}
	a.coef[idx] += c
}

func (a *refAcc) addRefs(refs []Ref, scale float64) {
	for _, r := range refs {
		a.add(r.Index, scale*r.Coef)
	}
}

// flush appends the accumulated row to dst, without negligible
// coefficients, and resets the accumulator.
func (a *refAcc) flush(dst []Ref) []Ref {
	for _, i := range a.touched {
		if c := a.coef[i]; math.Abs(c) > negligibleCoef {
			dst = append(dst, Ref{Index: i, Coef: c})
		}
		a.coef[i], a.used[i] = 0, false
	}
	a.touched = a.touched[:0]
	return dst
}
