package pipelines

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

func TestEditDistancePipeline(t *testing.T) {
	p, err := Load("edit-distance.yaml", DefaultRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a, b string
		d    float64
	}{
		{"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"abc", "abc", 0}, {"", "abc", 3}, {"intention", "execution", 5},
	} {
		rc := &RunContext{Tape: gtn.NewTape(nil)}
		out, err := p.Run(rc, strings.Fields(tc.a), strings.Fields(tc.b))
		if err != nil {
			t.Fatal(err)
		}
		ans, err := Interpret(out.(*gtn.GraphVar).G, p.Symbols)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Energy != tc.d || ans.Text != tc.b {
			t.Errorf("%q -> %q: distance %v, text %q; want %v, %q", tc.a, tc.b, ans.Energy, ans.Text, tc.d, tc.b)
		}
	}
}

// TestGraphNodes runs each graph node type in a pipeline on inline graphs
// and compares the result with the graphs function it wraps.
func TestGraphNodes(t *testing.T) {
	const a = "0 1 1 1 0.5\n0 1 2 2 1.5\n1 2 3 3 0.25\n2 0.125\n"
	const b = "0 0 1 1 1\n0 0 3 3 2\n0 0 2 2 3\n0 0.5\n"
	ga, _ := graphs.ReadText(strings.NewReader(a), "a", nil)
	gb, _ := graphs.ReadText(strings.NewReader(b), "b", nil)
	for _, tc := range []struct {
		node string
		want func() (*graphs.Graph, error)
	}{
		{"{use: compose, from: [x, y]}", func() (*graphs.Graph, error) { g, _, err := graphs.Compose(ga, gb); return g, err }},
		{"{use: intersect, from: [x, y]}", func() (*graphs.Graph, error) { g, _, err := graphs.Intersect(ga, gb); return g, err }},
		{"{use: union, from: [x, y]}", func() (*graphs.Graph, error) { g, _ := graphs.Union(ga, gb); return g, nil }},
		{"{use: concat, from: [x, y]}", func() (*graphs.Graph, error) { g, _ := graphs.Concat(ga, gb); return g, nil }},
		{"{use: closure, from: x, plus: true}", func() (*graphs.Graph, error) { g, _ := graphs.Closure(ga, graphs.ClosurePlus); return g, nil }},
		{"{use: project, from: x, side: output}", func() (*graphs.Graph, error) { g, _ := graphs.Project(ga, graphs.ProjectOutput); return g, nil }},
		{"{use: invert, from: x}", func() (*graphs.Graph, error) { g, _ := graphs.Invert(ga); return g, nil }},
		{"{use: connect, from: x}", func() (*graphs.Graph, error) { g, _ := graphs.Connect(ga); return g, nil }},
		{"{use: rmepsilon, from: x, semiring: log}", func() (*graphs.Graph, error) { g, _, err := graphs.RmEpsilon(ga, graphs.Log); return g, err }},
		{"{use: determinize, from: x, semiring: log}", func() (*graphs.Graph, error) { g, _, err := graphs.Determinize(ga, graphs.Log, nil); return g, err }},
		{"{use: minimize, from: x}", func() (*graphs.Graph, error) { g, _, err := graphs.Minimize(ga, graphs.Tropical); return g, err }},
		{"{use: viterbi, from: x, n: 2}", func() (*graphs.Graph, error) { g, _, err := graphs.ShortestPath(ga, 2); return g, err }},
	} {
		t.Run(tc.node, func(t *testing.T) {
			src := fmt.Sprintf("pipeline: t\ninput: graph\nnodes:\n  x: {use: graph, text: %q}\n  y: {use: graph, text: %q}\n  z: %s\noutput: z\n", a, b, tc.node)
			p := assembleText(t, "t.yaml", ".", src)
			want, err := tc.want()
			if err != nil {
				t.Fatal(err)
			}
			tp := gtn.NewTape(gtn.NewGrads(nil))
			out, err := p.Run(&RunContext{Tape: tp}, tp.Graph(ga))
			if err != nil {
				t.Fatal(err)
			}
			got := out.(*gtn.GraphVar).G
			fGot, _ := graphs.Forward(got, 1)
			fWant, _ := graphs.Forward(want, 1)
			if got.NumArcs() != want.NumArcs() || fGot != fWant || math.IsNaN(fGot) {
				t.Errorf("%d arcs, F=%v; want %d arcs, F=%v", got.NumArcs(), fGot, want.NumArcs(), fWant)
			}
		})
	}
}

// TestNodeFileErrors covers the validation errors that need the files a
// node names: a missing model, a bad grammar, a missing symbol table.
func TestNodeFileErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.fst.txt"), []byte("0 1 1 1\n1 2 x 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ node, want string }{
		{"{use: recognizer, from: t, arch: lenet5, classes: 10, model: nope.msgpack}", "p.yaml:4:72: node n: open "},
		{"{use: graph, file: bad.fst.txt}", `p.yaml:4:25: node n: ` + filepath.Join(dir, "bad.fst.txt") + `:2: bad input label "x"`},
		{"{use: graph, file: g.txt, isymbols: none.syms}", "p.yaml:4:42: node n: open "},
		{"{use: graph, text: \"0 1 1\"}", "p.yaml:4:25: node n: node n text:1: want"},
		{"{use: recognizer, from: t, arch: lenet6, classes: 10}", `"lenet6" is not one of`},
	} {
		t.Run(tc.node, func(t *testing.T) {
			from := "image"
			if strings.Contains(tc.node, "recognizer") {
				from = "tensor"
			}
			src := "pipeline: t\ninput: " + from + "\nnodes:\n  n: " + tc.node + "\noutput: n\n"
			src = strings.Replace(src, "from: t,", "from: "+from+",", 1)
			sp, err := ParseSpec(filepath.Join(dir, "p.yaml"), dir, []byte(src))
			if err == nil {
				_, err = Assemble(sp, DefaultRegistry())
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
