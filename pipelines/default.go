package pipelines

import "slices"

// DefaultRegistry returns a registry of every node type gotn provides.
// Each call returns a new registry, which callers may extend with their
// own node types.
func DefaultRegistry() *Registry {
	r := NewRegistry()
	for _, t := range slices.Concat(graphNodeTypes(), []*NodeType{combineNodeType()}, recognizerNodeTypes(), sequenceNodeTypes(), stringNodeTypes(), checkNodeTypes()) {
		if err := r.Register(t); err != nil {
			panic(err) // the built-in types have distinct names
		}
	}
	return r
}
