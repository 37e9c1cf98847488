package graphs

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// randomOptions describe the random graphs of the differential and property
// tests.
type randomOptions struct {
	States       int     // number of states (>= 1)
	ArcsPerState int     // mean number of arcs leaving a state
	Labels       int     // labels are drawn from 1..Labels
	Epsilon      float64 // probability that a label is epsilon
	Acyclic      bool    // arcs only go from lower to higher states
	Acceptor     bool    // equal input and output labels
	MinW, MaxW   float64 // arc and final energies are uniform in [MinW, MaxW)
	FinalProb    float64 // probability that a state is final
}

// randomGraph returns a random graph with the given shape. The last state
// is always final so that most graphs have a path.
func randomGraph(rng *rand.Rand, o randomOptions) *Graph {
	b := NewBuilder()
	b.AddStates(o.States)
	b.SetStart(0)
	w := func() float64 { return o.MinW + (o.MaxW-o.MinW)*rng.Float64() }
	label := func() int32 {
		if rng.Float64() < o.Epsilon {
			return Epsilon
		}
		return 1 + rng.Int32N(int32(o.Labels))
	}
	for s := range o.States {
		if s == o.States-1 || rng.Float64() < o.FinalProb {
			b.SetFinal(s, w())
		}
		n := rng.IntN(2*o.ArcsPerState + 1)
		for range n {
			var d int
			if o.Acyclic {
				if s == o.States-1 {
					break
				}
				d = s + 1 + rng.IntN(o.States-s-1)
			} else {
				d = rng.IntN(o.States)
			}
			il := label()
			ol := il
			if !o.Acceptor {
				ol = label()
			}
			b.AddArc(s, d, il, ol, w())
		}
	}
	g, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return g
}

// mustRead parses AT&T text or fails the test.
func mustRead(t testing.TB, text string) *Graph {
	t.Helper()
	g, err := ReadText(strings.NewReader(text), t.Name(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// checkGradient compares grad, the gradient of f at the weights of g (in
// weight-index order), with central finite differences. Only finite weights
// are perturbed. f receives a graph with perturbed weights.
func checkGradient(t *testing.T, g *Graph, grad []float64, f func(*Graph) float64) {
	t.Helper()
	const h = 1e-5
	w := g.Weights()
	if len(grad) != len(w) {
		t.Fatalf("gradient has %d entries, graph has %d weights", len(grad), len(w))
	}
	for i := range w {
		if math.IsInf(w[i], 1) {
			continue
		}
		orig := w[i]
		w[i] = orig + h
		gp, err := g.WithWeights(w)
		if err != nil {
			t.Fatal(err)
		}
		fp := f(gp)
		w[i] = orig - h
		gm, _ := g.WithWeights(w)
		fm := f(gm)
		w[i] = orig
		fd := (fp - fm) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-5*math.Max(1, math.Abs(fd)) {
			t.Errorf("weight %d: gradient %.8g, finite difference %.8g", i, grad[i], fd)
		}
	}
}

// haveOpenFst reports whether OpenFst's command-line tools are installed,
// skipping the test with a message when they are not.
func haveOpenFst(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("fstcompile"); err != nil {
		t.Skip("OpenFst tools not installed (apt-get install libfst-tools): skipping comparison with OpenFst")
	}
}

// openFst runs OpenFst on graphs: each input is compiled with the given arc
// type ("standard" is tropical, "log" is log), then script runs in a shell
// in a temporary directory where the inputs are in0.fst, in1.fst, ...; it
// must leave its result in out.fst (printed and parsed into the returned
// graph) or write text to stdout (returned as the string).
func openFst(t testing.TB, arcType, script string, inputs ...*Graph) (*Graph, string) {
	t.Helper()
	dir := t.TempDir()
	for i, g := range inputs {
		txt := filepath.Join(dir, fmt.Sprintf("in%d.txt", i))
		if err := os.WriteFile(txt, []byte(TextString(g)), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, dir, fmt.Sprintf("fstcompile --arc_type=%s in%d.txt in%d.fst", arcType, i, i))
	}
	stdout := run(t, dir, script)
	if _, err := os.Stat(filepath.Join(dir, "out.fst")); err != nil {
		return nil, stdout
	}
	txt := run(t, dir, "fstprint out.fst")
	g, err := ReadText(strings.NewReader(txt), "openfst output", nil)
	if err != nil {
		t.Fatalf("parsing OpenFst output: %v\n%s", err, txt)
	}
	return g, stdout
}

func run(t testing.TB, dir, script string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, errb.String())
	}
	return out.String()
}

// closeEnough reports whether a and b agree within 1e-6 relative (absolute
// near zero); two +Inf agree.
func closeEnough(a, b float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return math.IsInf(a, 1) && math.IsInf(b, 1)
	}
	return math.Abs(a-b) <= 1e-6*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}
