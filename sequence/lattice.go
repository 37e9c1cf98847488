package sequence

import (
	"fmt"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// Lattice builds on tp the label lattice of a sentence as a graph, the
// generic counterpart of Chain: the composition of
//
//   - the emission graph, a linear acceptor of T+1 states whose arcs
//     t → t+1 carry each label y (as graph label y+1, 0 being epsilon)
//     with energy emit[t, y], and
//   - the transition graph, a bigram acceptor whose state k remembers the
//     last label (k = 0: none yet) and whose arc k → y+1 carries label
//     y+1 with energy trans[k-1, y] (trans[BOS, y] from state 0), with
//     final energies trans[y, EOS].
//
// emit is a [T, L] Var of emission energies, trans an [L+1, L+1] Var of
// transition energies (see Chain); both are bound to the graphs' arcs with
// Tape.BindArcs, so a loss on the lattice (gtn's Tape.GraphLoss with the
// gold labels plus one as target) sends its gradient into them. Paths of
// the lattice and labelings of the sentence correspond one to one, with
// equal energies.
func Lattice(tp *gtn.Tape, emit, trans *gtn.Var) (*gtn.GraphVar, error) {
	if len(emit.Value.Shape) != 2 || len(trans.Value.Shape) != 2 {
		return nil, fmt.Errorf("sequence: Lattice: emissions %v and transitions %v, want [T,L] and [L+1,L+1]", emit.Value.Shape, trans.Value.Shape)
	}
	T, L := emit.Value.Shape[0], emit.Value.Shape[1]
	if T < 1 || L < 1 || trans.Value.Shape[0] != L+1 || trans.Value.Shape[1] != L+1 {
		return nil, fmt.Errorf("sequence: Lattice: emissions %v and transitions %v, want [T,L] and [L+1,L+1]", emit.Value.Shape, trans.Value.Shape)
	}
	b := graphs.NewBuilder()
	b.AddStates(T + 1)
	b.SetStart(0)
	b.SetFinal(T, 0)
	var idx []int32
	for t := range T {
		for y := range L {
			b.AddArc(t, t+1, int32(y+1), int32(y+1), 0)
			idx = append(idx, int32(t*L+y))
		}
	}
	eg, _, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("sequence: Lattice: emission graph: %w", err)
	}
	for range T + 1 {
		idx = append(idx, -1) // final energies are not bound
	}
	ev, err := tp.BindArcs(eg, idx, emit)
	if err != nil {
		return nil, fmt.Errorf("sequence: Lattice: %w", err)
	}

	L1 := L + 1
	b = graphs.NewBuilder()
	b.AddStates(L + 1)
	b.SetStart(0)
	idx = make([]int32, 0, (L+1)*L+L+1) // BindArcs keeps the first idx for its backward pass
	for k := 0; k <= L; k++ {
		prev := L // BOS row
		if k > 0 {
			prev = k - 1
		}
		for y := range L {
			b.AddArc(k, y+1, int32(y+1), int32(y+1), 0)
			idx = append(idx, int32(prev*L1+y))
		}
	}
	idx = append(idx, -1) // state 0 is not final
	for k := 1; k <= L; k++ {
		b.SetFinal(k, 0)
		idx = append(idx, int32((k-1)*L1+L))
	}
	tg, _, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("sequence: Lattice: transition graph: %w", err)
	}
	// Builder keeps arcs in insertion order here (they were added by
	// source state), so idx matches the weight indices.
	tv, err := tp.BindArcs(tg, idx, trans)
	if err != nil {
		return nil, fmt.Errorf("sequence: Lattice: %w", err)
	}
	return tp.Compose(ev, tv)
}

// HammingCost returns the cost graph of gold over L labels: a linear
// acceptor whose arc t → t+1 for label y (graph label y+1) has energy
// -cost when y != gold[t] and 0 otherwise. Composing a lattice with it
// gives the cost-augmented lattice of Chain.Loss.
func HammingCost(gold []int32, L int, cost float64) (*graphs.Graph, error) {
	b := graphs.NewBuilder()
	b.AddStates(len(gold) + 1)
	b.SetStart(0)
	b.SetFinal(len(gold), 0)
	for t, g := range gold {
		for y := range L {
			w := -cost
			if int32(y) == g {
				w = 0
			}
			b.AddArc(t, t+1, int32(y+1), int32(y+1), w)
		}
	}
	g, _, err := b.Build()
	return g, err
}

// GraphLoss is the reference implementation of Chain.Loss through gtn's
// generic graph machinery: it builds the lattice (Lattice), composes it
// with the Hamming cost graph when cost != 0, and applies gtn's
// Tape.GraphLoss with the gold labels. It is slow (graphs are built and
// composed for every sentence) and exists to check Chain and to show the
// architecture; training uses Chain.
func GraphLoss(tp *gtn.Tape, emit, trans *gtn.Var, gold []int32, loss gtn.Loss, cost float64) (*gtn.Var, error) {
	lat, err := Lattice(tp, emit, trans)
	if err != nil {
		return nil, err
	}
	if cost != 0 {
		cg, err := HammingCost(gold, emit.Value.Shape[1], cost)
		if err != nil {
			return nil, err
		}
		if lat, err = tp.Compose(lat, tp.Graph(cg)); err != nil {
			return nil, err
		}
	}
	target := make([]int32, len(gold))
	for i, g := range gold {
		target[i] = g + 1
	}
	return tp.GraphLoss(lat, target, loss)
}
