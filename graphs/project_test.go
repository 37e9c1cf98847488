package graphs

import (
	"strings"
	"testing"
)

// The expected texts of the reversals were produced by OpenFst 1.7.9
// (fstreverse; fstprint).
func TestProjectInvertReverseExact(t *testing.T) {
	a, b := mustRead(t, graphA), mustRead(t, graphB)
	for _, tc := range []struct {
		name string
		op   func() (*Graph, *Map)
		want string
	}{
		{"project input", func() (*Graph, *Map) { return Project(b, ProjectInput) }, "0\t1\t3\t3\t1\n1\t2\n"},
		{"project output", func() (*Graph, *Map) { return Project(b, ProjectOutput) }, "0\t1\t4\t4\t1\n1\t2\n"},
		{"invert", func() (*Graph, *Map) { return Invert(b) }, "0\t1\t4\t3\t1\n1\t2\n"},
		{"reverse", func() (*Graph, *Map) { return Reverse(a) },
			"0\t2\t0\t0\t1.5\n1\t2\t2\t2\t0.25\n1\n2\t1\t1\t1\t0.5\n"},
		{"reverse two finals", func() (*Graph, *Map) {
			return Reverse(mustRead(t, "0 1 1 2 1\n0 2 3 4 2\n1 2 5 6 3\n1 0.5\n2 0.25\n"))
		}, "0\t2\t0\t0\t0.5\n0\t3\t0\t0\t0.25\n1\n2\t1\t1\t2\t1\n3\t1\t3\t4\t2\n3\t2\t5\t6\t3\n"},
		{"relabel", func() (*Graph, *Map) {
			g, m, err := Relabel(b, map[int32]int32{3: 7, 9: 1}, map[int32]int32{4: 0})
			if err != nil {
				t.Fatal(err)
			}
			return g, m
		}, "0\t1\t7\t0\t1\n1\t2\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, m := tc.op()
			if got := TextString(g); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if err := g.Validate(); err != nil {
				t.Error(err)
			}
			if m.NumOutputs() != g.NumWeights() || m.NumInputs() != 1 {
				t.Errorf("map %d -> %d, graph has %d weights", m.NumInputs(), m.NumOutputs(), g.NumWeights())
			}
			checkProps(t, g)
		})
	}
}

func TestProjectShares(t *testing.T) {
	b := mustRead(t, graphB)
	p, _ := Project(b, ProjectInput)
	if &p.weight[0] != &b.weight[0] || &p.olabel[0] != &b.ilabel[0] {
		t.Error("Project copied the graph")
	}
	if !p.IsAcceptor() || b.IsAcceptor() {
		t.Error("acceptor property")
	}
}

func TestRelabelErrors(t *testing.T) {
	b := mustRead(t, graphB)
	_, _, err := Relabel(b, map[int32]int32{3: -1}, nil)
	if err == nil || !strings.Contains(err.Error(), "graphs: Relabel: input label 3 maps to negative label -1") {
		t.Errorf("error %v", err)
	}
	_, _, err = Relabel(b, nil, map[int32]int32{4: -2})
	if err == nil || !strings.Contains(err.Error(), "output label 4 maps to negative label -2") {
		t.Errorf("error %v", err)
	}
}
