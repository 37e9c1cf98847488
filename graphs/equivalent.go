package graphs

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Equivalent reports whether the deterministic acceptors a and b accept
// the same label sequences with energies equal within delta, as OpenFst's
// fstequivalent. a and b must be epsilon-free deterministic acceptors (see
// RmEpsilon, Determinize); Equivalent returns an error otherwise.
//
// Both are pushed towards the initial state (in the tropical semiring:
// each sequence has one path, so the energies do not depend on the
// semiring), their total weights are compared, and the two automata are
// then traversed together, merging the pairs of states reached by the same
// sequences with a union-find structure (Hopcroft and Karp's test), which
// must agree on labels, on pushed arc energies and on pushed final
// energies within delta. States on no successful path are ignored. It
// fails if a cycle of negative energy makes the pushing diverge.
func Equivalent(a, b *Graph, delta float64) (bool, error) {
	if !(delta >= 0) || math.IsInf(delta, 1) {
		return false, fmt.Errorf("graphs: Equivalent: invalid delta %v", delta)
	}
	if err := checkDeterministicAcceptor(a, true); err != nil {
		return false, fmt.Errorf("graphs: Equivalent: first graph: %w", err)
	}
	if err := checkDeterministicAcceptor(b, true); err != nil {
		return false, fmt.Errorf("graphs: Equivalent: second graph: %w", err)
	}
	la, lb := liveStateMask(a), liveStateMask(b)
	emptyA := a.NumStates() == 0 || !la[a.Start()]
	emptyB := b.NumStates() == 0 || !lb[b.Start()]
	if emptyA || emptyB {
		return emptyA && emptyB, nil
	}
	pa, err := newPusher(a, Tropical, false, la)
	if err != nil {
		return false, fmt.Errorf("graphs: Equivalent: first graph: %w", err)
	}
	pb, err := newPusher(b, Tropical, false, lb)
	if err != nil {
		return false, fmt.Errorf("graphs: Equivalent: second graph: %w", err)
	}
	if !approxEqual(pa.pot(a.Start()), pb.pot(b.Start()), delta) {
		return false, nil
	}
	na := a.NumStates()
	uf := make([]int32, na+b.NumStates())
	for i := range uf {
		uf[i] = int32(i)
	}
	find := func(x int32) int32 {
		for uf[x] != x {
			uf[x] = uf[uf[x]]
			x = uf[x]
		}
		return x
	}
	var arcsA, arcsB []int32
	stack := [][2]int32{{int32(a.Start()), int32(b.Start())}}
	for len(stack) > 0 {
		x, y := stack[len(stack)-1][0], stack[len(stack)-1][1]
		stack = stack[:len(stack)-1]
		rx, ry := find(x), find(int32(na)+y)
		if rx == ry {
			continue
		}
		uf[rx] = ry
		fa, fb := Inf, Inf
		if a.IsFinal(int(x)) {
			fa = pa.finalWeight(int(x))
		}
		if b.IsFinal(int(y)) {
			fb = pb.finalWeight(int(y))
		}
		if !approxEqual(fa, fb, delta) {
			return false, nil
		}
		arcsA = liveArcsByLabel(a, la, x, arcsA[:0])
		arcsB = liveArcsByLabel(b, lb, y, arcsB[:0])
		if len(arcsA) != len(arcsB) {
			return false, nil
		}
		for i, ea := range arcsA {
			eb := arcsB[i]
			if a.ilabel[ea] != b.ilabel[eb] || !approxEqual(pa.arcWeight(int(ea)), pb.arcWeight(int(eb)), delta) {
				return false, nil
			}
			stack = append(stack, [2]int32{a.dst[ea], b.dst[eb]})
		}
	}
	return true, nil
}

// liveArcsByLabel appends to dst the arcs of s that lead to live states,
// sorted by label.
func liveArcsByLabel(g *Graph, live []bool, s int32, dst []int32) []int32 {
	for a := g.first[s]; a < g.first[s+1]; a++ {
		if live[g.dst[a]] {
			dst = append(dst, a)
		}
	}
	slices.SortFunc(dst, func(x, y int32) int { return cmp.Compare(g.ilabel[x], g.ilabel[y]) })
	return dst
}

// approxEqual reports whether energies x and y differ by at most delta
// (two +Inf are equal), as OpenFst's ApproxEqual.
func approxEqual(x, y, delta float64) bool {
	if math.IsInf(x, 1) || math.IsInf(y, 1) {
		return math.IsInf(x, 1) && math.IsInf(y, 1)
	}
	return math.Abs(x-y) <= delta
}

// RandEquivalent tests whether a and b are equivalent in semiring sr by
// sampling, as OpenFst's fstequivalent --random: it draws npath random
// successful paths, alternately from a and from b (uniformly among the arcs
// and the final option at each state, with a generator seeded by seed),
// and compares the energies that a and b give to each path's pair of input
// and output label sequences (epsilons left out): the ⊕ over all paths of
// the graph with these sequences, computed exactly (epsilon cycles
// included). It returns false as soon as two energies differ by more than
// delta. a and b may be any graphs, transducers included; it fails if a
// sum diverges (see RmEpsilon). States on no successful path are ignored.
func RandEquivalent(a, b *Graph, sr Semiring, npath int, seed uint64, delta float64) (bool, error) {
	if err := checkSemiring(sr); err != nil {
		return false, fmt.Errorf("graphs: RandEquivalent: %w", err)
	}
	if npath < 1 {
		return false, fmt.Errorf("graphs: RandEquivalent: npath %d < 1", npath)
	}
	if !(delta >= 0) || math.IsInf(delta, 1) {
		return false, fmt.Errorf("graphs: RandEquivalent: invalid delta %v", delta)
	}
	la, lb := liveStateMask(a), liveStateMask(b)
	emptyA := a.NumStates() == 0 || !la[a.Start()]
	emptyB := b.NumStates() == 0 || !lb[b.Start()]
	if emptyA && emptyB {
		return true, nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for k := range npath {
		g, live := a, la
		if emptyA || k%2 == 1 && !emptyB {
			g, live = b, lb
		}
		in, out, err := randomPathLabels(g, live, rng)
		if err != nil {
			return false, fmt.Errorf("graphs: RandEquivalent: %w", err)
		}
		wa, err := stringPairWeight(a, la, sr, in, out)
		if err != nil {
			return false, fmt.Errorf("graphs: RandEquivalent: first graph: %w", err)
		}
		wb, err := stringPairWeight(b, lb, sr, in, out)
		if err != nil {
			return false, fmt.Errorf("graphs: RandEquivalent: second graph: %w", err)
		}
		if !approxEqual(wa, wb, delta) {
			return false, nil
		}
	}
	return true, nil
}

// randomPathLabels draws a successful path of g uniformly at each state
// among its arcs to live states and, if it is final, stopping, and returns
// its input and output labels without epsilons.
func randomPathLabels(g *Graph, live []bool, rng *rand.Rand) (in, out []int32, err error) {
	const maxSteps, maxTries = 1 << 16, 100
	for range maxTries {
		in, out = in[:0], out[:0]
		s := int32(g.Start())
		for range maxSteps {
			k := 0
			for a := g.first[s]; a < g.first[s+1]; a++ {
				if live[g.dst[a]] {
					k++
				}
			}
			fin := 0
			if g.IsFinal(int(s)) {
				fin = 1
			}
			r := rng.IntN(k + fin)
			if r == k {
				return in, out, nil
			}
			for a := g.first[s]; a < g.first[s+1]; a++ {
				if !live[g.dst[a]] {
					continue
				}
				if r == 0 {
					if l := g.ilabel[a]; l != Epsilon {
						in = append(in, l)
					}
					if l := g.olabel[a]; l != Epsilon {
						out = append(out, l)
					}
					s = g.dst[a]
					break
				}
				r--
			}
		}
	}
	return nil, nil, errors.New("random walks keep going past 65536 arcs: cannot draw a path")
}

// stringPairWeight returns the ⊕ in sr of the energies of the successful
// paths of g (through live states) whose input labels are in and output
// labels are out, epsilons aside: the total weight of the composition of
// the linear acceptor of in, g and the linear acceptor of out.
func stringPairWeight(g *Graph, live []bool, sr Semiring, in, out []int32) (float64, error) {
	if g.NumStates() == 0 || !live[g.Start()] {
		return Inf, nil
	}
	ni, nj := int64(len(in)+1), int64(len(out)+1)
	ids := map[int64]int32{}
	var states [][3]int32 // (q, i, j)
	lookup := func(q, i, j int32) int32 {
		k := (int64(q)*ni+int64(i))*nj + int64(j)
		if id, ok := ids[k]; ok {
			return id
		}
		id := int32(len(states))
		ids[k] = id
		states = append(states, [3]int32{q, i, j})
		return id
	}
	lookup(int32(g.Start()), 0, 0)
	var eu, ev, eidx []int32
	var ew []float64
	for u := 0; u < len(states); u++ {
		q, i, j := states[u][0], states[u][1], states[u][2]
		for a := g.first[q]; a < g.first[q+1]; a++ {
			if !live[g.dst[a]] {
				continue
			}
			i2, j2 := i, j
			if l := g.ilabel[a]; l != Epsilon {
				if int(i) == len(in) || in[i] != l {
					continue
				}
				i2++
			}
			if l := g.olabel[a]; l != Epsilon {
				if int(j) == len(out) || out[j] != l {
					continue
				}
				j2++
			}
			v := lookup(g.dst[a], i2, j2)
			eu, ev = append(eu, int32(u)), append(ev, v)
			ew, eidx = append(ew, g.weight[a]), append(eidx, -1)
		}
	}
	sol := newFlowSolver(newFlowGraph(len(states), eu, ev, ew, eidx), sr)
	if err := sol.solve(false, []flowInit{{0, 0, -1}}, nil); err != nil {
		return 0, err
	}
	total := Inf
	for u, st := range states {
		if int(st[1]) == len(in) && int(st[2]) == len(out) && g.IsFinal(int(st[0])) {
			total = sr.Plus(total, sol.val[u]+g.final[st[0]])
		}
	}
	return total, nil
}
