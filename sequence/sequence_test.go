package sequence

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

func TestTemplates(t *testing.T) {
	cols := []string{"w", "pos", "chunk"}
	ts, err := ParseTemplates([]string{"w[-1..1]", "w[-1]|w[0]", "prefix(w[0],2)", "suffix(w[0],1..2)", "shape(w[0])", "lower(w[-1])|pos[0]", "bos", "eos", "bias"}, cols)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tt := range ts {
		names = append(names, tt.Name)
	}
	want := []string{"w[-1]", "w[0]", "w[1]", "w[-1]|w[0]", "prefix(w[0],2)", "suffix(w[0],1)", "suffix(w[0],2)", "shape(w[0])", "lower(w[-1])|pos[0]", "bos", "eos", "bias"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	toks := [][]string{{"The", "DT", "B-NP"}, {"McDonald's", "NNP", "I-NP"}, {"1990s", "CD", "I-NP"}}
	got := Attributes(ts, toks, 1)
	wantAttrs := []string{"w[-1]=The", "w[0]=McDonald's", "w[1]=1990s", "w[-1]|w[0]=The|McDonald's", "prefix(w[0],2)=Mc",
		"suffix(w[0],1)=s", "suffix(w[0],2)='s", "shape(w[0])=XxXx'x", "lower(w[-1])|pos[0]=the|NNP", "bias"}
	if !reflect.DeepEqual(got, wantAttrs) {
		t.Errorf("attributes of token 1:\n%q\nwant\n%q", got, wantAttrs)
	}
	first := Attributes(ts, toks, 0)
	if first[0] != "w[0]=The" || !strings.Contains(strings.Join(first, " "), "bos") || strings.Contains(strings.Join(first, " "), "eos") {
		t.Errorf("attributes of token 0: %q", first)
	}
	for _, bad := range []string{"x[0]", "w[0", "w[a]", "w[-1..1]|pos[-1..1]", "prefix(w[0])", "foo(w[0])", "", "w[2..1]"} {
		if _, err := ParseTemplates([]string{bad}, cols); err == nil {
			t.Errorf("template %q: no error", bad)
		}
	}
	if _, err := ParseTemplates([]string{"w[0]", "w[-1..1]"}, cols); err == nil {
		t.Error("duplicate template: no error")
	}
}

// tinyTask is a chunking-like task a first-order chain can learn exactly:
// determiners and adjectives open or continue a noun phrase, nouns end it,
// verbs and prepositions are their own chunks.
func tinyTask(rng *rand.Rand, n int) []datasets.Sentence {
	var out []datasets.Sentence
	for range n {
		var s datasets.Sentence
		for len(s.Tokens) < 6 {
			switch rng.IntN(3) {
			case 0: // NP: DT (JJ)* NN
				s.Tokens = append(s.Tokens, []string{"the", "DT", "B-NP"})
				for range rng.IntN(3) {
					s.Tokens = append(s.Tokens, []string{[]string{"big", "red", "old"}[rng.IntN(3)], "JJ", "I-NP"})
				}
				s.Tokens = append(s.Tokens, []string{[]string{"dog", "cat", "car"}[rng.IntN(3)], "NN", "I-NP"})
			case 1:
				s.Tokens = append(s.Tokens, []string{[]string{"sees", "likes"}[rng.IntN(2)], "VBZ", "B-VP"})
			case 2:
				s.Tokens = append(s.Tokens, []string{[]string{"in", "on"}[rng.IntN(2)], "IN", "B-PP"})
			}
		}
		s.Tokens = append(s.Tokens, []string{".", ".", "O"})
		out = append(out, s)
	}
	return out
}

// TestTinyTaskLearnedExactly trains every method on a small task and
// checks that the training sentences are labeled perfectly (the held-out
// ones may contain contexts never seen in training, which features of
// seen (attribute, label) pairs need not generalise to).
func TestTinyTaskLearnedExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	train := tinyTask(rng, 200)
	test := train
	cfg := Config{Columns: []string{"w", "pos", "chunk"}, Templates: []string{"w[0]", "pos[-1..1]", "pos[-1]|pos[0]", "pos[0]|pos[1]"}}
	for _, tc := range []TrainConfig{
		{Method: MethodCRF, C2: 0.1},
		{Method: MethodCRF, C2: 0.1, AllLabels: true, Workers: 3},
		{Method: MethodPerceptron, Epochs: 5},
		{Method: MethodM3N, Epochs: 5},
		{Method: MethodOnline, Loss: "nll", Optimizer: "sgd", Rate: 0.5, Epochs: 5},
		{Method: MethodOnline, Loss: "log", Epochs: 5},
	} {
		tc.Config = cfg
		m, st, err := Train(context.Background(), train, tc)
		if err != nil {
			t.Fatalf("%s: %v", tc.Method, err)
		}
		r, _, err := m.Evaluate(test, 2)
		if err != nil {
			t.Fatal(err)
		}
		if r.F1 != 100 || r.Accuracy != 100 {
			t.Errorf("%s (all labels %v): F1 %.2f, accuracy %.2f, want 100 (stats %+v)", tc.Method, tc.AllLabels, r.F1, r.Accuracy, st)
		}
	}
	// Trained in IOBES, answering in IOB2.
	c := cfg
	c.ModelScheme = "iobes"
	m, _, err := Train(context.Background(), train, TrainConfig{Config: c, Method: MethodCRF, C2: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(m.Labels, " "), "E-NP") {
		t.Errorf("IOBES model labels %v", m.Labels)
	}
	r, pred, err := m.Evaluate(test, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.F1 != 100 || pred[0][0] != test[0].Tokens[0][2] {
		t.Errorf("IOBES model: F1 %.2f, first tag %s", r.F1, pred[0][0])
	}
}

func TestSaveLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	train, test := tinyTask(rng, 100), tinyTask(rng, 30)
	cfg := TrainConfig{Config: Config{Columns: []string{"w", "pos", "chunk"}, Templates: []string{"w[0]", "pos[-1..1]", "suffix(w[0],2)"}}, Method: MethodPerceptron, Epochs: 3}
	m, _, err := Train(context.Background(), train, cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chunk.gtnm")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f1, t1 := m.Weights()
	f2, t2 := m2.Weights()
	if !reflect.DeepEqual(f1, f2) || !reflect.DeepEqual(t1, t2) || !reflect.DeepEqual(m.Labels, m2.Labels) || !reflect.DeepEqual(m.Config, m2.Config) {
		t.Fatal("reloaded model differs")
	}
	p1, _ := m.PredictAll(test, 1)
	p2, _ := m2.PredictAll(test, 1)
	if !reflect.DeepEqual(p1, p2) {
		t.Error("reloaded model predicts differently")
	}
	// Input without the label column can be tagged.
	s := datasets.Sentence{Tokens: [][]string{{"the", "DT"}, {"dog", "NN"}}}
	if p, err := m2.Predict(&s); err != nil || !reflect.DeepEqual(p, []string{"B-NP", "I-NP"}) {
		t.Errorf("Predict = %v, %v", p, err)
	}
	bad := datasets.Sentence{Line: 7, Tokens: [][]string{{"the"}}}
	if _, err := m2.Predict(&bad); err == nil || !strings.Contains(err.Error(), "line 7") {
		t.Errorf("Predict on a short token: %v", err)
	}
}

func TestTagCoNLL(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	train := tinyTask(rng, 100)
	m, _, err := Train(context.Background(), train, TrainConfig{Config: Config{Columns: []string{"w", "pos", "chunk"}, Templates: []string{"w[0]", "pos[-1..1]", "pos[0]|pos[1]"}}, Method: MethodCRF, C2: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	var in, out strings.Builder
	if err := datasets.WriteCoNLL(&in, train[:20], ""); err != nil {
		t.Fatal(err)
	}
	n, err := TagCoNLL(m, strings.NewReader(in.String()), "in", &out, 2)
	if err != nil || n != 20 {
		t.Fatalf("TagCoNLL: %d, %v", n, err)
	}
	// The output is conlleval's input: gold then predicted.
	r, err := Conlleval(strings.NewReader(out.String()), "out", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.F1 != 100 || r.Tokens == 0 {
		t.Errorf("tagged output scores %v", r)
	}
	if _, err := TagCoNLL(m, strings.NewReader("a DT\nb\n"), "bad.conll", &out, 1); err == nil || !strings.Contains(err.Error(), "bad.conll:2") {
		t.Errorf("malformed input: %v", err)
	}
}

// TestLatticeOf checks that the best path of the model's lattice graph
// spells Predict's labels, with Chain's Viterbi energy.
func TestLatticeOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	train := tinyTask(rng, 60)
	m, _, err := Train(context.Background(), train, TrainConfig{Config: Config{Columns: []string{"w", "pos", "chunk"}, Templates: []string{"w[0]", "pos[-1..1]"}}, Method: MethodPerceptron, Epochs: 2})
	if err != nil {
		t.Fatal(err)
	}
	syms := m.Symbols()
	for i := range 5 {
		s := &train[i]
		tp := gtn.NewTape(nil)
		g, err := m.LatticeOf(tp, s)
		if err != nil {
			t.Fatal(err)
		}
		p, err := graphs.Viterbi(g.G)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := m.Predict(s)
		var got []string
		for _, a := range p.Arcs {
			sym, _ := syms.Symbol(g.G.OLabel(int(a)))
			got = append(got, sym)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("sentence %d: lattice best path %v, Predict %v", i, got, want)
		}
		emit, trans, _ := m.Energies(s)
		var c Chain
		e, _ := c.Viterbi(emit, trans, len(m.Labels), make([]int32, s.Len()))
		if math.Abs(e-p.Energy) > 1e-3*(1+math.Abs(e)) {
			t.Errorf("sentence %d: lattice energy %v, chain %v", i, p.Energy, e)
		}
	}
}
