package pipelines

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/transformers"
)

// loadCheckPipeline loads one of the check-amount pipelines.
func loadCheckPipeline(t *testing.T, file string) *Pipeline {
	t.Helper()
	p, err := Load(file, DefaultRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAmountGrammarNode reads answers (characters of amount.syms) into
// text, digits and amount through the amount-grammar node.
func TestAmountGrammarNode(t *testing.T) {
	p := loadCheckPipeline(t, "check-amount-field.yaml")
	tests := []struct {
		chars                string
		text, digits, amount any
	}{
		{"$1,234.56", "$1,234.56", "123456", "1234.56"},
		{"1.500.-", "1.500.-", "1500", "1500.00"},
		{"$7550/100", "$75 50/100", "7550", "75.50"},
		{"1.5", "1.5", "15", nil}, // not an amount: read as is
		{"#12", "#12", "12", nil}, // the junk class spelled, no amount
		{"", "", "", nil},         // nothing
		{"0,05=", "0,05=", "005", "0.05"},
	}
	for _, tt := range tests {
		var labels []int32
		for _, c := range tt.chars {
			l, ok := p.Symbols.Label(string(c))
			if !ok {
				t.Fatalf("%q not in the symbols", c)
			}
			labels = append(labels, l)
		}
		got, err := p.ReadAnswer(Answer{Text: tt.chars, Labels: labels})
		if err != nil {
			t.Errorf("%q: %v", tt.chars, err)
			continue
		}
		if got["text"] != tt.text || got["digits"] != tt.digits || got["amount"] != tt.amount {
			t.Errorf("%q: read %v, want text %v digits %v amount %v", tt.chars, got, tt.text, tt.digits, tt.amount)
		}
	}
}

// TestAmountGrammarNodeErrors checks that a grammar writing a symbol
// amount.Decode does not know is refused, with the file named.
func TestAmountGrammarNodeErrors(t *testing.T) {
	sp, err := ParseSpec("bad.yaml", ".", []byte(`pipeline: bad
input: image
nodes:
  grammar: {use: amount-grammar, file: grammars/digits-1-8.fst.txt, isymbols: grammars/amount.syms, osymbols: grammars/letters.syms}
output: grammar
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Assemble(sp, DefaultRegistry())
	if err == nil || !strings.Contains(err.Error(), "digits-1-8.fst.txt") {
		t.Errorf("a grammar writing letters: error %v, want one naming the file", err)
	}
}

// TestCheckPipelinesTargets checks that the check pipelines give every
// target of their training data a path (or the examples would be left
// out of training): the written text of a generated field for
// check-amount-field.yaml, the digits alone of an ORAND-CAR-A-style label
// for check-amount-orand.yaml, whose punctuation the strip transducer
// reads as nothing. The recognizer's weights are random: every reading of
// the segmentation is in the graph.
func TestCheckPipelinesTargets(t *testing.T) {
	// A string without a leading zero (which no amount has).
	var ds *datasets.DigitString
	for _, s := range testStrings(t, 10) {
		if s.Labels[0] != 0 {
			ds = s
			break
		}
	}
	im := &Image{Width: ds.Width, Height: ds.Height, Ink: ds.Ink}
	digits := strings.Join(digitTarget(ds.Labels), "")
	free := map[string]map[string]float64{} // target -> file -> free energy of its paths
	for _, tc := range []struct {
		file   string
		target string
		ok     bool
	}{
		{"check-amount-field.yaml", digits, true},
		{"check-amount-orand.yaml", digits, true},
		// The field reader's answers are characters: a target with
		// punctuation the image cannot hold (more characters than
		// pieces) has no path.
		{"check-amount-field.yaml", "$" + strings.Repeat("1,000,", 8) + "000.00", false},
	} {
		p := loadCheckPipeline(t, tc.file)
		rc := &RunContext{Tape: gtn.NewTape(nil)}
		out, err := p.Run(rc, im)
		if err != nil {
			t.Fatal(err)
		}
		target, err := p.TargetLabels(strings.Split(tc.target, ""))
		if err != nil {
			t.Fatal(err)
		}
		_, err = rc.Tape.GraphLoss(out.(*gtn.GraphVar), target, gtn.NLLLoss{BetaValue: 1})
		if got := err == nil; got != tc.ok || (err != nil && !errors.Is(err, graphs.ErrNoPath)) {
			t.Errorf("%s: target %q: loss error %v, want a path %v", tc.file, tc.target, err, tc.ok)
		}
		if tc.ok {
			sel, err := transformers.SelectPaths(rc.Tape, out.(*gtn.GraphVar), target)
			if err != nil {
				t.Fatal(err)
			}
			if free[tc.target] == nil {
				free[tc.target] = map[string]float64{}
			}
			free[tc.target][tc.file], err = graphs.Forward(sel.G, 1)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// The digits target of the ORAND reader also selects the readings
	// with punctuation: more paths, a lower free energy (same weights).
	f := free[digits]
	if !(f["check-amount-orand.yaml"] < f["check-amount-field.yaml"]-1e-6) {
		t.Errorf("free energy of the target's paths: %v; the ORAND reader's should be lower", f)
	}
}

// TestAmountGrammarJunk checks the junk parameter: junk segments anywhere
// are read as nothing, each at the energy given; without it they are not
// read at all.
func TestAmountGrammarJunk(t *testing.T) {
	for _, tc := range []struct {
		junk   string
		want   float64 // energy of "#1#2#" read as "12"; -1: no path
		answer string
	}{
		{"", -1, ""},
		{", junk: 0.5", 1.5, "12"},
	} {
		p := assembleText(t, "junk.yaml", ".", `pipeline: junk
input: image
nodes:
  grammar: {use: amount-grammar, file: grammars/amount-any.fst.txt, isymbols: grammars/amount.syms, osymbols: grammars/amount-out.syms`+tc.junk+`}
output: grammar
symbols: grammars/amount.syms
`)
		out, err := p.Run(&RunContext{Tape: gtn.NewTape(nil)}, &Image{})
		if err != nil {
			t.Fatal(err)
		}
		var labels []int32
		for _, c := range "#1#2#" {
			l, _ := p.Symbols.Label(string(c))
			labels = append(labels, l)
		}
		lin, _ := graphs.LinearAcceptor(labels)
		g, _, err := graphs.Compose(lin, out.(*gtn.GraphVar).G)
		if err != nil {
			t.Fatal(err)
		}
		best, err := graphs.Viterbi(g)
		switch {
		case tc.want < 0 && err == nil:
			t.Errorf("junk%q: %q read as %v", tc.junk, "#1#2#", best.OLabels(g))
		case tc.want >= 0 && err != nil:
			t.Errorf("junk%q: %v", tc.junk, err)
		case tc.want >= 0:
			ans := LabelText(best.OLabels(g), p.Symbols)
			if ans != tc.answer || best.Energy != tc.want {
				t.Errorf("junk%q: read %q at energy %g, want %q at %g", tc.junk, ans, best.Energy, tc.answer, tc.want)
			}
		}
	}
}

// TestAnswerConfidence checks that the confidence of an amount sums the
// readings of the same value: of three readings "$200-", "$200" and
// "$300" of energy 1 (plus the grammar's 0.2 for the closing dash), the
// answer "$200-" has the posterior of both readings of 200.
func TestAnswerConfidence(t *testing.T) {
	p := loadCheckPipeline(t, "check-amount-field.yaml")
	b := graphs.NewBuilder()
	b.AddStates(1)
	b.SetStart(0)
	for _, s := range []string{"$200-", "$200", "$300"} {
		from := 0
		for i, c := range s {
			l, _ := p.Symbols.Label(string(c))
			to := b.NumStates()
			b.AddStates(1)
			b.AddArc(from, to, l, l, 0)
			if i == len(s)-1 {
				b.SetFinal(to, 1)
			}
			from = to
		}
	}
	g, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	var labels []int32
	for _, c := range "$200-" {
		l, _ := p.Symbols.Label(string(c))
		labels = append(labels, l)
	}
	a := Answer{Labels: labels, Confidence: 1.0 / 3}
	got, err := p.AnswerConfidence(g, a)
	if err != nil {
		t.Fatal(err)
	}
	e1, e12 := math.Exp(-1), math.Exp(-1.2)
	if want := (e12 + e1) / (e12 + 2*e1); math.Abs(got-want) > 1e-9 {
		t.Errorf("confidence of the amount %g, want %g", got, want)
	}
}
