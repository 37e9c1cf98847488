package pipelines

import (
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// readerGraph builds an acceptor from "src dst label energy" lines (one
// final state, the last).
func readerGraph(t *testing.T, final int, arcs ...[4]float64) *graphs.Graph {
	t.Helper()
	b := graphs.NewBuilder()
	b.AddStates(final + 1)
	b.SetStart(0)
	b.SetFinal(final, 0)
	for _, a := range arcs {
		b.AddArc(int(a[0]), int(a[1]), int32(a[2]), int32(a[2]), a[3])
	}
	g, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// runCombine runs a combine node with the given candidates on graphs.
func runCombine(t *testing.T, tp *gtn.Tape, candidates int, readers ...*gtn.GraphVar) *gtn.GraphVar {
	t.Helper()
	in := make([]any, len(readers))
	for i, r := range readers {
		in[i] = r
	}
	out, err := combine{candidates: candidates, paths: 100}.Run(&RunContext{Tape: tp}, in)
	if err != nil {
		t.Fatal(err)
	}
	return out.(*gtn.GraphVar)
}

// answerEnergies returns the combined graph's answers and energies.
func answerEnergies(t *testing.T, combined *gtn.GraphVar) map[string]float64 {
	t.Helper()
	g := combined.G
	paths, err := graphs.NBest(g, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, p := range paths {
		out[LabelText(p.OLabels(g), nil)] = p.Energy
	}
	return out
}

// TestCombine checks the combine node on hand-made readers: the candidates
// and their energies (the mean of the readers' -log posteriors), the
// answer both readers find likeliest winning over the first reader's
// best, a candidate the second reader cannot spell dropped, and a reader
// that reads nothing leaving no answer.
func TestCombine(t *testing.T) {
	// Reader a: "1 2" at 1, "1 3" at 1.5, "4" at 4. Reader b: "1 2" at 3,
	// "1 3" at 0.5, and no "4".
	a := readerGraph(t, 2,
		[4]float64{0, 1, 1, 0}, [4]float64{1, 2, 2, 1}, [4]float64{1, 2, 3, 1.5}, [4]float64{0, 2, 4, 4})
	b := readerGraph(t, 2,
		[4]float64{0, 1, 1, 0}, [4]float64{1, 2, 2, 3}, [4]float64{1, 2, 3, 0.5})
	free := func(es ...float64) float64 { // -log Σ exp(-e)
		s := 0.0
		for _, e := range es {
			s += math.Exp(-e)
		}
		return -math.Log(s)
	}
	fa, fb := free(1, 1.5, 4), free(3, 0.5)
	want := map[string]float64{
		"1 2": ((1 - fa) + (3 - fb)) / 2,
		"1 3": ((1.5 - fa) + (0.5 - fb)) / 2,
	}
	tp := gtn.NewTape(nil)
	for _, candidates := range []int{1, 3} {
		got := answerEnergies(t, runCombine(t, tp, candidates, tp.Graph(a), tp.Graph(b)))
		if len(got) != len(want) {
			t.Errorf("candidates %d: answers %v, want %v", candidates, got, want)
		}
		for ans, e := range want {
			if g, ok := got[ans]; !ok || math.Abs(g-e) > 1e-5 {
				t.Errorf("candidates %d: answer %q energy %v (found %v), want %v", candidates, ans, g, ok, e)
			}
		}
	}
	best, err := Interpret(runCombine(t, tp, 3, tp.Graph(a), tp.Graph(b)).G, nil)
	if err != nil {
		t.Fatal(err)
	}
	if best.Text != "1 3" {
		t.Errorf("combined answer %q, want %q (reader a alone reads %q)", best.Text, "1 3", "1 2")
	}
	// A reader with no path: no answer.
	none, _, err := graphs.NewBuilder().Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graphs.Viterbi(runCombine(t, tp, 3, tp.Graph(a), tp.Graph(none)).G); err == nil {
		t.Error("a reader without paths: the combination has a path")
	}
	// Paths that spell the same answer pool their probability, and the
	// empty answer is a candidate like any other.
	for _, tc := range []struct {
		name   string
		reader *graphs.Graph
		want   map[string]float64
	}{
		{"two paths", readerGraph(t, 1, [4]float64{0, 1, 1, 1}, [4]float64{0, 1, 1, 1}, [4]float64{0, 1, 2, 1}),
			map[string]float64{"1": math.Log(1.5), "2": math.Log(3)}},
		{"empty answer", readerGraph(t, 1, [4]float64{0, 1, 0, 0.5}, [4]float64{0, 1, 1, 1}),
			map[string]float64{"": 0.5 - free(0.5, 1), "1": 1 - free(0.5, 1)}},
	} {
		got := answerEnergies(t, runCombine(t, tp, 2, tp.Graph(tc.reader), tp.Graph(tc.reader)))
		if len(got) != len(tc.want) {
			t.Errorf("%s: answers %v, want %v", tc.name, got, tc.want)
		}
		for ans, e := range tc.want {
			if g, ok := got[ans]; !ok || math.Abs(g-e) > 1e-5 {
				t.Errorf("%s: answer %q energy %v (found %v), want %v", tc.name, ans, g, ok, e)
			}
		}
	}
}

// TestCombineOrder: the candidates are each reader's own best answers,
// whatever the order of the readers.
func TestCombineOrder(t *testing.T) {
	// One arc per answer 1..7, a's ranking 1 2 3 6 7 4 5, b's 1 2 4 5 7 3 6.
	reader := func(energies ...float64) *graphs.Graph {
		var arcs [][4]float64
		for i, e := range energies {
			arcs = append(arcs, [4]float64{0, 1, float64(i + 1), e})
		}
		return readerGraph(t, 1, arcs...)
	}
	a := reader(1, 2, 3, 6, 7, 4, 5)
	b := reader(1, 2, 6, 3, 4, 7, 5)
	tp := gtn.NewTape(nil)
	ab := answerEnergies(t, runCombine(t, tp, 3, tp.Graph(a), tp.Graph(b)))
	ba := answerEnergies(t, runCombine(t, tp, 3, tp.Graph(b), tp.Graph(a)))
	want := []string{"1", "2", "3", "4"}
	for _, got := range []map[string]float64{ab, ba} {
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
			t.Errorf("answers %v, want %v", keys, want)
		}
	}
	for ans, e := range ab {
		if math.Abs(ba[ans]-e) > 1e-6 {
			t.Errorf("answer %q: energy %v one way, %v the other", ans, e, ba[ans])
		}
	}
}

// TestCombineGradient checks the gradient of the combination's free
// energy with respect to both readers' arc energies against central
// finite differences.
func TestCombineGradient(t *testing.T) {
	a := readerGraph(t, 3,
		[4]float64{0, 1, 1, 0}, [4]float64{0, 1, 2, 0}, [4]float64{1, 2, 1, 0}, [4]float64{1, 2, 3, 0},
		[4]float64{0, 2, 3, 0}, [4]float64{2, 3, 2, 0}, [4]float64{2, 3, 1, 0}, [4]float64{1, 3, 2, 0})
	b := readerGraph(t, 3,
		[4]float64{0, 1, 1, 0}, [4]float64{0, 1, 2, 0}, [4]float64{1, 2, 1, 0}, [4]float64{1, 2, 2, 0},
		[4]float64{0, 2, 3, 0}, [4]float64{2, 3, 1, 0}, [4]float64{2, 3, 2, 0}, [4]float64{1, 3, 0, 0})
	pa := gtn.NewParam("a", a.NumArcs())
	pb := gtn.NewParam("b", b.NumArcs())
	for i := range pa.Value.Data {
		pa.Value.Data[i] = float32(math.Sin(float64(3*i+1))) * 1.5
	}
	for i := range pb.Value.Data {
		pb.Value.Data[i] = float32(math.Cos(float64(5*i+2))) * 1.5
	}
	bind := func(tp *gtn.Tape, g *graphs.Graph, p *gtn.Param) *gtn.GraphVar {
		index := slices.Repeat([]int32{-1}, g.NumWeights())
		for k := range g.NumArcs() {
			index[k] = int32(k)
		}
		v, err := tp.BindArcs(g, index, tp.Param(p))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	params := []*gtn.Param{pa, pb}
	grads := gtn.NewGrads(params)
	tp := gtn.NewTape(grads)
	f := combinedFreeEnergy(t, tp, bind(tp, a, pa), bind(tp, b, pb))
	if err := tp.Backward(f); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range params {
		for i := range p.Value.Data {
			const step = 1e-3
			v := p.Value.Data[i]
			eval := func(x float32) float64 {
				p.Value.Data[i] = x
				tp := gtn.NewTape(nil)
				return combinedFreeEnergy(t, tp, bind(tp, a, pa), bind(tp, b, pb)).Scalar()
			}
			num := (eval(v+step) - eval(v-step)) / (2 * step)
			p.Value.Data[i] = v
			got := float64(grads.Of(p).Data[i])
			if math.Abs(got-num) > 2e-3+2e-2*math.Abs(num) {
				t.Errorf("%s[%d]: gradient %.5f, finite differences %.5f", p.Name, i, got, num)
			}
			if got != 0 {
				checked++
			}
		}
	}
	if checked < 8 {
		t.Errorf("only %d non-zero gradients", checked)
	}
}

// combinedFreeEnergy is the free energy of the combination of two
// readers, a loss that depends on every candidate's energy.
func combinedFreeEnergy(t *testing.T, tp *gtn.Tape, a, b *gtn.GraphVar) *gtn.Var {
	t.Helper()
	f, _, err := tp.FreeEnergy(runCombine(t, tp, 3, a, b), 1)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCombineParams checks the node's parameter errors.
func TestCombineParams(t *testing.T) {
	const head = "pipeline: t\ninput: image\nnodes:\n  a: {use: graph, text: \"0 1 1 1\\n1\\n\", acceptor: true}\n"
	for _, tc := range []struct{ node, want string }{
		{"{use: combine, from: [a, a], candidates: 0}", "candidates must be at least 1, got 0"},
		{"{use: combine, from: [a, a], candidates: 5, paths: 4}", "paths (4) must be at least candidates (5)"},
		{"{use: combine, from: a}", "needs at least 2 input(s)"},
	} {
		dir := t.TempDir()
		sp, err := ParseSpec(filepath.Join(dir, "p.yaml"), dir, []byte(head+"  c: "+tc.node+"\noutput: c\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Assemble(sp, DefaultRegistry())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.node, err, tc.want)
		}
	}
}

// TestORANDCombined evaluates orand-combined.yaml, three ORAND digit
// readers and the check reader's field reader combined, on the held-out
// fifth of ORAND-CAR-A.
func TestORANDCombined(t *testing.T) {
	// Measured: 84.3% (orand-hos.yaml alone: 78.7%).
	if acc := orandAccuracy(t, "orand-combined.yaml"); acc < 0.83 {
		t.Errorf("string accuracy %.3f on the held-out fifth, want at least 0.83", acc)
	}
}
