// Package graphs implements weighted finite-state acceptors and transducers
// whose arcs carry int32 labels and float64 energies, and the algorithms of
// weighted automata over them: composition, shortest distance in the tropical
// (Viterbi, min-sum) and log (forward, log-sum-exp) semirings, epsilon removal,
// determinization, minimization and the rational operations.
//
// Weights are energies: lower is better, the energy of a path is the sum of
// its arc energies plus the final energy of its last state, and a state with
// final energy +Inf is not final. Label 0 is epsilon. These are the
// conventions of OpenFst's tropical and log semirings, so OpenFst's tools are
// a direct oracle for every algorithm here.
//
// A Graph is immutable once built. Its arcs are stored in flat slices sorted
// by source state (CSR layout). Every weight of a graph, arc energies first
// and then final energies, has a weight index (see Graph.NumWeights), and
// every algorithm that computes output weights from input weights returns a
// Map that records the derivative of each output weight with respect to the
// input weights it came from. Map.Backward is then the one backward pass
// shared by all structural operations.
package graphs

import (
	"errors"
	"fmt"
	"math"
)

// Epsilon is the label of an arc that consumes or emits nothing.
const Epsilon int32 = 0

// NoState is returned by Graph.Start for a graph without states.
const NoState = -1

// Inf is the energy of an impossible path, and the final energy of a state
// that is not final.
var Inf = math.Inf(1)

// Arc is one transition of a graph.
type Arc struct {
	Src, Dst       int32
	ILabel, OLabel int32
	Weight         float64
}

// Graph is a weighted finite-state transducer. An acceptor is a transducer
// whose arcs all have equal input and output labels.
//
// The zero value is the empty graph (no states, no paths).
type Graph struct {
	start int32 // NoState when the graph has no states
	final []float64

	// Arcs sorted by source state: those leaving state s are
	// first[s] <= a < first[s+1].
	first  []int32
	src    []int32
	dst    []int32
	ilabel []int32
	olabel []int32
	weight []float64

	props Properties
}

// Properties are structural facts about a graph, known when it is built.
type Properties uint32

const (
	// Acceptor: every arc has equal input and output labels.
	Acceptor Properties = 1 << iota
	// ILabelSorted: the arcs of each state are sorted by input label.
	ILabelSorted
	// OLabelSorted: the arcs of each state are sorted by output label.
	OLabelSorted
	// NoIEpsilons: no arc has an epsilon input label.
	NoIEpsilons
	// NoOEpsilons: no arc has an epsilon output label.
	NoOEpsilons
)

// NumStates returns the number of states.
func (g *Graph) NumStates() int { return len(g.final) }

// NumArcs returns the number of arcs.
func (g *Graph) NumArcs() int { return len(g.src) }

// NumWeights returns the number of weights of g: its arcs' energies, which
// have weight indices 0..NumArcs()-1, followed by its states' final
// energies, which have weight indices NumArcs()..NumArcs()+NumStates()-1.
// Gradients with respect to a graph's weights are slices of this length.
func (g *Graph) NumWeights() int { return len(g.src) + len(g.final) }

// FinalIndex returns the weight index of the final energy of state s.
func (g *Graph) FinalIndex(s int) int { return len(g.src) + s }

// Start returns the start state, or NoState if the graph has no states.
func (g *Graph) Start() int {
	if len(g.final) == 0 {
		return NoState
	}
	return int(g.start)
}

// Final returns the final energy of state s; +Inf if s is not final.
func (g *Graph) Final(s int) float64 { return g.final[s] }

// IsFinal reports whether s is a final (accepting) state.
func (g *Graph) IsFinal(s int) bool { return !math.IsInf(g.final[s], 1) }

// Arcs returns the range of indices of the arcs leaving state s:
// lo <= a < hi.
func (g *Graph) Arcs(s int) (lo, hi int) { return int(g.first[s]), int(g.first[s+1]) }

// NumArcsOf returns the number of arcs leaving state s.
func (g *Graph) NumArcsOf(s int) int { return int(g.first[s+1] - g.first[s]) }

// Arc returns arc a.
func (g *Graph) Arc(a int) Arc {
	return Arc{g.src[a], g.dst[a], g.ilabel[a], g.olabel[a], g.weight[a]}
}

// Src returns the source state of arc a.
func (g *Graph) Src(a int) int { return int(g.src[a]) }

// Dst returns the destination state of arc a.
func (g *Graph) Dst(a int) int { return int(g.dst[a]) }

// ILabel returns the input label of arc a.
func (g *Graph) ILabel(a int) int32 { return g.ilabel[a] }

// OLabel returns the output label of arc a.
func (g *Graph) OLabel(a int) int32 { return g.olabel[a] }

// Weight returns the energy of arc a.
func (g *Graph) Weight(a int) float64 { return g.weight[a] }

// Weights returns all weights of g in weight-index order (arc energies, then
// final energies) as a new slice.
func (g *Graph) Weights() []float64 {
	w := make([]float64, 0, g.NumWeights())
	w = append(w, g.weight...)
	return append(w, g.final...)
}

// Properties returns the structural properties of g.
func (g *Graph) Properties() Properties { return g.props }

// Has reports whether g has all properties p.
func (g *Graph) Has(p Properties) bool { return g.props&p == p }

// IsAcceptor reports whether every arc of g has equal input and output labels.
func (g *Graph) IsAcceptor() bool { return g.Has(Acceptor) }

// WithWeights returns a graph with the structure of g and the weights w, in
// weight-index order (arcs, then finals); len(w) must be g.NumWeights().
// The structure is shared, not copied; w is copied.
func (g *Graph) WithWeights(w []float64) (*Graph, error) {
	if len(w) != g.NumWeights() {
		return nil, fmt.Errorf("graphs: WithWeights: got %d weights, graph has %d", len(w), g.NumWeights())
	}
	h := *g
	h.weight = append([]float64(nil), w[:len(g.src)]...)
	h.final = append([]float64(nil), w[len(g.src):]...)
	return &h, nil
}

// ErrNoPath is returned by algorithms that need a successful path when the
// graph has none.
var ErrNoPath = errors.New("graphs: no path reaches a final state")

// Validate checks the invariants of g: a valid start state, arcs that name
// existing states, no NaN or -Inf weights, and no arc with energy +Inf.
// Graphs made by a Builder or read by ReadText are always valid; Validate is
// for graphs assembled from untrusted weights (see WithWeights).
func (g *Graph) Validate() error {
	n := int32(len(g.final))
	if n == 0 {
		if len(g.src) != 0 {
			return errors.New("graphs: graph without states has arcs")
		}
		return nil
	}
	if g.start < 0 || g.start >= n {
		return fmt.Errorf("graphs: start state %d out of range [0,%d)", g.start, n)
	}
	for s, f := range g.final {
		if math.IsNaN(f) || math.IsInf(f, -1) {
			return fmt.Errorf("graphs: state %d: invalid final energy %v", s, f)
		}
	}
	for a := range g.src {
		if g.dst[a] < 0 || g.dst[a] >= n {
			return fmt.Errorf("graphs: arc %d: destination %d out of range [0,%d)", a, g.dst[a], n)
		}
		if g.ilabel[a] < 0 || g.olabel[a] < 0 {
			return fmt.Errorf("graphs: arc %d: negative label", a)
		}
		if w := g.weight[a]; math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("graphs: arc %d: invalid energy %v", a, w)
		}
	}
	return nil
}

// String returns a short description of g, for debugging.
func (g *Graph) String() string {
	return fmt.Sprintf("graph(%d states, %d arcs, start %d)", g.NumStates(), g.NumArcs(), g.Start())
}

// computeProps computes the structural properties of g.
func (g *Graph) computeProps() {
	p := Acceptor | ILabelSorted | OLabelSorted | NoIEpsilons | NoOEpsilons
	for a := range g.src {
		il, ol := g.ilabel[a], g.olabel[a]
		if il != ol {
			p &^= Acceptor
		}
		if il == Epsilon {
			p &^= NoIEpsilons
		}
		if ol == Epsilon {
			p &^= NoOEpsilons
		}
		if a > 0 && g.src[a-1] == g.src[a] {
			if g.ilabel[a-1] > il {
				p &^= ILabelSorted
			}
			if g.olabel[a-1] > ol {
				p &^= OLabelSorted
			}
		}
	}
	g.props = p
}
