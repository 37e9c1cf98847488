package graphs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

var bothSemirings = []Semiring{Tropical, Log}

// keepNumbering is a script prefix that recompiles in0.txt keeping its
// state numbers (openFst's fstcompile renumbers them).
func keepNumbering(sr Semiring) string {
	return "fstcompile --keep_state_numbering --arc_type=" + arcType(sr) + " in0.txt in0.fst && "
}

// arcType returns OpenFst's arc type for a semiring.
func arcType(sr Semiring) string {
	if sr == Log {
		return "log"
	}
	return "standard"
}

// closeTol reports whether a and b agree within tol, relative to their
// magnitude when it exceeds 1; two +Inf agree.
func closeTol(a, b, tol float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return math.IsInf(a, 1) && math.IsInf(b, 1)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// gridWeights rounds the weights of g to multiples of step, so that they
// are exact in OpenFst's float32 weights.
func gridWeights(g *Graph, step float64) *Graph {
	w := g.Weights()
	for i, x := range w {
		if !math.IsInf(x, 1) {
			w[i] = math.Round(x/step) * step
		}
	}
	h, err := g.WithWeights(w)
	if err != nil {
		panic(err)
	}
	return h
}

// connectForTest returns the subgraph of the live states of g.
func connectForTest(g *Graph) *Graph {
	live := liveStateMask(g)
	b := NewBuilder()
	if g.NumStates() == 0 || !live[g.Start()] {
		g, _, _ := b.Build()
		return g
	}
	id := make([]int, g.NumStates())
	for s := range id {
		id[s] = -1
		if live[s] {
			id[s] = b.AddState()
			b.SetFinal(id[s], g.Final(s))
		}
	}
	b.SetStart(id[g.Start()])
	for a := range g.NumArcs() {
		if live[g.Src(a)] && live[g.Dst(a)] {
			b.AddArc(id[g.Src(a)], id[g.Dst(a)], g.ILabel(a), g.OLabel(a), g.Weight(a))
		}
	}
	h, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return h
}

// bundleLabel is the label of the arc from a bundle's start to its i-th
// graph; random test graphs use smaller labels.
func bundleLabel(i int) int32 { return int32(1000 + i) }

// bundle returns the union of gs under a new start state 0, whose arc
// with label bundleLabel(i) and energy 0 leads to the start of gs[i], and
// the start state of each graph in the bundle. Determinization, epsilon
// removal and pushing treat the graphs independently.
func bundle(gs []*Graph) (*Graph, []int) {
	b := NewBuilder()
	b.SetStart(b.AddState())
	starts := make([]int, len(gs))
	for i, g := range gs {
		base := b.NumStates()
		b.AddStates(g.NumStates())
		for s := range g.NumStates() {
			b.SetFinal(base+s, g.Final(s))
		}
		for a := range g.NumArcs() {
			b.AddArc(base+g.Src(a), base+g.Dst(a), g.ILabel(a), g.OLabel(a), g.Weight(a))
		}
		starts[i] = base + g.Start()
		b.AddArc(0, starts[i], bundleLabel(i), bundleLabel(i), 0)
	}
	h, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return h, starts
}

// bundleParts returns the state reached from a bundle's start by the arc
// of each part (-1 if there is none).
func bundleParts(g *Graph, n int) []int {
	parts := make([]int, n)
	for i := range parts {
		parts[i] = -1
	}
	if g.NumStates() == 0 {
		return parts
	}
	lo, hi := g.Arcs(g.Start())
	for a := lo; a < hi; a++ {
		if i := int(g.ILabel(a)) - 1000; i >= 0 && i < n {
			parts[i] = g.Dst(a)
		}
	}
	return parts
}

// reachableSize returns the numbers of states and arcs reachable from s.
func reachableSize(g *Graph, s int) (states, arcs int) {
	seen := make([]bool, g.NumStates())
	stack := []int{s}
	seen[s] = true
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		states++
		lo, hi := g.Arcs(x)
		arcs += hi - lo
		for a := lo; a < hi; a++ {
			if d := g.Dst(a); !seen[d] {
				seen[d] = true
				stack = append(stack, d)
			}
		}
	}
	return states, arcs
}

// potentials returns the ⊕ of the energies of the paths from each state to
// a final state (+Inf for dead states), computed by Push's own engine.
func potentials(t testing.TB, g *Graph, sr Semiring) []float64 {
	t.Helper()
	p, err := newPusher(g, sr, false, liveStateMask(g))
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float64, g.NumStates())
	for s := range v {
		v[s] = p.pot(s)
	}
	return v
}

// parseDistances parses the output of fstshortestdistance.
func parseDistances(t testing.TB, out string) map[int]float64 {
	t.Helper()
	d := map[int]float64{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		s, err1 := strconv.Atoi(f[0])
		w, err2 := parseEnergy([]byte(f[1]))
		if err1 != nil || err2 != nil {
			t.Fatalf("bad distance line %q", line)
		}
		d[s] = w
	}
	return d
}

// sameShape reports whether g and h have the same states, start, arcs
// (but for their energies) and final states.
func sameShape(g, h *Graph) bool {
	if g.NumStates() != h.NumStates() || g.NumArcs() != h.NumArcs() || g.Start() != h.Start() {
		return false
	}
	for a := range g.NumArcs() {
		x, y := g.Arc(a), h.Arc(a)
		if x.Src != y.Src || x.Dst != y.Dst || x.ILabel != y.ILabel || x.OLabel != y.OLabel {
			return false
		}
	}
	for s := range g.NumStates() {
		if g.IsFinal(s) != h.IsFinal(s) {
			return false
		}
	}
	return true
}

// checkOpMap checks the Map m of op at g, whose result is out, by finite
// differences of a random combination of the output weights.
func checkOpMap(t *testing.T, rng *rand.Rand, g, out *Graph, m *Map, op func(*Graph) (*Graph, *Map, error)) {
	t.Helper()
	if m.NumOutputs() != out.NumWeights() || m.NumInputs() != 1 {
		t.Fatalf("map has %d outputs and %d inputs, graph has %d weights", m.NumOutputs(), m.NumInputs(), out.NumWeights())
	}
	w := out.Weights()
	r := make([]float64, len(w))
	for j := range r {
		if !math.IsInf(w[j], 1) {
			r[j] = 2*rng.Float64() - 1
		}
	}
	grad := make([]float64, g.NumWeights())
	if err := m.Backward(r, grad); err != nil {
		t.Fatal(err)
	}
	checkGradient(t, g, grad, func(h *Graph) float64 {
		o, _, err := op(h)
		if err != nil {
			t.Fatal(err)
		}
		if !sameShape(o, out) {
			t.Fatal("the structure of the result changed under a small perturbation")
		}
		s := 0.0
		for j, x := range o.Weights() {
			if r[j] != 0 {
				s += r[j] * x
			}
		}
		return s
	})
}

// wantGraph checks g against AT&T text with energies within 1e-9.
func wantGraph(t *testing.T, g *Graph, want string) {
	t.Helper()
	w := mustRead(t, want)
	if !sameShape(g, w) {
		t.Fatalf("got\n%swant\n%s", TextString(g), want)
	}
	gw, ww := g.Weights(), w.Weights()
	for i := range gw {
		if !closeTol(gw[i], ww[i], 1e-9) {
			t.Fatalf("weight %d: got %v, want %v\ngot\n%swant\n%s", i, gw[i], ww[i], TextString(g), want)
		}
	}
}

// wantRow checks row j of m against the given coefficients by weight index.
func wantRow(t *testing.T, m *Map, j int, want map[int]float64) {
	t.Helper()
	got := map[int]float64{}
	for _, r := range m.Row(j) {
		got[int(r.Index)] += r.Coef
	}
	for i, c := range want {
		if !closeTol(got[i], c, 1e-9) {
			t.Errorf("row %d: coefficient of weight %d is %v, want %v (row %v)", j, i, got[i], c, m.Row(j))
		}
	}
	for i, c := range got {
		if _, ok := want[i]; !ok && math.Abs(c) > 1e-12 {
			t.Errorf("row %d: unexpected coefficient %v of weight %d", j, c, i)
		}
	}
}

func logSum(x ...float64) float64 {
	s := Inf
	for _, v := range x {
		s = logAdd(s, v)
	}
	return s
}

func TestPushTiny(t *testing.T) {
	// 0 -a/1-> 1; 1 -b/1-> 2; 1 -c/2-> 2; 1 final 3; 2 final 0.
	g := mustRead(t, "0 1 1 1 1\n1 2 2 2 1\n1 2 3 3 2\n1 3\n2 0\n")
	// Weight indices: arcs 0 (a), 1 (b), 2 (c); finals 3+s.
	t.Run("tropical", func(t *testing.T) {
		// V(2) = 0, V(1) = 1 (by b), V(0) = 2.
		p, m, err := Push(g, Tropical, false)
		if err != nil {
			t.Fatal(err)
		}
		wantGraph(t, p, "0 1 1 1 2\n1 2 2 2 0\n1 2 3 3 1\n1 2\n2 0\n")
		wantRow(t, m, 0, map[int]float64{0: 1, 1: 1, 5: 1}) // a + V(0)-V(0) ... = a + b + final(2)
		wantRow(t, m, 1, map[int]float64{})                 // b is on the best path: 0
		wantRow(t, m, 2, map[int]float64{2: 1, 1: -1})      // c - b
		wantRow(t, m, 4, map[int]float64{4: 1, 1: -1, 5: -1})
	})
	t.Run("log", func(t *testing.T) {
		v1 := logSum(1, 2, 3)
		v0 := 1 + v1
		p, m, err := Push(g, Log, false)
		if err != nil {
			t.Fatal(err)
		}
		wantGraph(t, p, fmt.Sprintf("0 1 1 1 %v\n1 2 2 2 %v\n1 2 3 3 %v\n1 %v\n2 0\n", v0, 1-v1, 2-v1, 3-v1))
		pb, pc, pf := math.Exp(v1-1), math.Exp(v1-2), math.Exp(v1-3)
		wantRow(t, m, 0, map[int]float64{0: 1, 1: pb, 2: pc, 4: pf, 5: pb + pc})
		wantRow(t, m, 1, map[int]float64{1: 1 - pb, 2: -pc, 4: -pf, 5: 1 - pb - pc})
		wantRow(t, m, 4, map[int]float64{4: 1 - pf, 1: -pb, 2: -pc, 5: -pb - pc})
	})
	t.Run("tropical to final", func(t *testing.T) {
		// α(1) = 1, α(2) = 2.
		p, _, err := Push(g, Tropical, true)
		if err != nil {
			t.Fatal(err)
		}
		wantGraph(t, p, "0 1 1 1 0\n1 2 2 2 0\n1 2 3 3 1\n1 4\n2 2\n")
	})
}

func TestPushCyclicStart(t *testing.T) {
	// A loop on the start: the total weight goes to a new start state.
	g := mustRead(t, "0 0 1 1 1\n0 2\n")
	v := 2 + math.Log(-math.Expm1(-1)) // 2 ⊕ (1+2) ⊕ (2+2) ⊕ ...
	for _, tc := range []struct {
		sr      Semiring
		toFinal bool
		want    string
	}{
		{Tropical, false, "1 0 0 0 2\n0 0 1 1 1\n0 0\n"},
		{Log, false, fmt.Sprintf("1 0 0 0 %v\n0 0 1 1 1\n0 %v\n", v, 2-v)},
		{Tropical, true, "0 0 1 1 1\n0 2\n"}, // α(0) = 0: nothing to do
		// α(0) = -log(1/(1-e^-1)): finals get f + α, the new start -α.
		{Log, true, fmt.Sprintf("1 0 0 0 %v\n0 0 1 1 1\n0 %v\n", -math.Log(-math.Expm1(-1)), 2+math.Log(-math.Expm1(-1)))},
	} {
		t.Run(fmt.Sprint(tc.sr, tc.toFinal), func(t *testing.T) {
			p, m, err := Push(g, tc.sr, tc.toFinal)
			if err != nil {
				t.Fatal(err)
			}
			wantGraph(t, p, tc.want)
			checkOpMap(t, rand.New(rand.NewPCG(1, 2)), g, p, m, func(h *Graph) (*Graph, *Map, error) { return Push(h, tc.sr, tc.toFinal) })
		})
	}
}

func TestPushDiverges(t *testing.T) {
	for _, tc := range []struct {
		name, g string
		sr      Semiring
	}{
		{"negative cycle", "0 1 1 1 1\n1 0 1 1 -2\n1 0\n", Tropical},
		{"log cycle of probability 1", "0 0 1 1 0\n0 0\n", Log},
		{"log cycles summing over 1", "0 1 1 1 0.5\n1 0 1 1 0.1\n0 0 1 1 0.3\n0 0\n", Log},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Push(mustRead(t, tc.g), tc.sr, false)
			if err == nil || !strings.Contains(err.Error(), "diverges") {
				t.Errorf("got error %v, want divergence", err)
			}
		})
	}
	// A negative cycle off every successful path does not matter.
	g := mustRead(t, "0 1 1 1 1\n0 2 1 1 1\n2 2 1 1 -1\n1 0\n")
	if _, _, err := Push(g, Tropical, false); err != nil {
		t.Errorf("dead negative cycle: %v", err)
	}
}

func TestPushEmpty(t *testing.T) {
	for _, g := range []*Graph{{}, mustRead(t, "0 1 1 1 1\n")} {
		p, m, err := Push(g, Log, false)
		if err != nil || p.NumStates() != g.NumStates() || m.NumOutputs() != p.NumWeights() {
			t.Errorf("%v: got %v, %v", g, p, err)
		}
	}
}

// randomPushGraph returns a random connected graph, acyclic or not.
func randomPushGraph(rng *rand.Rand, cyclic bool) *Graph {
	for {
		g := randomGraph(rng, randomOptions{
			States: 2 + rng.IntN(7), ArcsPerState: 2, Labels: 3, Epsilon: 0.1,
			Acyclic: !cyclic, MinW: 0.5, MaxW: 4, FinalProb: 0.3,
		})
		if g = connectForTest(g); g.NumStates() > 0 {
			return g
		}
	}
}

func TestPushGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 12 {
		g := randomPushGraph(rng, i%2 == 1)
		for _, sr := range bothSemirings {
			for _, toFinal := range []bool{false, true} {
				p, m, err := Push(g, sr, toFinal)
				if err != nil {
					continue // a divergent log cycle
				}
				t.Run(fmt.Sprint(i, sr, toFinal), func(t *testing.T) {
					checkOpMap(t, rng, g, p, m, func(h *Graph) (*Graph, *Map, error) { return Push(h, sr, toFinal) })
				})
			}
		}
	}
}

// comparePushed compares our pushed graph with OpenFst's, arc by arc.
func comparePushed(t *testing.T, ours, theirs *Graph, tol float64) {
	t.Helper()
	if !sameShape(ours, theirs) {
		t.Fatalf("structure differs: %s", structureDiff(ours, theirs))
	}
	ow, tw := ours.Weights(), theirs.Weights()
	for i := range ow {
		if !closeTol(ow[i], tw[i], tol) {
			t.Fatalf("weight %d: ours %v, OpenFst %v\nours\n%s\nOpenFst\n%s", i, ow[i], tw[i], TextString(ours), TextString(theirs))
		}
	}
}

func TestPushOpenFst(t *testing.T) {
	haveOpenFst(t)
	for _, sr := range bothSemirings {
		for _, toFinal := range []bool{false, true} {
			t.Run(fmt.Sprint(sr, toFinal), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(11, uint64(sr)))
				flags := "--push_weights --delta=1e-7"
				if toFinal {
					flags += " --to_final"
				}
				tol := 1e-6
				if sr == Log {
					tol = 2e-5 // OpenFst computes in float32
				}
				// Many graphs in one bundle: the parts are pushed independently,
				// apart from the total weight of each, which goes to the
				// bundle's start.
				var gs []*Graph
				for len(gs) < 60 {
					g := gridWeights(randomPushGraph(rng, len(gs)%2 == 1), 1.0/64)
					if _, _, err := Push(g, sr, toFinal); err == nil {
						gs = append(gs, g)
					}
				}
				b, _ := bundle(gs)
				ours, _, err := Push(b, sr, toFinal)
				if err != nil {
					t.Fatal(err)
				}
				theirs, _ := openFst(t, arcType(sr), keepNumbering(sr)+"fstpush "+flags+" in0.fst out.fst", b)
				comparePushed(t, ours, theirs, tol)
				// Single graphs, for the handling of the total weight, with
				// and without a cycle through the start state.
				var cyclic, acyclic int
				for _, g := range gs {
					c := startOnCycle(g)
					if c && cyclic == 3 || !c && acyclic == 3 {
						continue
					}
					if c {
						cyclic++
					} else {
						acyclic++
					}
					ours, _, err := Push(g, sr, toFinal)
					if err != nil {
						t.Fatal(err)
					}
					theirs, _ := openFst(t, arcType(sr), keepNumbering(sr)+"fstpush "+flags+" in0.fst out.fst", g)
					comparePushed(t, ours, theirs, tol)
				}
				if cyclic == 0 || acyclic == 0 {
					t.Errorf("%d graphs with a cycle through the start, %d without", cyclic, acyclic)
				}
			})
		}
	}
}

// structureDiff describes the first structural difference of g and h.
func structureDiff(g, h *Graph) string {
	if g.NumStates() != h.NumStates() || g.NumArcs() != h.NumArcs() || g.Start() != h.Start() {
		return fmt.Sprintf("%v vs %v", g, h)
	}
	for a := range g.NumArcs() {
		if x, y := g.Arc(a), h.Arc(a); x.Src != y.Src || x.Dst != y.Dst || x.ILabel != y.ILabel || x.OLabel != y.OLabel {
			return fmt.Sprintf("arc %d: %+v vs %+v", a, x, y)
		}
	}
	for s := range g.NumStates() {
		if g.IsFinal(s) != h.IsFinal(s) {
			return fmt.Sprintf("state %d: final %v vs %v", s, g.Final(s), h.Final(s))
		}
	}
	return "none"
}

// startOnCycle reports whether a path leads from g's start back to it.
func startOnCycle(g *Graph) bool {
	f := newFlowGraph(g.NumStates(), g.src, g.dst, g.weight, nil)
	return f.cyclic[f.comp[g.Start()]]
}
