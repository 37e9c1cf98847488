package pipelines

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testRegistry has small token-processing node types for testing the
// pipeline machinery without graphs or networks.
func testRegistry(t *testing.T) *Registry {
	t.Helper()
	r := NewRegistry()
	must := func(nt *NodeType) {
		if err := r.Register(nt); err != nil {
			t.Fatal(err)
		}
	}
	must(&NodeType{
		Name: "suffix", Doc: "appends a suffix to every token",
		Inputs: []Type{TokensType}, Output: TokensType,
		Params: []ParamSpec{
			{Name: "text", Kind: String, Required: true, Doc: "the suffix"},
			{Name: "times", Kind: Int, Default: 1, Doc: "how many times"},
			{Name: "case", Kind: String, Default: "keep", Choices: []string{"keep", "upper"}, Doc: "letter case"},
		},
		New: func(a *Args) (Node, error) {
			return nodeFunc(func(in []any) (any, error) {
				toks := in[0].([]string)
				out := make([]string, len(toks))
				for i, s := range toks {
					s += strings.Repeat(a.String("text"), a.Int("times"))
					if a.String("case") == "upper" {
						s = strings.ToUpper(s)
					}
					out[i] = s
				}
				return out, nil
			}), nil
		},
	})
	must(&NodeType{
		Name: "join", Doc: "concatenates token lists",
		Inputs: []Type{TokensType}, Variadic: true, Output: TokensType,
		New: func(*Args) (Node, error) {
			return nodeFunc(func(in []any) (any, error) {
				var out []string
				for _, x := range in {
					out = append(out, x.([]string)...)
				}
				return out, nil
			}), nil
		},
	})
	must(&NodeType{
		Name: "lexicon", Doc: "reads a word list", Output: TokensType,
		Params: []ParamSpec{{Name: "file", Kind: File, Required: true, Doc: "word list"}},
		New: func(a *Args) (Node, error) {
			data, err := os.ReadFile(a.Path("file"))
			if err != nil {
				return nil, a.Errorf("file", "%v", err)
			}
			words := strings.Fields(string(data))
			return nodeFunc(func([]any) (any, error) { return words, nil }), nil
		},
	})
	must(&NodeType{
		Name: "graph-only", Doc: "takes a graph", Inputs: []Type{GraphType}, Output: GraphType,
		New: func(*Args) (Node, error) { return nodeFunc(func(in []any) (any, error) { return in[0], nil }), nil },
	})
	return r
}

type nodeFunc func(in []any) (any, error)

func (f nodeFunc) Run(_ *RunContext, in []any) (any, error) { return f(in) }

func TestRunPipeline(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "words.txt"), []byte("x y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `pipeline: demo
inputs: {words: tokens}
nodes:
  a: {use: suffix, from: words, text: "!", times: 2}
  lex: {use: lexicon, file: words.txt}
  b: {use: join, from: [a, lex]}
  c: {use: suffix, from: b, text: "?", case: upper}
output: c
`
	sp, err := ParseSpec(filepath.Join(dir, "p.yaml"), dir, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Assemble(sp, testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(&RunContext{}, []string{"hi", "yo"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(out.([]string), " "), "HI!!? YO!!? X? Y?"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

// TestValidationErrors covers every class of error a pipeline file can
// have: each must name file:line:column and, for misspellings, suggest.
func TestValidationErrors(t *testing.T) {
	const head = "pipeline: t\ninputs: {words: tokens}\nnodes:\n"
	for _, tc := range []struct {
		name, src string
		want      []string // substrings of the error
	}{
		{"yaml syntax", "pipeline: t\nnodes: [a\n", []string{"p.yaml:", "YAML syntax"}},
		{"unknown top key", head + "  a: {use: join, from: words}\noutput: a\nnodez: 1\n", []string{"p.yaml:6:1", `unknown key "nodez"`, `did you mean "nodes"`}},
		{"missing output", head + "  a: {use: join, from: words}\n", []string{"p.yaml:1:", `missing "output: NODE"`}},
		{"unknown output", head + "  a: {use: join, from: words}\noutput: aa\n", []string{"p.yaml:5:9", `output "aa": no such node`, `did you mean "a"`}},
		{"unknown node type", head + "  a: {use: suffx, from: words, text: x}\noutput: a\n", []string{"p.yaml:4:12", `unknown node type "suffx"`, `did you mean "suffix"`}},
		{"missing use", head + "  a: {from: words}\noutput: a\n", []string{"p.yaml:4:", `missing "use: TYPE"`}},
		{"unknown parameter", head + "  a: {use: suffix, from: words, txt: x}\noutput: a\n", []string{"p.yaml:4:33", `unknown parameter "txt"`, `did you mean "text"`}},
		{"missing parameter", head + "  a: {use: suffix, from: words}\noutput: a\n", []string{"p.yaml:4:3", "missing parameter text"}},
		{"wrong parameter kind", head + "  a: {use: suffix, from: words, text: x, times: many}\noutput: a\n", []string{"p.yaml:4:49", "times: want an integer"}},
		{"bad choice", head + "  a: {use: suffix, from: words, text: x, case: uper}\noutput: a\n", []string{"p.yaml:4:48", `"uper" is not one of keep, upper`, `did you mean "upper"`}},
		{"dangling input", head + "  a: {use: join, from: wrds}\noutput: a\n", []string{"p.yaml:4:24", `from "wrds": no such node or input`, `did you mean "words"`}},
		{"missing input", head + "  a: {use: suffix, text: x}\noutput: a\n", []string{"p.yaml:4:3", "needs 1 input(s) (tokens), got 0"}},
		{"type mismatch", head + "  a: {use: graph-only, from: words}\noutput: a\n", []string{"p.yaml:4:30", "input 1 must be graph, but words gives tokens"}},
		{"cycle", head + "  a: {use: join, from: [words, c]}\n  b: {use: join, from: a}\n  c: {use: join, from: b}\noutput: c\n", []string{"cycle:", "a -> b -> c -> a"}},
		{"self loop", head + "  a: {use: join, from: a}\noutput: a\n", []string{"p.yaml:4:24", "reads its own output"}},
		{"missing file", head + "  a: {use: lexicon, file: nope.txt}\noutput: a\n", []string{"p.yaml:4:27", "node a:", "nope.txt"}},
		{"bad input type", "pipeline: t\ninputs: {words: tokns}\nnodes:\n  a: {use: join, from: words}\noutput: a\n", []string{"p.yaml:2:17", `unknown input type "tokns"`, `did you mean "tokens"`}},
		{"node not a mapping", head + "  a: join\noutput: a\n", []string{"p.yaml:4:6", "node a: want {use: TYPE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := func() (*Pipeline, error) {
				sp, err := ParseSpec(filepath.Join(dir, "p.yaml"), dir, []byte(tc.src))
				if err != nil {
					return nil, err
				}
				return Assemble(sp, testRegistry(t))
			}()
			if err == nil {
				t.Fatal("no error")
			}
			var el ErrorList
			var e *Error
			if !errors.As(err, &el) && !errors.As(err, &e) {
				t.Errorf("error %T is not positioned", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEditDistanceAndSuggest(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "abc", 0}, {"kitten", "sitting", 3}, {"", "abc", 3}, {"compose", "compse", 1}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
	if s := suggest("zzzzzz", []string{"compose", "viterbi"}); s != "" {
		t.Errorf("suggest for a far name: %q", s)
	}
}

// TestNonFiniteNumbers checks that a number parameter refuses NaN and the
// infinities, which no range check would catch.
func TestNonFiniteNumbers(t *testing.T) {
	for _, v := range []string{"NaN", ".nan", "Inf", "-.inf"} {
		src := "pipeline: t\ninput: image\nnodes:\n  f: {use: field-locate, from: image, gap: " + v + "}\noutput: f\n"
		dir := t.TempDir()
		sp, err := ParseSpec(filepath.Join(dir, "p.yaml"), dir, []byte(src))
		if err == nil {
			_, err = Assemble(sp, DefaultRegistry())
		}
		if err == nil || !strings.Contains(err.Error(), "want a finite number") || !strings.Contains(err.Error(), "p.yaml:4:") {
			t.Errorf("gap: %s: error %v, want p.yaml:4: ... want a finite number", v, err)
		}
	}
}
