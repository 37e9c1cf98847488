package pipelines

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// Pipeline is a checked, assembled pipeline, ready to run.
type Pipeline struct {
	Spec *Spec
	// Symbols is the output symbol table named by the file, or nil.
	Symbols *graphs.SymbolTable

	steps []*step // in an order where every step comes after its inputs
	out   int     // index of the output step
	types map[string]Type
}

// step is one node of an assembled pipeline.
type step struct {
	spec *NodeSpec
	typ  *NodeType
	node Node
	// in[i] >= 0 is the step whose output is input i; -1-k is pipeline
	// input k.
	in []int
}

// Load reads, checks and assembles the pipeline file at path.
func Load(path string, reg *Registry) (*Pipeline, error) {
	sp, err := ReadSpec(path)
	if err != nil {
		return nil, err
	}
	return Assemble(sp, reg)
}

// Assemble checks sp against the registry and builds its nodes. All the
// problems found are returned together, as an ErrorList.
func Assemble(sp *Spec, reg *Registry) (*Pipeline, error) {
	var errs ErrorList
	p := &Pipeline{Spec: sp, types: map[string]Type{}}
	names := map[string]int{} // node name -> index in sp.Nodes
	inputs := map[string]int{}
	for k, in := range sp.Inputs {
		inputs[in.Name] = k
		p.types[in.Name] = in.Type
	}
	for i, n := range sp.Nodes {
		if _, dup := inputs[n.Name]; dup {
			errs = append(errs, &Error{n.Pos, fmt.Sprintf("node %s has the name of an input", n.Name)})
		}
		names[n.Name] = i
	}
	known := make([]string, 0, len(names)+len(inputs))
	for n := range names {
		known = append(known, n)
	}
	for n := range inputs {
		known = append(known, n)
	}
	// Resolve node types and inputs.
	types := make([]*NodeType, len(sp.Nodes))
	deps := make([][]int, len(sp.Nodes))
	for i, n := range sp.Nodes {
		t, ok := reg.Lookup(n.Use)
		if !ok {
			errs = append(errs, &Error{n.usePos, fmt.Sprintf("node %s: unknown node type %q%s (gtn nodes lists them)", n.Name, n.Use, suggest(n.Use, reg.names()))})
			continue
		}
		types[i] = t
		for j, f := range n.From {
			if f == n.Name {
				errs = append(errs, &Error{n.fromPos[j], fmt.Sprintf("node %s reads its own output", n.Name)})
				continue
			}
			if k, ok := inputs[f]; ok {
				deps[i] = append(deps[i], -1-k)
				continue
			}
			d, ok := names[f]
			if !ok {
				errs = append(errs, &Error{n.fromPos[j], fmt.Sprintf("node %s: from %q: no such node or input%s", n.Name, f, suggest(f, known))})
				continue
			}
			deps[i] = append(deps[i], d)
		}
		if err := checkArity(n, t); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	order, cyc := topoOrder(deps)
	if cyc != nil {
		parts := make([]string, len(cyc))
		for i, c := range cyc {
			parts[i] = sp.Nodes[c].Name
		}
		n := sp.Nodes[cyc[0]]
		return nil, ErrorList{{n.Pos, "cycle: " + strings.Join(append(parts, parts[0]), " -> ") + " (a pipeline must be acyclic)"}}
	}
	index := make([]int, len(sp.Nodes)) // node -> step
	for si, ni := range order {
		index[ni] = si
	}
	// Check types in order, then build the nodes.
	for _, ni := range order {
		n, t := sp.Nodes[ni], types[ni]
		st := &step{spec: n, typ: t}
		for j, d := range deps[ni] {
			var got Type
			var from string
			if d < 0 {
				from, got = sp.Inputs[-1-d].Name, sp.Inputs[-1-d].Type
				st.in = append(st.in, d)
			} else {
				from, got = sp.Nodes[d].Name, types[d].Output
				st.in = append(st.in, index[d])
			}
			want := t.Inputs[min(j, len(t.Inputs)-1)]
			if got != want {
				errs = append(errs, &Error{n.fromPos[j], fmt.Sprintf("node %s (%s): input %d must be %s, but %s gives %s", n.Name, t.Name, j+1, want, from, got)})
			}
		}
		args, err := checkParams(sp, n, t)
		if err != nil {
			errs = appendErr(errs, err)
		} else if len(errs) == 0 {
			st.node, err = t.New(args)
			if err != nil {
				errs = appendErr(errs, positioned(err, n.Pos, n.Name))
			}
		}
		p.steps = append(p.steps, st)
		p.types[n.Name] = t.Output
	}
	if o, ok := names[sp.Output]; ok {
		p.out = index[o]
	} else if _, isInput := inputs[sp.Output]; isInput || sp.Output == "" {
		errs = append(errs, &Error{sp.outputPos, "output must name a node"})
	} else {
		errs = append(errs, &Error{sp.outputPos, fmt.Sprintf("output %q: no such node%s", sp.Output, suggest(sp.Output, known))})
	}
	if sp.Symbols != "" {
		path := sp.Symbols
		if !filepath.IsAbs(path) {
			path = filepath.Join(sp.Dir, path)
		}
		f, err := os.Open(path)
		if err == nil {
			p.Symbols, err = graphs.ReadSymbols(f, path)
			f.Close()
		}
		if err != nil {
			errs = append(errs, &Error{sp.symbolsPos, "symbols: " + err.Error()})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

func appendErr(errs ErrorList, err error) ErrorList {
	var el ErrorList
	var e *Error
	switch {
	case errors.As(err, &el):
		return append(errs, el...)
	case errors.As(err, &e):
		return append(errs, e)
	}
	return append(errs, &Error{Msg: err.Error()})
}

// positioned gives err the node's position unless it has one.
func positioned(err error, pos Pos, node string) error {
	var e *Error
	var el ErrorList
	if errors.As(err, &e) || errors.As(err, &el) {
		return err
	}
	return &Error{pos, fmt.Sprintf("node %s: %v", node, err)}
}

func checkArity(n *NodeSpec, t *NodeType) *Error {
	want := len(t.Inputs)
	got := len(n.From)
	switch {
	case t.Variadic && got >= want:
		return nil
	case !t.Variadic && got == want:
		return nil
	}
	pos := n.Pos
	if len(n.fromPos) > 0 {
		pos = n.fromPos[0]
	}
	atLeast := ""
	if t.Variadic {
		atLeast = "at least "
	}
	types := make([]string, len(t.Inputs))
	for i, ty := range t.Inputs {
		types[i] = string(ty)
	}
	if want == 0 {
		return &Error{pos, fmt.Sprintf("node %s (%s) takes no input: remove from", n.Name, t.Name)}
	}
	return &Error{pos, fmt.Sprintf("node %s (%s) needs %s%d input(s) (%s), got %d: set from", n.Name, t.Name, atLeast, want, strings.Join(types, ", "), got)}
}

// checkParams checks a node's parameters against its type's specs.
func checkParams(sp *Spec, n *NodeSpec, t *NodeType) (*Args, error) {
	what := fmt.Sprintf("node %s (%s)", n.Name, t.Name)
	return parseArgs(n.Name, what, n.Pos, sp.Dir, n.params, t.Params, "use", "from")
}

// parseArgs checks the mapping m against specs (ignoring the keys in skip)
// and returns the arguments; what names the mapping in errors.
func parseArgs(name, what string, at Pos, dir string, m *value, specs []ParamSpec, skip ...string) (*Args, error) {
	args := &Args{node: name, label: "node " + name, dir: dir, values: map[string]any{}, pos: map[string]Pos{}, at: at}
	var errs ErrorList
	byName := map[string]*ParamSpec{}
	names := append([]string(nil), skip...)
	for i := range specs {
		byName[specs[i].Name] = &specs[i]
		names = append(names, specs[i].Name)
	}
	for i, k := range m.keys {
		if contains(skip, k.text) {
			continue
		}
		ps, ok := byName[k.text]
		if !ok {
			errs = append(errs, &Error{k.pos, fmt.Sprintf("%s: unknown parameter %q%s", what, k.text, suggest(k.text, names))})
			continue
		}
		v := m.vals[i]
		val, err := convertParam(ps, v)
		if err != nil {
			errs = append(errs, &Error{v.pos, fmt.Sprintf("%s: %s: %v", what, k.text, err)})
			continue
		}
		args.values[k.text] = val
		args.pos[k.text] = v.pos
	}
	for _, ps := range specs {
		if _, given := args.values[ps.Name]; given {
			continue
		}
		if ps.Required {
			errs = append(errs, &Error{at, fmt.Sprintf("%s: missing parameter %s (%s)", what, ps.Name, ps.Doc)})
			continue
		}
		if ps.Default != nil {
			args.values[ps.Name] = ps.Default
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return args, nil
}

func convertParam(ps *ParamSpec, v *value) (any, error) {
	switch ps.Kind {
	case Int:
		return v.asInt()
	case Float:
		return v.asFloat()
	case Bool:
		return v.asBool()
	case Strings:
		return v.asStrings()
	}
	s, err := v.asString()
	if err != nil {
		return nil, err
	}
	if len(ps.Choices) > 0 && !contains(ps.Choices, s) {
		return nil, fmt.Errorf("%q is not one of %s%s", s, strings.Join(ps.Choices, ", "), suggest(s, ps.Choices))
	}
	return s, nil
}

// topoOrder returns the nodes in dependency order, or a cycle.
func topoOrder(deps [][]int) (order, cycle []int) {
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(deps))
	parent := make([]int, len(deps))
	for root := range deps {
		if state[root] != unseen {
			continue
		}
		// Iterative depth-first search with an explicit stack of
		// (node, next dependency to visit).
		type frame struct{ n, next int }
		stack := []frame{{root, 0}}
		state[root] = active
		parent[root] = -1
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next == len(deps[f.n]) {
				state[f.n] = done
				order = append(order, f.n)
				stack = stack[:len(stack)-1]
				continue
			}
			d := deps[f.n][f.next]
			f.next++
			if d < 0 {
				continue
			}
			switch state[d] {
			case active:
				cycle = []int{d}
				for x := f.n; x != d; x = parent[x] {
					cycle = append(cycle, x)
				}
				// parent[x] reads x, so this is data-flow order.
				return nil, cycle
			case unseen:
				state[d] = active
				parent[d] = f.n
				stack = append(stack, frame{d, 0})
			}
		}
	}
	return order, nil
}

// Params returns the parameters of all trainable nodes (each once).
func (p *Pipeline) Params() []*gtn.Param {
	var ps []*gtn.Param
	seen := map[*gtn.Param]bool{}
	for _, s := range p.steps {
		if t, ok := s.node.(Trainable); ok {
			for _, q := range t.Params() {
				if !seen[q] {
					seen[q] = true
					ps = append(ps, q)
				}
			}
		}
	}
	return ps
}

// Node returns the built node with the given name.
func (p *Pipeline) Node(name string) (Node, bool) {
	for _, s := range p.steps {
		if s.spec.Name == name {
			return s.node, true
		}
	}
	return nil, false
}

// OutputType returns the type of the pipeline's output.
func (p *Pipeline) OutputType() Type { return p.steps[p.out].typ.Output }

// Run runs the pipeline on its inputs (one Go value per declared input, in
// order) and returns the output node's value.
func (p *Pipeline) Run(rc *RunContext, inputs ...any) (any, error) {
	vals, err := p.RunUntil(rc, p.Spec.Output, inputs...)
	if err != nil {
		return nil, err
	}
	return vals[p.Spec.Output], nil
}

// RunUntil runs the steps needed for the named node and returns every
// computed value by node name.
func (p *Pipeline) RunUntil(rc *RunContext, target string, inputs ...any) (map[string]any, error) {
	if len(inputs) != len(p.Spec.Inputs) {
		return nil, fmt.Errorf("pipeline %s: %d inputs given, it takes %d", p.Spec.Name, len(inputs), len(p.Spec.Inputs))
	}
	ti := -1
	for i, s := range p.steps {
		if s.spec.Name == target {
			ti = i
		}
	}
	if ti < 0 {
		return nil, fmt.Errorf("pipeline %s: no node %q", p.Spec.Name, target)
	}
	need := make([]bool, len(p.steps))
	need[ti] = true
	for i := ti; i >= 0; i-- {
		if need[i] {
			for _, d := range p.steps[i].in {
				if d >= 0 {
					need[d] = true
				}
			}
		}
	}
	out := make([]any, len(p.steps))
	vals := make(map[string]any, len(p.steps))
	buf := make([]any, 0, 4)
	for i, s := range p.steps[:ti+1] {
		if !need[i] {
			continue
		}
		buf = buf[:0]
		for _, d := range s.in {
			if d < 0 {
				buf = append(buf, inputs[-1-d])
			} else {
				buf = append(buf, out[d])
			}
		}
		v, err := s.node.Run(rc, buf)
		if err != nil {
			return nil, fmt.Errorf("node %s (%s): %w", s.spec.Name, s.typ.Name, err)
		}
		out[i] = v
		vals[s.spec.Name] = v
	}
	return vals, nil
}
