package graphs

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func TestWriteDOT(t *testing.T) {
	g := mustRead(t, "0 1 1 2 0.5\n1 0 3 3\n1 1.25\n")
	var buf bytes.Buffer
	if err := WriteDOT(&buf, g, &DOTOptions{Title: "best path", HighlightArcs: []int32{1}}); err != nil {
		t.Fatal(err)
	}
	const want = `digraph FST {
rankdir = LR;
label = "best path";
labelloc = t;
center = 1;
ranksep = "0.4";
nodesep = "0.25";
0 [label = "0", shape = circle, style = bold, fontsize = 14]
	0 -> 1 [label = "1:2/0.5", fontsize = 14];
1 [label = "1/1.25", shape = doublecircle, style = solid, fontsize = 14]
	1 -> 0 [label = "3:3", fontsize = 14, color = red, fontcolor = red, penwidth = 2.5, style = bold];
}
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestWriteDOTOptions(t *testing.T) {
	syms := NewSymbolTable()
	syms.Add("a")
	syms.Add(`say "hi"`)
	acc := mustRead(t, "0 1 1 1 0.333333333\n1 2 2 2\n2 0\n")
	for _, tc := range []struct {
		name string
		g    *Graph
		opt  *DOTOptions
		want []string // substrings of the output
	}{
		{"acceptor", acc, nil, []string{`label = "1/0.33333"`, `label = "2"`, `2 [label = "2", shape = doublecircle`, "rankdir = LR;"}},
		{"transducer style", acc, &DOTOptions{Transducer: true}, []string{`label = "1:1/0.33333"`, `label = "2:2"`}},
		{"symbols", acc, &DOTOptions{ISymbols: syms}, []string{`label = "a/0.33333"`, `label = "say \"hi\""`}},
		{"exact", acc, &DOTOptions{Precision: -1, ShowZero: true}, []string{`label = "1/0.333333333"`, `label = "2/0"`, `label = "2/0", shape = doublecircle`}},
		{"precision", acc, &DOTOptions{Precision: 2, RankDir: "TB"}, []string{`label = "1/0.33"`, "rankdir = TB;"}},
		{"empty", &Graph{}, nil, []string{"digraph FST {\n", "}\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteDOT(&buf, tc.g, tc.opt); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, buf.String())
				}
			}
		})
	}
}

func TestWriteDOTErrors(t *testing.T) {
	g := mustRead(t, "0 1 1 2 0.5\n1\n")
	syms := NewSymbolTable()
	syms.Add("a")
	for _, tc := range []struct {
		name string
		opt  *DOTOptions
		want string
	}{
		{"rankdir", &DOTOptions{RankDir: "XY"}, `rankdir "XY"`},
		{"highlight", &DOTOptions{HighlightArcs: []int32{1}}, "highlighted arc 1 out of range [0,1)"},
		{"symbol", &DOTOptions{ISymbols: syms, OSymbols: syms}, "label 2 is not in the symbol table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteDOT(&bytes.Buffer{}, g, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDOTQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"abc", `"abc"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{`\N`, `"\\N"`},
		{"two\nlines", `"two\nlines"`},
		{"tab\there", `"tab\\x09here"`},
		{"é€😀", `"é€😀"`},
		{"bad\xffutf8", "\"bad\uFFFDutf8\""},
		{"<b>{x}</b>;", `"<b>{x}</b>;"`},
	} {
		if got := dotQuote(tc.in); got != tc.want {
			t.Errorf("dotQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestWriteDOTGraphviz checks that Graphviz accepts our output, symbols
// with quotes, backslashes, control characters and invalid UTF-8 included.
func TestWriteDOTGraphviz(t *testing.T) {
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz not installed (apt-get install graphviz): skipping")
	}
	syms := NewSymbolTable()
	for _, s := range []string{`"`, `\`, `\N`, "a\nb", "c\x01d", "bad\xff", "<html>", "{}[];=", "digraph", "-- ->", "é"} {
		syms.Add(s)
	}
	b := NewBuilder()
	b.AddStates(4)
	b.SetStart(0)
	for l := int32(1); l < int32(syms.Len()); l++ {
		b.AddArc(int(l%3), int(l%4), l, int32(syms.Len())-l, float64(l)/3)
	}
	b.SetFinal(3, 0.5)
	g, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteDOT(&buf, g, &DOTOptions{ISymbols: syms, OSymbols: syms, Title: `title "quoted" \ with
newline`, HighlightArcs: []int32{0, 2}}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = &buf
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		t.Fatalf("dot -Tsvg: %v\n%s\ninput:\n%s", err, errb.String(), buf.String())
	}
	if !strings.Contains(out.String(), "<svg") || !strings.Contains(out.String(), "&lt;html&gt;") {
		t.Errorf("unexpected SVG:\n%s", out.String())
	}
}
