package graphs

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// diamond has two paths, 0-1-3 (energy 4.5) and 0-2-3 (energy 3.5).
const diamond = `0 1 1 1 1
0 2 2 2 2
1 3 3 3 3
2 3 4 4 1
3 0.5
`

// lse returns -log Σ exp(-x): the log-semiring sum of energies.
func lse(xs ...float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = min(m, x)
	}
	s := 0.0
	for _, x := range xs {
		s += math.Exp(m - x)
	}
	return m - math.Log(s)
}

func TestShortestDistanceTiny(t *testing.T) {
	e1 := math.Exp(-1)
	tests := []struct {
		name    string
		text    string
		sr      Semiring
		reverse bool
		want    []float64
	}{
		{"diamond/tropical", diamond, Tropical, false, []float64{0, 1, 2, 3}},
		{"diamond/tropical/reverse", diamond, Tropical, true, []float64{3.5, 3.5, 1.5, 0.5}},
		{"diamond/log", diamond, Log, false, []float64{0, 1, 2, lse(4, 3)}},
		{"diamond/log/reverse", diamond, Log, true, []float64{lse(4.5, 3.5), 3.5, 1.5, 0.5}},
		// Not topologically numbered: 2 -> 0 -> 1.
		{"renumbered/log", "2 0 1 1 1\n0 1 1 1 2\n0 1 2 2 3\n1\n", Log, false, []float64{1, lse(3, 4), 0}},
		{"renumbered/log/reverse", "2 0 1 1 1\n0 1 1 1 2\n0 1 2 2 3\n1\n", Log, true, []float64{lse(2, 3), 0, lse(3, 4)}},
		// Unreachable states stay at +Inf (forward); dead ends (reverse).
		{"unreachable", "0 1 1 1 1\n2 1 1 1 1\n1\n3 1 1 1 1\n", Tropical, false, []float64{0, 1, Inf, Inf}},
		{"deadend/reverse", "0 1 1 1 1\n0 2 1 1 1\n1\n", Log, true, []float64{1, 0, Inf}},
		// A self-loop of energy 1 on a final state: Σ_k e^-k.
		{"selfloop/log", "0 0 1 1 1\n0\n", Log, false, []float64{math.Log(1 - e1)}},
		{"selfloop/log/reverse", "0 0 1 1 1\n0\n", Log, true, []float64{math.Log(1 - e1)}},
		{"selfloop/tropical", "0 0 1 1 1\n0\n", Tropical, true, []float64{0}},
		// A 2-cycle: 0 -1-> 1 -2-> 0, final 1 with 0.5.
		{"cycle/log", "0 1 1 1 1\n1 0 1 1 2\n1 0.5\n", Log, false, []float64{math.Log(1 - math.Exp(-3)), 1 + math.Log(1-math.Exp(-3))}},
		{"cycle/log/reverse", "0 1 1 1 1\n1 0 1 1 2\n1 0.5\n", Log, true, []float64{1.5 + math.Log(1-math.Exp(-3)), 0.5 + math.Log(1-math.Exp(-3))}},
		{"cycle/tropical/reverse", "0 1 1 1 1\n1 0 1 1 2\n1 0.5\n", Tropical, true, []float64{1.5, 0.5}},
		// Negative arcs but no negative cycle: Bellman-Ford order.
		{"negarc/tropical", "0 1 1 1 2\n1 2 1 1 -1.5\n2 1 1 1 2\n0 2 1 1 1\n2\n", Tropical, false, []float64{0, 2, 0.5}},
		{"negarc/tropical/reverse", "0 1 1 1 2\n1 2 1 1 -1.5\n2 1 1 1 2\n0 2 1 1 1\n2\n", Tropical, true, []float64{0.5, -1.5, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mustRead(t, tc.text)
			d, err := ShortestDistance(g, tc.sr, &DistanceOptions{Reverse: tc.reverse, Delta: 1e-14})
			if err != nil {
				t.Fatal(err)
			}
			if len(d) != len(tc.want) {
				t.Fatalf("got %d distances %v, want %v", len(d), d, tc.want)
			}
			for s := range d {
				if !closeEnough(d[s], tc.want[s]) || math.Abs(d[s]-tc.want[s]) > 1e-12 {
					t.Errorf("state %d: got %.15g, want %.15g", s, d[s], tc.want[s])
				}
			}
		})
	}
}

func TestShortestDistanceErrors(t *testing.T) {
	negCycle := mustRead(t, "0 1 1 1 1\n1 0 1 1 -2\n1\n")
	if _, err := ShortestDistance(negCycle, Tropical, nil); !errors.Is(err, ErrNegativeCycle) {
		t.Errorf("tropical negative cycle: got %v, want ErrNegativeCycle", err)
	}
	if _, err := ShortestDistance(negCycle, Tropical, &DistanceOptions{Reverse: true}); !errors.Is(err, ErrNegativeCycle) {
		t.Errorf("tropical negative cycle, reverse: got %v, want ErrNegativeCycle", err)
	}
	if _, err := ShortestDistance(negCycle, Log, &DistanceOptions{MaxIterations: 1000}); !errors.Is(err, ErrDivergent) {
		t.Errorf("log, cycle of negative energy: got %v, want ErrDivergent", err)
	}
	// A zero-energy cycle diverges in the log semiring too (Σ 1).
	zeroCycle := mustRead(t, "0 0 1 1 0\n0\n")
	if _, err := ShortestDistance(zeroCycle, Log, &DistanceOptions{MaxIterations: 100}); !errors.Is(err, ErrDivergent) {
		t.Errorf("log, zero-energy cycle: got %v, want ErrDivergent", err)
	}
	if d, err := ShortestDistance(zeroCycle, Tropical, nil); err != nil || d[0] != 0 {
		t.Errorf("tropical, zero-energy cycle: got %v, %v; want [0]", d, err)
	}
	g := mustRead(t, diamond)
	for _, opt := range []*DistanceOptions{{Delta: -1}, {Delta: math.NaN()}, {MaxIterations: -1}} {
		if _, err := ShortestDistance(g, Log, opt); err == nil {
			t.Errorf("options %+v: no error", *opt)
		}
	}
	if _, err := ShortestDistance(g, Semiring(7), nil); err == nil {
		t.Error("unknown semiring: no error")
	}
	if d, err := ShortestDistance(&Graph{}, Log, nil); err != nil || len(d) != 0 {
		t.Errorf("empty graph: got %v, %v", d, err)
	}
}

// ring returns a cycle of n states, each arc of energy w, from the start
// state 0, which is final.
func ring(n int, w float64) *Graph {
	b := NewBuilder()
	b.AddStates(n)
	b.SetStart(0)
	b.SetFinal(0, 0)
	for s := range n {
		b.AddArc(s, (s+1)%n, 1, 1, w)
	}
	g, _, _ := b.Build()
	return g
}

// TestShortestDistanceDelta checks, on a component too large to be solved
// exactly, that a coarse delta stops early, within about delta of the
// exact value, that a fine one converges, and that MaxIterations stops a
// divergent sum.
func TestShortestDistanceDelta(t *testing.T) {
	n := maxDenseComponent + 36
	g := ring(n, 0.01/float64(n)) // Σ_k exp(-0.01k) = 1/(1-exp(-0.01))
	want := math.Log(1 - math.Exp(-0.01))
	coarse, err := ShortestDistance(g, Log, &DistanceOptions{Delta: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	fine, err := ShortestDistance(g, Log, &DistanceOptions{Delta: 1e-13, MaxIterations: 1e5})
	if err != nil {
		t.Fatal(err)
	}
	if e := coarse[0] - want; e <= 0 || e > 0.2 {
		t.Errorf("delta 1e-3: got %.10g, want a little above %.10g", coarse[0], want)
	}
	if math.Abs(fine[0]-want) > 1e-9 {
		t.Errorf("delta 1e-13: got %.15g, want %.15g", fine[0], want)
	}
	if _, err := ShortestDistance(ring(n, -0.01), Log, &DistanceOptions{MaxIterations: 100}); !errors.Is(err, ErrDivergent) {
		t.Errorf("large divergent component: got %v, want ErrDivergent", err)
	}
}

// TestShortestDistanceDense checks the exact solution of small cyclic
// components in the log semiring, near and beyond divergence.
func TestShortestDistanceDense(t *testing.T) {
	for _, c := range []float64{1e-6, 1e-3, 0.5, 5, 50} {
		for _, n := range []int{1, 2, 7, maxDenseComponent} {
			g := ring(n, c/float64(n))
			for _, reverse := range []bool{false, true} {
				d, err := ShortestDistance(g, Log, &DistanceOptions{Reverse: reverse})
				if err != nil {
					t.Fatal(err)
				}
				want := math.Log(-math.Expm1(-c))
				if math.Abs(d[0]-want) > 1e-12*math.Max(1, math.Abs(want))*float64(n) {
					t.Errorf("ring of %d, cycle energy %g, reverse %v: got %.15g, want %.15g", n, c, reverse, d[0], want)
				}
			}
		}
	}
	for _, c := range []float64{0, -1e-9, -1} {
		g := ring(5, c/5)
		if _, err := ShortestDistance(g, Log, nil); !errors.Is(err, ErrDivergent) {
			t.Errorf("cycle energy %g: got %v, want ErrDivergent", c, err)
		}
	}
}

// roundWeights returns g with weights rounded to multiples of 1/256, so
// that OpenFst's float32 weights and sums of a few of them are exact.
func roundWeights(g *Graph) *Graph {
	w := g.Weights()
	for i := range w {
		w[i] = math.Round(w[i]*256) / 256
	}
	h, err := g.WithWeights(w)
	if err != nil {
		panic(err)
	}
	return h
}

// fstBatch runs OpenFst on many graphs in one shell invocation (two
// loops in parallel): each graph is compiled (keeping state numbers) with
// the given arc type and piped into pipeline, whose standard output is
// returned, one string per graph.
func fstBatch(t *testing.T, arcType, pipeline string, gs []*Graph) []string {
	t.Helper()
	dir := t.TempDir()
	for i, g := range gs {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("in%d.txt", i)), []byte(TextString(g)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	loop := func(first int) string {
		// ulimit -t: a divergent log-semiring sum makes OpenFst loop.
		return fmt.Sprintf(`(ulimit -t 60; i=%d; while [ $i -lt %d ]; do fstcompile --keep_state_numbering --arc_type=%s in$i.txt | %s > out$i.txt || exit 1; i=$((i+2)); done)`,
			first, len(gs), arcType, pipeline)
	}
	run(t, dir, loop(0)+" & p=$!; "+loop(1)+" && wait $p")
	res := make([]string, len(gs))
	for i := range gs {
		out, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("out%d.txt", i)))
		if err != nil {
			t.Fatal(err)
		}
		res[i] = string(out)
	}
	return res
}

// parseFstDistances parses fstshortestdistance's output for a graph of n
// states; states it leaves out are +Inf.
func parseFstDistances(t *testing.T, out string, n int) []float64 {
	t.Helper()
	d := make([]float64, n)
	for i := range d {
		d[i] = Inf
	}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			t.Fatalf("bad fstshortestdistance line %q", line)
		}
		s, err1 := strconv.Atoi(f[0])
		v, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil || s < 0 || s >= n {
			t.Fatalf("bad fstshortestdistance line %q", line)
		}
		d[s] = v
	}
	return d
}

// comparableWithOpenFst reports whether OpenFst will read g's text with
// the same start state: the start state must have an arc or be final.
func comparableWithOpenFst(g *Graph) bool {
	return g.NumStates() > 0 && (g.NumArcsOf(g.Start()) > 0 || g.IsFinal(g.Start()))
}

// randomTestGraphs returns count random graphs (weights rounded for
// OpenFst) that OpenFst reads with the same start state.
func randomTestGraphs(rng *rand.Rand, count int, o randomOptions) []*Graph {
	var gs []*Graph
	for len(gs) < count {
		o := o
		o.States = 1 + rng.IntN(o.States)
		g := roundWeights(randomGraph(rng, o))
		if comparableWithOpenFst(g) {
			gs = append(gs, g)
		}
	}
	return gs
}

var (
	acyclicOptions = randomOptions{States: 12, ArcsPerState: 2, Labels: 3, Epsilon: 0.2,
		Acyclic: true, MinW: -1, MaxW: 3, FinalProb: 0.3}
	cyclicOptions = randomOptions{States: 10, ArcsPerState: 2, Labels: 3, Epsilon: 0.2,
		MinW: 0, MaxW: 4, FinalProb: 0.3}
)

// disjointUnion returns one graph holding the graphs gs side by side, with
// a new start state that has a zero-energy epsilon arc to each of their
// start states, and the offset of each graph's states. The forward
// distance of a state of gs[i] from the new start is its distance from
// gs[i]'s start, and its reverse distance is its reverse distance in
// gs[i], so one OpenFst run checks many graphs.
func disjointUnion(gs []*Graph) (*Graph, []int) {
	b := NewBuilder()
	offsets := make([]int, len(gs))
	for i, g := range gs {
		offsets[i] = b.NumStates()
		b.AddStates(g.NumStates())
		for s := range g.NumStates() {
			b.SetFinal(offsets[i]+s, g.Final(s))
		}
		for a := range g.NumArcs() {
			b.AddArc(offsets[i]+g.Src(a), offsets[i]+g.Dst(a), g.ILabel(a), g.OLabel(a), g.Weight(a))
		}
	}
	start := b.AddState()
	b.SetStart(start)
	for i, g := range gs {
		b.AddArc(start, offsets[i]+g.Start(), Epsilon, Epsilon, 0)
	}
	u, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return u, offsets
}

func TestShortestDistanceOpenFst(t *testing.T) {
	haveOpenFst(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, shape := range []struct {
		name string
		opt  randomOptions
	}{{"acyclic", acyclicOptions}, {"cyclic", cyclicOptions}} {
		gs := randomTestGraphs(rng, 300, shape.opt)
		for _, sr := range []Semiring{Tropical, Log} {
			for _, reverse := range []bool{false, true} {
				name := fmt.Sprintf("%s/%v/reverse=%v", shape.name, sr, reverse)
				t.Run(name, func(t *testing.T) {
					opt := &DistanceOptions{Reverse: reverse, Delta: 1e-12}
					var ours [][]float64
					var kept []*Graph
					for _, g := range gs {
						d, err := ShortestDistance(g, sr, opt)
						if errors.Is(err, ErrDivergent) {
							continue // OpenFst would loop forever
						}
						if err != nil {
							t.Fatalf("%v\n%s", err, TextString(g))
						}
						ours = append(ours, d)
						kept = append(kept, g)
					}
					if len(kept) < len(gs)*3/4 {
						t.Fatalf("only %d of %d graphs converge", len(kept), len(gs))
					}
					arcType, flags := "standard", ""
					if sr == Log {
						arcType, flags = "log64", "--delta=1e-12"
					}
					if reverse {
						flags += " --reverse"
					}
					t.Logf("%d of %d graphs converge", len(kept), len(gs))
					u, offsets := disjointUnion(kept)
					out := fstBatch(t, arcType, "fstshortestdistance "+flags, []*Graph{u})[0]
					want := parseFstDistances(t, out, u.NumStates())
					for i, g := range kept {
						for s := range g.NumStates() {
							if w := want[offsets[i]+s]; !closeEnough(ours[i][s], w) {
								t.Errorf("graph %d, state %d: got %.9g, OpenFst %.9g\n%s", i, s, ours[i][s], w, TextString(g))
								break
							}
						}
					}
				})
			}
		}
	}
}

// TestShortestDistanceRandomAgree checks on larger random graphs that the
// acyclic passes and the generic algorithm agree, and that the reverse
// distance of the start is the forward distance of the final states
// ⊕-summed with their final energies.
func TestShortestDistanceRandomAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 100 {
		o := acyclicOptions
		o.States = 2 + rng.IntN(60)
		o.ArcsPerState = 1 + rng.IntN(4)
		g := randomGraph(rng, o)
		for _, sr := range []Semiring{Tropical, Log} {
			for _, reverse := range []bool{false, true} {
				fast, err := ShortestDistance(g, sr, &DistanceOptions{Reverse: reverse})
				if err != nil {
					t.Fatal(err)
				}
				p := cyclicDistance{g: g, sr: sr, scale: 1, reverse: reverse, delta: 1e-14, maxIter: 10}
				slow := make([]float64, g.NumStates())
				if err := p.solve(slow, nil); err != nil {
					t.Fatal(err)
				}
				for s := range fast {
					if !closeEnough(fast[s], slow[s]) {
						t.Fatalf("graph %d %v reverse=%v state %d: one pass %.15g, generic %.15g", i, sr, reverse, s, fast[s], slow[s])
					}
				}
			}
			fwd, _ := ShortestDistance(g, sr, nil)
			rev, _ := ShortestDistance(g, sr, &DistanceOptions{Reverse: true})
			total := Inf
			for s := range fwd {
				total = sr.Plus(total, fwd[s]+g.Final(s))
			}
			if !closeEnough(total, rev[g.Start()]) {
				t.Fatalf("graph %d %v: forward total %.15g, reverse %.15g", i, sr, total, rev[g.Start()])
			}
		}
	}
}

// TestShortestDistanceDenseVsIterative checks that the exact solution of
// small components in the log semiring agrees with the generic iteration,
// on convergent and divergent random graphs.
func TestShortestDistanceDenseVsIterative(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	divergent := 0
	for i := range 200 {
		o := cyclicOptions
		o.MinW = -0.5 + rng.Float64()
		g := randomGraph(rng, o)
		for _, reverse := range []bool{false, true} {
			dense := make([]float64, g.NumStates())
			iter := make([]float64, g.NumStates())
			p := cyclicDistance{g: g, sr: Log, scale: 1, reverse: reverse, delta: 1e-14, maxIter: 3000}
			errDense := p.solve(dense, nil)
			q := p
			q.iterateOnly = true
			errIter := q.solve(iter, nil)
			if errDense != nil {
				divergent++
				if !errors.Is(errDense, ErrDivergent) || !errors.Is(errIter, ErrDivergent) {
					t.Fatalf("graph %d reverse=%v: dense: %v, iterative: %v\n%s", i, reverse, errDense, errIter, TextString(g))
				}
				continue
			}
			if errIter != nil {
				// Convergence too slow for the iteration bound: the
				// spectral radius is close to 1.
				continue
			}
			for s := range dense {
				if math.Abs(dense[s]-iter[s]) > 1e-9*math.Max(1, math.Abs(dense[s])) && !(dense[s] == Inf && iter[s] == Inf) {
					t.Fatalf("graph %d reverse=%v state %d: dense %.15g, iterative %.15g\n%s", i, reverse, s, dense[s], iter[s], TextString(g))
				}
			}
		}
	}
	t.Logf("%d of 400 runs diverge", divergent)
	if divergent < 20 || divergent > 380 {
		t.Errorf("%d of 400 runs diverge: the test graphs are not mixed enough", divergent)
	}
}
