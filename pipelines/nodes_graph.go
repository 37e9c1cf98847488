package pipelines

import (
	"fmt"
	"os"
	"strings"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// graphOp is a node computing a graph from graphs with a Map.
type graphOp func(in []*graphs.Graph) (*graphs.Graph, *graphs.Map, error)

func (f graphOp) Run(rc *RunContext, in []any) (any, error) {
	gs := make([]*graphs.Graph, len(in))
	vs := make([]*gtn.GraphVar, len(in))
	for i, x := range in {
		vs[i] = x.(*gtn.GraphVar)
		gs[i] = vs[i].G
	}
	g, m, err := f(gs)
	if err != nil {
		return nil, err
	}
	return rc.Tape.Apply(g, m, vs...)
}

// constGraph is a node that outputs a fixed graph (a grammar, a lexicon).
type constGraph struct{ g *graphs.Graph }

func (c constGraph) Run(rc *RunContext, _ []any) (any, error) { return rc.Tape.Graph(c.g), nil }

var semiringParam = ParamSpec{Name: "semiring", Kind: String, Default: "tropical", Choices: []string{"tropical", "log"},
	Doc: "tropical (min: Viterbi) or log (log-sum-exp: forward)"}

func semiringOf(a *Args) graphs.Semiring {
	if a.String("semiring") == "log" {
		return graphs.Log
	}
	return graphs.Tropical
}

// readSymbolsParam reads the symbol table named by a File parameter, or
// returns nil when the parameter is absent.
func readSymbolsParam(a *Args, name string) (*graphs.SymbolTable, error) {
	if a.String(name) == "" {
		return nil, nil
	}
	f, err := os.Open(a.Path(name))
	if err != nil {
		return nil, a.Errorf(name, "%v", err)
	}
	defer f.Close()
	t, err := graphs.ReadSymbols(f, a.Path(name))
	if err != nil {
		return nil, a.Errorf(name, "%v", err)
	}
	return t, nil
}

// unary wraps a one-graph operation whose Map is exact.
func unary(f func(g *graphs.Graph, a *Args) (*graphs.Graph, *graphs.Map, error)) func(a *Args) (Node, error) {
	return func(a *Args) (Node, error) {
		return graphOp(func(in []*graphs.Graph) (*graphs.Graph, *graphs.Map, error) { return f(in[0], a) }), nil
	}
}

func graphNodeTypes() []*NodeType {
	one := []Type{GraphType}
	return []*NodeType{
		{
			Name: "graph", Doc: "a constant graph (grammar, lexicon, edit transducer) from an AT&T text file or inline text",
			Output: GraphType,
			Params: []ParamSpec{
				{Name: "file", Kind: File, Doc: "AT&T text file, relative to the pipeline file"},
				{Name: "text", Kind: Text, Doc: "the graph inline, in AT&T text (instead of file)"},
				{Name: "isymbols", Kind: File, Doc: "input symbol table (OpenFst text)"},
				{Name: "osymbols", Kind: File, Doc: "output symbol table (default: isymbols for acceptors)"},
				{Name: "acceptor", Kind: Bool, Default: false, Doc: "acceptor format: one label per arc line"},
			},
			New: newConstGraph,
		},
		{
			Name: "string", Doc: "a linear acceptor spelling the input tokens (or their characters), labels from a symbol table",
			Inputs: []Type{TokensType}, Output: GraphType,
			Params: []ParamSpec{
				{Name: "symbols", Kind: File, Required: true, Doc: "symbol table mapping tokens to labels"},
				{Name: "unit", Kind: String, Default: "token", Choices: []string{"token", "char"}, Doc: "one arc per token, or per character of the tokens"},
			},
			New: newStringNode,
		},
		{
			Name: "compose", Doc: "composition: output labels of the first graph matched with input labels of the second",
			Inputs: []Type{GraphType, GraphType}, Output: GraphType,
			New: func(*Args) (Node, error) {
				return graphOp(func(in []*graphs.Graph) (*graphs.Graph, *graphs.Map, error) { return graphs.Compose(in[0], in[1]) }), nil
			},
		},
		{
			Name: "intersect", Doc: "intersection of two acceptors",
			Inputs: []Type{GraphType, GraphType}, Output: GraphType,
			New: func(*Args) (Node, error) {
				return graphOp(func(in []*graphs.Graph) (*graphs.Graph, *graphs.Map, error) { return graphs.Intersect(in[0], in[1]) }), nil
			},
		},
		{
			Name: "union", Doc: "union of graphs", Inputs: one, Variadic: true, Output: GraphType,
			New: func(*Args) (Node, error) {
				return graphOp(func(in []*graphs.Graph) (*graphs.Graph, *graphs.Map, error) {
					g, m := graphs.Union(in...)
					return g, m, nil
				}), nil
			},
		},
		{
			Name: "concat", Doc: "concatenation of graphs, in order", Inputs: one, Variadic: true, Output: GraphType,
			New: func(*Args) (Node, error) {
				return graphOp(func(in []*graphs.Graph) (*graphs.Graph, *graphs.Map, error) {
					g, m := graphs.Concat(in...)
					return g, m, nil
				}), nil
			},
		},
		{
			Name: "closure", Doc: "Kleene closure (zero or more repetitions; plus: one or more)", Inputs: one, Output: GraphType,
			Params: []ParamSpec{{Name: "plus", Kind: Bool, Default: false, Doc: "one or more repetitions"}},
			New: unary(func(g *graphs.Graph, a *Args) (*graphs.Graph, *graphs.Map, error) {
				kind := graphs.ClosureStar
				if a.Bool("plus") {
					kind = graphs.ClosurePlus
				}
				h, m := graphs.Closure(g, kind)
				return h, m, nil
			}),
		},
		{
			Name: "project", Doc: "keep one side's labels (an acceptor)", Inputs: one, Output: GraphType,
			Params: []ParamSpec{{Name: "side", Kind: String, Default: "input", Choices: []string{"input", "output"}, Doc: "which labels to keep"}},
			New: unary(func(g *graphs.Graph, a *Args) (*graphs.Graph, *graphs.Map, error) {
				side := graphs.ProjectInput
				if a.String("side") == "output" {
					side = graphs.ProjectOutput
				}
				h, m := graphs.Project(g, side)
				return h, m, nil
			}),
		},
		{
			Name: "invert", Doc: "swap input and output labels", Inputs: one, Output: GraphType,
			New: unary(func(g *graphs.Graph, _ *Args) (*graphs.Graph, *graphs.Map, error) {
				h, m := graphs.Invert(g)
				return h, m, nil
			}),
		},
		{
			Name: "connect", Doc: "remove states that are not on a successful path", Inputs: one, Output: GraphType,
			New: unary(func(g *graphs.Graph, _ *Args) (*graphs.Graph, *graphs.Map, error) {
				h, m := graphs.Connect(g)
				return h, m, nil
			}),
		},
		{
			Name: "rmepsilon", Doc: "remove epsilon arcs", Inputs: one, Output: GraphType, Params: []ParamSpec{semiringParam},
			New: unary(func(g *graphs.Graph, a *Args) (*graphs.Graph, *graphs.Map, error) {
				return graphs.RmEpsilon(g, semiringOf(a))
			}),
		},
		{
			Name: "determinize", Doc: "determinize a weighted acceptor", Inputs: one, Output: GraphType, Params: []ParamSpec{semiringParam},
			New: unary(func(g *graphs.Graph, a *Args) (*graphs.Graph, *graphs.Map, error) {
				return graphs.Determinize(g, semiringOf(a), nil)
			}),
		},
		{
			Name: "minimize", Doc: "minimize a deterministic weighted acceptor", Inputs: one, Output: GraphType, Params: []ParamSpec{semiringParam},
			New: unary(func(g *graphs.Graph, a *Args) (*graphs.Graph, *graphs.Map, error) {
				return graphs.Minimize(g, semiringOf(a))
			}),
		},
		{
			Name: "viterbi", Doc: "the n lowest-energy paths, as a graph", Inputs: one, Output: GraphType,
			Params: []ParamSpec{{Name: "n", Kind: Int, Default: 1, Doc: "number of paths"}},
			New: func(a *Args) (Node, error) {
				if a.Int("n") < 1 {
					return nil, a.Errorf("n", "n must be at least 1, got %d", a.Int("n"))
				}
				return unary(func(g *graphs.Graph, a *Args) (*graphs.Graph, *graphs.Map, error) {
					return graphs.ShortestPath(g, a.Int("n"))
				})(a)
			},
		},
	}
}

// readGraphFile reads the AT&T text graph of a's "file" parameter.
func readGraphFile(a *Args, opt *graphs.TextOptions) (*graphs.Graph, error) {
	f, err := os.Open(a.Path("file"))
	if err != nil {
		return nil, a.Errorf("file", "%v", err)
	}
	defer f.Close()
	g, err := graphs.ReadText(f, a.Path("file"), opt)
	if err != nil {
		return nil, a.Errorf("file", "%v", err)
	}
	return g, nil
}

func newConstGraph(a *Args) (Node, error) {
	isyms, err := readSymbolsParam(a, "isymbols")
	if err != nil {
		return nil, err
	}
	osyms, err := readSymbolsParam(a, "osymbols")
	if err != nil {
		return nil, err
	}
	opt := &graphs.TextOptions{ISymbols: isyms, OSymbols: osyms, Acceptor: a.Bool("acceptor")}
	switch {
	case a.Has("file") == a.Has("text"):
		return nil, a.Errorf("file", "give exactly one of file and text")
	case a.Has("file"):
		g, err := readGraphFile(a, opt)
		if err != nil {
			return nil, err
		}
		return constGraph{g}, nil
	}
	g, err := graphs.ReadText(strings.NewReader(a.String("text")), fmt.Sprintf("node %s text", a.Node()), opt)
	if err != nil {
		return nil, a.Errorf("text", "%v", err)
	}
	return constGraph{g}, nil
}

// stringNode turns tokens into a linear acceptor.
type stringNode struct {
	syms  *graphs.SymbolTable
	chars bool
}

func newStringNode(a *Args) (Node, error) {
	syms, err := readSymbolsParam(a, "symbols")
	if err != nil {
		return nil, err
	}
	return stringNode{syms, a.String("unit") == "char"}, nil
}

func (n stringNode) Run(rc *RunContext, in []any) (any, error) {
	toks := in[0].([]string)
	if n.chars {
		var chars []string
		for _, t := range toks {
			for _, r := range t {
				chars = append(chars, string(r))
			}
		}
		toks = chars
	}
	labels := make([]int32, len(toks))
	for i, t := range toks {
		l, ok := n.syms.Label(t)
		if !ok {
			return nil, fmt.Errorf("token %d %q is not in the symbol table", i+1, t)
		}
		labels[i] = l
	}
	g, err := graphs.LinearAcceptor(labels)
	if err != nil {
		return nil, err
	}
	return rc.Tape.Graph(g), nil
}
