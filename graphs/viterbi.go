package graphs

import (
	"fmt"
)

// Path is a successful path of a graph: a sequence of arcs from the start
// state to a final state, and its energy (the sum of its arc energies and
// of the final energy of its last state).
type Path struct {
	Energy float64
	Arcs   []int32 // arc indices, in order from the start state
	Final  int32   // the final state where the path ends
}

// ILabels returns the non-epsilon input labels along p in g.
func (p Path) ILabels(g *Graph) []int32 { return pathLabels(g.ilabel, p.Arcs) }

// OLabels returns the non-epsilon output labels along p in g.
func (p Path) OLabels(g *Graph) []int32 { return pathLabels(g.olabel, p.Arcs) }

func pathLabels(labels, arcs []int32) []int32 {
	out := make([]int32, 0, len(arcs))
	for _, a := range arcs {
		if l := labels[a]; l != Epsilon {
			out = append(out, l)
		}
	}
	return out
}

// Gradient returns the gradient of p's energy with respect to the weights
// of g, in weight-index order: the number of times p uses each arc (a path
// through a cycle may use an arc more than once), and 1 for the final
// energy of p.Final. It is the gradient of the Viterbi energy when p is
// the unique best path.
func (p Path) Gradient(g *Graph) []float64 {
	grad := make([]float64, g.NumWeights())
	for _, a := range p.Arcs {
		grad[a]++
	}
	grad[g.FinalIndex(int(p.Final))]++
	return grad
}

// Viterbi returns a path of lowest energy of g (min-sum, the tropical
// semiring's shortest path); among paths of equal energy it is
// deterministic but unspecified. It returns ErrNoPath if g has no
// successful path.
//
// Acyclic graphs take one pass in reverse topological order (no sorting
// when the states are numbered topologically). Cyclic graphs are solved
// with Dijkstra's algorithm when no energy is negative, and with a
// Bellman-Ford-like FIFO algorithm otherwise; a cycle of negative energy
// on a successful path gives ErrNegativeCycle.
func Viterbi(g *Graph) (Path, error) {
	d, best, err := bestSuffixes(g)
	if err != nil {
		return Path{}, fmt.Errorf("graphs: Viterbi: %w", err)
	}
	if len(d) == 0 || d[g.start] == Inf {
		return Path{Energy: Inf, Final: NoState}, ErrNoPath
	}
	p := Path{Energy: d[g.start]}
	s := g.start
	for a := best[s]; a >= 0; a = best[s] {
		if len(p.Arcs) >= len(d) {
			// Pointers around a cycle: only possible with a cycle whose
			// energy is zero up to rounding.
			return Path{}, fmt.Errorf("graphs: Viterbi: best-path pointers loop at state %d (zero-energy cycle with rounding?)", s)
		}
		p.Arcs = append(p.Arcs, a)
		s = g.dst[a]
	}
	p.Final = s
	return p, nil
}

// bestSuffixes returns, for every state of g, the lowest energy of a path
// from it to a final state (tropical reverse distance, +Inf if none or if
// the state is not accessible in a cyclic graph) and the first arc of
// such a path (-1: stop there).
func bestSuffixes(g *Graph) ([]float64, []int32, error) {
	n := g.NumStates()
	d := make([]float64, n)
	best := make([]int32, n)
	if n == 0 || reverseTropicalPass(g, nil, 1, d, best) {
		return d, best, nil
	}
	if order, acyclic := TopSort(g); acyclic {
		reverseTropicalPass(g, order, 1, d, best)
		return d, best, nil
	}
	// Only states reachable from the start take part, so that negative
	// cycles off the successful paths do not matter.
	p := cyclicDistance{g: g, sr: Tropical, scale: 1, reverse: true, mask: Accessible(g)}
	if err := p.solve(d, best); err != nil {
		return nil, nil, err
	}
	return d, best, nil
}

// ShortestPath returns the n lowest-energy paths of g (see NBest) as a
// graph, like OpenFst's fstshortestpath --nshortest=n: a tree rooted at
// the start state whose successful paths are those n paths (paths sharing
// a prefix of arcs share its states; for n = 1 the result is linear). The
// Map copies the weights of the paths' arcs and final energies. If g has
// fewer than n paths, all are returned; if it has none, the result is the
// empty graph. n must be at least 1.
func ShortestPath(g *Graph, n int) (*Graph, *Map, error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("graphs: ShortestPath: n = %d, want n >= 1", n)
	}
	var paths []Path
	if n == 1 {
		p, err := Viterbi(g)
		if err != nil && err != ErrNoPath {
			return nil, nil, fmt.Errorf("graphs: ShortestPath: %w", err)
		}
		if err == nil {
			paths = []Path{p}
		}
	} else {
		var err error
		if paths, err = NBest(g, n); err != nil {
			return nil, nil, fmt.Errorf("graphs: ShortestPath: %w", err)
		}
	}
	return pathTree(g, paths)
}

// pathTree builds the prefix tree of paths of g, with its Map.
func pathTree(g *Graph, paths []Path) (*Graph, *Map, error) {
	b := NewMapBuilder(1)
	if len(paths) == 0 {
		return b.Build()
	}
	root := b.AddState()
	b.SetStart(root)
	// child maps (tree state, input arc) to the tree state the arc leads
	// to.
	child := make(map[[2]int32]int32)
	for _, p := range paths {
		q := int32(root)
		for _, a := range p.Arcs {
			key := [2]int32{q, a}
			next, ok := child[key]
			if !ok {
				next = int32(b.AddState())
				b.AddArc(int(q), int(next), g.ilabel[a], g.olabel[a], g.weight[a], R(0, int(a)))
				child[key] = next
			}
			q = next
		}
		b.SetFinal(int(q), g.final[p.Final], R(0, g.FinalIndex(int(p.Final))))
	}
	return b.Build()
}
