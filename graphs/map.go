package graphs

import "fmt"

// A Map is the Jacobian of an operation that computes the weights of an
// output graph from the weights of its input graphs. It has one row per
// output weight (in weight-index order: arcs, then finals); a row lists the
// input weights the output weight depends on, each with its derivative.
//
// Structural operations (compose, project, union, ...) copy or add weights,
// so their rows hold coefficients of 1; operations that sum over paths in
// the log semiring (epsilon removal, determinization) hold arc posteriors.
// Map.Backward is the backward pass of every such operation.
type Map struct {
	numInputs int
	start     []int32 // row j is refs[start[j]:start[j+1]]
	refs      []Ref
}

// NumInputs returns the number of input graphs of the operation.
func (m *Map) NumInputs() int { return m.numInputs }

// NumOutputs returns the number of output weights (rows).
func (m *Map) NumOutputs() int { return len(m.start) - 1 }

// Row returns the input references of output weight j. The slice must not
// be modified.
func (m *Map) Row(j int) []Ref { return m.refs[m.start[j]:m.start[j+1]] }

// Backward accumulates into gradIn[i] (one slice per input graph, of that
// graph's NumWeights length; nil to skip an input) the gradient with respect
// to the input weights, given gradOut, the gradient with respect to the
// output weights: gradIn += Jᵀ gradOut.
func (m *Map) Backward(gradOut []float64, gradIn ...[]float64) error {
	if len(gradOut) != m.NumOutputs() {
		return fmt.Errorf("graphs: Map.Backward: %d output gradients for %d output weights", len(gradOut), m.NumOutputs())
	}
	if len(gradIn) != m.numInputs {
		return fmt.Errorf("graphs: Map.Backward: %d input gradients for %d inputs", len(gradIn), m.numInputs)
	}
	for j, gj := range gradOut {
		if gj == 0 {
			continue
		}
		for _, r := range m.refs[m.start[j]:m.start[j+1]] {
			if gi := gradIn[r.Input]; gi != nil {
				if int(r.Index) >= len(gi) {
					return fmt.Errorf("graphs: Map.Backward: input %d has %d weights, map refers to weight %d", r.Input, len(gi), r.Index)
				}
				gi[r.Index] += r.Coef * gj
			}
		}
	}
	return nil
}

// Then returns the map of applying an operation with map m and then a
// one-input operation with map next to its output: the chain rule,
// next ∘ m. It lets a sequence of operations keep a single Map.
func (m *Map) Then(next *Map) (*Map, error) {
	if next.numInputs != 1 {
		return nil, fmt.Errorf("graphs: Map.Then: next operation has %d inputs, want 1", next.numInputs)
	}
	out := &Map{numInputs: m.numInputs, start: make([]int32, 0, len(next.start))}
	for j := range next.NumOutputs() {
		out.start = append(out.start, int32(len(out.refs)))
		lo := len(out.refs)
		for _, r := range next.Row(j) {
			if int(r.Index) >= m.NumOutputs() {
				return nil, fmt.Errorf("graphs: Map.Then: next refers to weight %d of %d", r.Index, m.NumOutputs())
			}
			for _, q := range m.Row(int(r.Index)) {
				q.Coef *= r.Coef
				out.refs = appendMerged(out.refs, lo, q)
			}
		}
	}
	out.start = append(out.start, int32(len(out.refs)))
	return out, nil
}

// appendMerged appends q to refs, adding its coefficient to an equal
// reference at or after lo if there is one.
func appendMerged(refs []Ref, lo int, q Ref) []Ref {
	for i := lo; i < len(refs); i++ {
		if refs[i].Input == q.Input && refs[i].Index == q.Index {
			refs[i].Coef += q.Coef
			return refs
		}
	}
	return append(refs, q)
}
