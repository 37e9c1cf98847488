package graphs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Tiny graphs of the hand-made tests. graphA's start state lies on a cycle;
// graphB's does not.
const (
	graphA = "0 1 1 1 0.5\n1 0 2 2 0.25\n1 1.5\n"
	graphB = "0 1 3 4 1\n1 2\n"
)

// The expected texts were produced by OpenFst 1.7.9 (fstunion, fstconcat,
// fstclosure; fstprint), with weights written as TextString does.
func TestRationalExact(t *testing.T) {
	a, b := mustRead(t, graphA), mustRead(t, graphB)
	empty := &Graph{}
	for _, tc := range []struct {
		name string
		op   func() (*Graph, *Map)
		want string
	}{
		{"union new start", func() (*Graph, *Map) { return Union(a, b) },
			"4\t0\t0\t0\n4\t2\t0\t0\n0\t1\t1\t1\t0.5\n1\t0\t2\t2\t0.25\n1\t1.5\n2\t3\t3\t4\t1\n3\t2\n"},
		{"union acyclic start", func() (*Graph, *Map) { return Union(b, a) },
			"0\t1\t3\t4\t1\n0\t2\t0\t0\n1\t2\n2\t3\t1\t1\t0.5\n3\t2\t2\t2\t0.25\n3\t1.5\n"},
		{"union three", func() (*Graph, *Map) { return Union(b, empty, a, b) },
			"0\t1\t3\t4\t1\n0\t2\t0\t0\n0\t4\t0\t0\n1\t2\n2\t3\t1\t1\t0.5\n3\t2\t2\t2\t0.25\n3\t1.5\n4\t5\t3\t4\t1\n5\t2\n"},
		{"union empty first", func() (*Graph, *Map) { return Union(empty, a) }, graphAText},
		{"union empty second", func() (*Graph, *Map) { return Union(a, empty) }, graphAText},
		{"union none", func() (*Graph, *Map) { return Union() }, ""},
		{"concat", func() (*Graph, *Map) { return Concat(a, b) },
			"0\t1\t1\t1\t0.5\n1\t0\t2\t2\t0.25\n1\t2\t0\t0\t1.5\n2\t3\t3\t4\t1\n3\t2\n"},
		{"concat three", func() (*Graph, *Map) { return Concat(b, a, b) },
			"0\t1\t3\t4\t1\n1\t2\t0\t0\t2\n2\t3\t1\t1\t0.5\n3\t2\t2\t2\t0.25\n3\t4\t0\t0\t1.5\n4\t5\t3\t4\t1\n5\t2\n"},
		{"concat empty second", func() (*Graph, *Map) { return Concat(a, empty) },
			"0\t1\t1\t1\t0.5\n1\t0\t2\t2\t0.25\n"},
		{"concat empty middle", func() (*Graph, *Map) { return Concat(a, empty, b) },
			"0\t1\t1\t1\t0.5\n1\t0\t2\t2\t0.25\n2\t3\t3\t4\t1\n3\t2\n"},
		{"concat empty first", func() (*Graph, *Map) { return Concat(empty, a) }, ""},
		{"concat none", func() (*Graph, *Map) { return Concat() }, "0\n"},
		{"star", func() (*Graph, *Map) { return Closure(a, ClosureStar) },
			"2\t0\t0\t0\n2\n0\t1\t1\t1\t0.5\n1\t0\t2\t2\t0.25\n1\t0\t0\t0\t1.5\n1\t1.5\n"},
		{"plus", func() (*Graph, *Map) { return Closure(a, ClosurePlus) },
			"0\t1\t1\t1\t0.5\n1\t0\t2\t2\t0.25\n1\t0\t0\t0\t1.5\n1\t1.5\n"},
		{"star empty", func() (*Graph, *Map) { return Closure(empty, ClosureStar) }, "0\n"},
		{"plus empty", func() (*Graph, *Map) { return Closure(empty, ClosurePlus) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, m := tc.op()
			if got := TextString(g); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if err := g.Validate(); err != nil {
				t.Error(err)
			}
			if m.NumOutputs() != g.NumWeights() {
				t.Errorf("map has %d outputs, graph %d weights", m.NumOutputs(), g.NumWeights())
			}
			checkProps(t, g)
		})
	}
}

const graphAText = "0\t1\t1\t1\t0.5\n1\t0\t2\t2\t0.25\n1\t1.5\n"

// TestConcatEmptyKeepsStates checks OpenFst's behaviour that concatenating
// with an empty graph keeps the states of the first graph but no finals.
func TestConcatEmptyKeepsStates(t *testing.T) {
	a := mustRead(t, graphA)
	g, _ := Concat(a, &Graph{})
	if g.NumStates() != 2 || g.Start() != 0 || countFinals(g) != 0 {
		t.Errorf("got %v with %d finals", g, countFinals(g))
	}
	g, _ = Reverse(&Graph{})
	if g.NumStates() != 1 || g.IsFinal(0) || g.NumArcs() != 0 {
		t.Errorf("reverse of empty: %v", g)
	}
}

func TestLinear(t *testing.T) {
	g, err := Linear([]int32{3, 0, 5}, []int32{1, 2, 0}, []float64{0.5, 0, -1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := TextString(g), "0\t1\t3\t1\t0.5\n1\t2\t0\t2\n2\t3\t5\t0\t-1\n3\n"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	checkProps(t, g)
	g, err = LinearAcceptor([]int32{7, 8})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := TextString(g), "0\t1\t7\t7\n1\t2\t8\t8\n2\n"; got != want || !g.IsAcceptor() {
		t.Errorf("got %q want %q", got, want)
	}
	checkProps(t, g)
	g, err = LinearAcceptor(nil)
	if err != nil || TextString(g) != "0\n" {
		t.Errorf("empty string: %q %v", TextString(g), err)
	}
	for _, tc := range []struct {
		name      string
		il, ol    []int32
		w         []float64
		wantError string
	}{
		{"negative input", []int32{1, -2}, nil, nil, "input label 1 is negative"},
		{"negative output", []int32{1, 2}, []int32{0, -1}, nil, "output label 1 is negative"},
		{"output length", []int32{1, 2}, []int32{0}, nil, "1 output labels for 2"},
		{"energy length", []int32{1, 2}, nil, []float64{1}, "1 energies for 2"},
		{"nan", []int32{1}, nil, []float64{math.NaN()}, "energy 0 is NaN"},
		{"inf", []int32{1}, nil, []float64{math.Inf(1)}, "energy 0 is +Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Linear(tc.il, tc.ol, tc.w)
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("error %v, want %q", err, tc.wantError)
			}
		})
	}
}

// checkProps checks that the properties of g are those computeProps finds.
func checkProps(t *testing.T, g *Graph) {
	t.Helper()
	h := *g
	h.computeProps()
	if h.props != g.props {
		t.Errorf("properties %b, want %b", g.props, h.props)
	}
}

// checkMap checks the Map m of an operation op on inputs whose output is
// out: every output weight is the sum of its references' input weights
// times their coefficients (copies: constant weights are 0 or +Inf), and
// Map.Backward agrees with finite differences of a random linear function
// of the output weights.
func checkMap(t *testing.T, rng *rand.Rand, inputs []*Graph, out *Graph, m *Map, op func([]*Graph) *Graph) {
	t.Helper()
	if m.NumInputs() != len(inputs) || m.NumOutputs() != out.NumWeights() {
		t.Fatalf("map %d -> %d, want %d -> %d", m.NumInputs(), m.NumOutputs(), len(inputs), out.NumWeights())
	}
	w := out.Weights()
	c := make([]float64, len(w))
	for j := range w {
		var sum float64
		row := m.Row(j)
		for _, r := range row {
			sum += r.Coef * inputs[r.Input].Weights()[r.Index]
		}
		if math.IsInf(w[j], 1) {
			if len(row) != 0 {
				t.Errorf("weight %d is +Inf but has references %v", j, row)
			}
			continue
		}
		if sum != w[j] {
			t.Errorf("weight %d = %v, its references %v give %v", j, w[j], row, sum)
		}
		c[j] = rng.NormFloat64()
	}
	dot := func(g *Graph) float64 {
		var s float64
		for j, x := range g.Weights() {
			if c[j] != 0 {
				s += c[j] * x
			}
		}
		return s
	}
	grads := make([][]float64, len(inputs))
	for i, g := range inputs {
		grads[i] = make([]float64, g.NumWeights())
	}
	if err := m.Backward(c, grads...); err != nil {
		t.Fatal(err)
	}
	for i := range inputs {
		checkGradient(t, inputs[i], grads[i], func(gi *Graph) float64 {
			in := slices.Clone(inputs)
			in[i] = gi
			return dot(op(in))
		})
	}
}

// rationalOptions returns random graph shapes for the rational tests, with
// energies large enough that log-semiring sums over cycles converge.
func rationalOptions(rng *rand.Rand) randomOptions {
	return randomOptions{
		States:       1 + rng.IntN(6),
		ArcsPerState: 1 + rng.IntN(2),
		Labels:       3,
		Epsilon:      0.2,
		Acyclic:      rng.IntN(2) == 0,
		Acceptor:     rng.IntN(2) == 0,
		MinW:         2,
		MaxW:         4,
		FinalProb:    0.3,
	}
}

// writableGraph returns a random graph whose start state has an arc or is
// final, so that the AT&T text format (whose first line names the start
// state) can express it.
func writableGraph(rng *rand.Rand, o randomOptions) *Graph {
	for {
		g := randomGraph(rng, o)
		if g.NumArcsOf(g.Start()) > 0 || g.IsFinal(g.Start()) {
			return g
		}
	}
}

func TestRationalMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 60 {
		a := writableGraph(rng, rationalOptions(rng))
		b := writableGraph(rng, rationalOptions(rng))
		c := writableGraph(rng, rationalOptions(rng))
		ops := []struct {
			name string
			in   []*Graph
			op   func([]*Graph) (*Graph, *Map)
		}{
			{"union", []*Graph{a, b, c}, func(g []*Graph) (*Graph, *Map) { return Union(g...) }},
			{"concat", []*Graph{a, b, c}, func(g []*Graph) (*Graph, *Map) { return Concat(g...) }},
			{"star", []*Graph{a}, func(g []*Graph) (*Graph, *Map) { return Closure(g[0], ClosureStar) }},
			{"plus", []*Graph{b}, func(g []*Graph) (*Graph, *Map) { return Closure(g[0], ClosurePlus) }},
			{"reverse", []*Graph{c}, func(g []*Graph) (*Graph, *Map) { return Reverse(g[0]) }},
			{"project", []*Graph{a}, func(g []*Graph) (*Graph, *Map) { return Project(g[0], ProjectOutput) }},
			{"invert", []*Graph{b}, func(g []*Graph) (*Graph, *Map) { return Invert(g[0]) }},
			{"relabel", []*Graph{c}, func(g []*Graph) (*Graph, *Map) {
				h, m, err := Relabel(g[0], map[int32]int32{1: 2, 2: 1}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return h, m
			}},
		}
		for _, o := range ops {
			t.Run(fmt.Sprintf("%s/%d", o.name, i), func(t *testing.T) {
				out, m := o.op(o.in)
				checkProps(t, out)
				if err := out.Validate(); err != nil {
					t.Fatal(err)
				}
				checkMap(t, rng, o.in, out, m, func(g []*Graph) *Graph { h, _ := o.op(g); return h })
			})
		}
	}
}

// relation returns the weighted relation of an acyclic graph: for each pair
// of input and output strings (epsilons left out), the log-semiring sum of
// the energies of the paths that read and write them.
func relation(t *testing.T, g *Graph) map[string]float64 {
	t.Helper()
	rel := map[string]float64{}
	if g.NumStates() == 0 {
		return rel
	}
	var in, out []int32
	var walk func(s int, e float64, depth int)
	walk = func(s int, e float64, depth int) {
		if depth > g.NumStates() {
			t.Fatal("relation: graph has a cycle")
		}
		if g.IsFinal(s) {
			k := fmt.Sprint(in, out)
			if old, ok := rel[k]; ok {
				rel[k] = logAdd(old, e+g.Final(s))
			} else {
				rel[k] = e + g.Final(s)
			}
		}
		lo, hi := g.Arcs(s)
		for a := lo; a < hi; a++ {
			ni, no := len(in), len(out)
			if l := g.ILabel(a); l != Epsilon {
				in = append(in, l)
			}
			if l := g.OLabel(a); l != Epsilon {
				out = append(out, l)
			}
			walk(g.Dst(a), e+g.Weight(a), depth+1)
			in, out = in[:ni], out[:no]
		}
	}
	walk(g.Start(), 0, 0)
	return rel
}

func sameRelation(t *testing.T, got, want map[string]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("relation has %d pairs, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
		return
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !closeEnough(g, w) {
			t.Errorf("pair %s: energy %v, want %v", k, g, w)
		}
	}
}

// parseRelKey splits a relation key back into its strings.
func parseRelKey(k string) (in, out []string) {
	k = strings.TrimPrefix(k, "[")
	k = strings.TrimSuffix(k, "]")
	parts := strings.SplitN(k, "] [", 2)
	return strings.Fields(parts[0]), strings.Fields(parts[1])
}

func relKey(in, out []string) string {
	return "[" + strings.Join(in, " ") + "] [" + strings.Join(out, " ") + "]"
}

// TestRationalRelations checks the weighted relations of Union and Concat
// of acyclic graphs against those of their inputs.
func TestRationalRelations(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for range 100 {
		o := rationalOptions(rng)
		o.Acyclic = true
		o.MinW, o.MaxW = -1, 2
		a, b := randomGraph(rng, o), randomGraph(rng, o)
		ra, rb := relation(t, a), relation(t, b)

		u, _ := Union(a, b)
		want := map[string]float64{}
		for _, r := range []map[string]float64{ra, rb} {
			for k, e := range r {
				if old, ok := want[k]; ok {
					e = logAdd(old, e)
				}
				want[k] = e
			}
		}
		sameRelation(t, relation(t, u), want)

		c, _ := Concat(a, b)
		want = map[string]float64{}
		for ka, ea := range ra {
			ia, oa := parseRelKey(ka)
			for kb, eb := range rb {
				ib, ob := parseRelKey(kb)
				k := relKey(append(slices.Clone(ia), ib...), append(slices.Clone(oa), ob...))
				e := ea + eb
				if old, ok := want[k]; ok {
					e = logAdd(old, e)
				}
				want[k] = e
			}
		}
		sameRelation(t, relation(t, c), want)

		r, _ := Reverse(a)
		want = map[string]float64{}
		for k, e := range ra {
			in, out := parseRelKey(k)
			slices.Reverse(in)
			slices.Reverse(out)
			want[relKey(in, out)] = e
		}
		sameRelation(t, relation(t, r), want)

		for _, typ := range []ProjectType{ProjectInput, ProjectOutput} {
			p, _ := Project(a, typ)
			want = map[string]float64{}
			for k, e := range ra {
				in, out := parseRelKey(k)
				if typ == ProjectOutput {
					in = out
				}
				k = relKey(in, in)
				if old, ok := want[k]; ok {
					e = logAdd(old, e)
				}
				want[k] = e
			}
			sameRelation(t, relation(t, p), want)
		}

		v, _ := Invert(a)
		want = map[string]float64{}
		for k, e := range ra {
			in, out := parseRelKey(k)
			want[relKey(out, in)] = e
		}
		sameRelation(t, relation(t, v), want)
	}
}

// totalLog returns the log-semiring total energy of g (the free energy of
// all its successful paths), solving the linear system of path
// probabilities (I - A) x = final; NaN when the sum diverges.
func totalLog(g *Graph) float64 {
	n := g.NumStates()
	if n == 0 {
		return Inf
	}
	a := make([][]float64, n)
	for s := range a {
		a[s] = make([]float64, n+1)
		a[s][s] = 1
		a[s][n] = math.Exp(-g.Final(s))
	}
	for e := range g.NumArcs() {
		a[g.Src(e)][g.Dst(e)] -= math.Exp(-g.Weight(e))
	}
	if spectralRadius(g) > 0.95 {
		return math.NaN()
	}
	// Gaussian elimination with partial pivoting.
	for col := range n {
		p := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		for r := range n {
			if r == col || a[r][col] == 0 {
				continue
			}
			f := a[r][col] / a[col][col]
			for k := col; k <= n; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	x := a[g.Start()][n] / a[g.Start()][g.Start()]
	if x < 0 {
		return math.NaN()
	}
	return -math.Log(x)
}

// spectralRadius estimates the spectral radius of the matrix of arc
// probabilities of g by power iteration (an upper estimate).
func spectralRadius(g *Graph) float64 {
	n := g.NumStates()
	y := make([]float64, n)
	for s := range y {
		y[s] = 1
	}
	const k = 64
	logNorm := 0.0
	for range k {
		z := make([]float64, n)
		for e := range g.NumArcs() {
			z[g.Src(e)] += math.Exp(-g.Weight(e)) * y[g.Dst(e)]
		}
		m := 0.0
		for _, v := range z {
			m = max(m, v)
		}
		if m == 0 {
			return 0
		}
		for s := range z {
			z[s] /= m
		}
		logNorm += math.Log(m)
		y = z
	}
	return math.Exp(logNorm / k)
}

// fstGroup is a batch item: inputs compiled to in0.fst, in1.fst, ... of
// a directory of its own, and OpenFst commands run there, each writing its
// result FST to stdout.
type fstGroup struct {
	inputs []*Graph
	ops    []fstOp
}

// fstOp is one command of a group, and whether to compute the reverse
// shortest distances of its result.
type fstOp struct {
	cmd  string
	dist bool
}

// fstResult is what an operation left: its result as printed by fstprint,
// and, if asked for, the reverse shortest distances of its states in the
// log semiring.
type fstResult struct {
	g    *Graph
	dist map[int]float64
}

// runFstBatch runs the groups with log64 arcs (double precision), in two
// shells running side by side, since OpenFst's start-up time dominates,
// and returns the results of their operations in order.
func runFstBatch(t *testing.T, groups []fstGroup) [][]fstResult {
	t.Helper()
	dir := t.TempDir()
	var scripts [2]strings.Builder
	for i, grp := range groups {
		gd := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(gd, 0o755); err != nil {
			t.Fatal(err)
		}
		sc := &scripts[i%2]
		fmt.Fprintf(sc, "cd %s\n", gd)
		for k, g := range grp.inputs {
			if err := os.WriteFile(filepath.Join(gd, fmt.Sprintf("in%d.txt", k)), []byte(TextString(g)), 0o644); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(sc, "fstcompile --keep_state_numbering --arc_type=log64 in%d.txt in%d.fst\n", k, k)
		}
		for k, op := range grp.ops {
			fmt.Fprintf(sc, "%s > out%d.fst\nfstprint out%d.fst > out%d.txt\n", op.cmd, k, k, k)
			if op.dist {
				fmt.Fprintf(sc, "fstshortestdistance --reverse --delta=1e-12 out%d.fst > dist%d.txt\n", k, k)
			}
		}
	}
	errs := make(chan error, 2)
	for _, sc := range scripts {
		go func() {
			cmd := exec.Command("sh", "-e", "-c", sc.String())
			out, err := cmd.CombinedOutput()
			if err != nil {
				err = fmt.Errorf("%v\n%s", err, out)
			}
			errs <- err
		}()
	}
	for range scripts {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	res := make([][]fstResult, len(groups))
	for i, grp := range groups {
		gd := filepath.Join(dir, strconv.Itoa(i))
		res[i] = make([]fstResult, len(grp.ops))
		for k, op := range grp.ops {
			r := &res[i][k]
			txt, err := os.ReadFile(filepath.Join(gd, fmt.Sprintf("out%d.txt", k)))
			if err != nil {
				t.Fatal(err)
			}
			if r.g, err = ReadText(strings.NewReader(string(txt)), "openfst output", nil); err != nil {
				t.Fatal(err)
			}
			if !op.dist {
				continue
			}
			txt, err = os.ReadFile(filepath.Join(gd, fmt.Sprintf("dist%d.txt", k)))
			if err != nil {
				t.Fatal(err)
			}
			r.dist = map[int]float64{}
			for _, line := range strings.Split(strings.TrimSpace(string(txt)), "\n") {
				f := strings.Fields(line)
				if len(f) != 2 {
					continue
				}
				s, _ := strconv.Atoi(f[0])
				d, err := parseEnergy([]byte(f[1]))
				if err != nil {
					t.Fatalf("distance %q: %v", line, err)
				}
				r.dist[s] = d
			}
		}
	}
	return res
}

// sameStructure reports an error when ours and theirs (OpenFst's output,
// parsed from fstprint) differ: states, start, the arcs of each state in
// order, and final energies. States that fstprint cannot show (no arcs, not
// final, highest numbers) may be missing from theirs.
func sameStructure(t *testing.T, ours, theirs *Graph) {
	t.Helper()
	if theirs.NumStates() > ours.NumStates() {
		t.Fatalf("OpenFst has %d states, we have %d\nours:\n%s\ntheirs:\n%s", theirs.NumStates(), ours.NumStates(), TextString(ours), TextString(theirs))
	}
	if theirs.NumStates() > 0 && theirs.Start() != ours.Start() {
		t.Fatalf("start %d, OpenFst %d", ours.Start(), theirs.Start())
	}
	for s := range ours.NumStates() {
		if s >= theirs.NumStates() {
			if ours.NumArcsOf(s) != 0 || ours.IsFinal(s) {
				t.Fatalf("state %d missing from OpenFst's output", s)
			}
			continue
		}
		if !closeEnough(ours.Final(s), theirs.Final(s)) {
			t.Errorf("state %d: final %v, OpenFst %v", s, ours.Final(s), theirs.Final(s))
		}
		lo, hi := ours.Arcs(s)
		tlo, thi := theirs.Arcs(s)
		if hi-lo != thi-tlo {
			t.Fatalf("state %d: %d arcs, OpenFst %d\nours:\n%s\ntheirs:\n%s", s, hi-lo, thi-tlo, TextString(ours), TextString(theirs))
		}
		for k := range hi - lo {
			a, b := ours.Arc(lo+k), theirs.Arc(tlo+k)
			if a.Dst != b.Dst || a.ILabel != b.ILabel || a.OLabel != b.OLabel || !closeEnough(a.Weight, b.Weight) {
				t.Errorf("state %d arc %d: %+v, OpenFst %+v", s, k, a, b)
			}
		}
	}
}

// topSorted reports whether every arc of g goes to a higher state.
func topSorted(g *Graph) bool {
	for a := range g.NumArcs() {
		if g.Dst(a) <= g.Src(a) {
			return false
		}
	}
	return true
}

// TestRationalVsOpenFst compares Union, Concat, Closure, Reverse, Project
// and Invert with OpenFst's fstunion, fstconcat, fstclosure, fstreverse,
// fstproject and fstinvert on random graphs: the result graphs must be the
// same (state numbers and arc order included), and for a third of them (and
// every union) the log-semiring total energy of ours (by a dense linear
// solve) must equal OpenFst's reverse shortest distance of the start state
// of its result.
func TestRationalVsOpenFst(t *testing.T) {
	haveOpenFst(t)
	rng := rand.New(rand.NewPCG(1, 2))
	type cse struct {
		name string
		ours *Graph
		// noStructure skips the comparison of structure, for unions where
		// OpenFst adds a new start state that we do not need (see below).
		noStructure bool
	}
	var groups []fstGroup
	var cases [][]cse
	nGroups := 24
	if testing.Short() {
		nGroups = 4
	}
	for i := range nGroups {
		a := writableGraph(rng, rationalOptions(rng))
		b := writableGraph(rng, rationalOptions(rng))
		if i == 0 {
			b = &Graph{} // the empty graph
		}
		u, _ := Union(a, b)
		c, _ := Concat(a, b)
		star, _ := Closure(a, ClosureStar)
		plus, _ := Closure(b, ClosurePlus)
		r, _ := Reverse(a)
		// fstunion adds a new start state unless its first argument is
		// known to be initial-acyclic, which OpenFst 1.7.9 knows only of
		// topologically sorted graphs; we add one only when an arc enters
		// the start state. The two agree on the rest.
		unionDiffers := b.NumStates() > 0 && !topSorted(a) != startEntered(a)
		groups = append(groups, fstGroup{
			inputs: []*Graph{a, b},
			ops: []fstOp{
				{"fstunion in0.fst in1.fst", true},
				{"fstconcat in0.fst in1.fst", i%3 == 0},
				{"fstclosure in0.fst", i%3 == 1},
				{"fstclosure --closure_plus in1.fst", i%3 == 2},
				{"fstreverse in0.fst", i%3 == 0},
			},
		})
		cases = append(cases, []cse{{"union", u, unionDiffers}, {"concat", c, false},
			{"star", star, false}, {"plus", plus, false}, {"reverse", r, false}})
	}
	// Project and Invert copy labels arc by arc: two larger graphs cover
	// them.
	for range 2 {
		o := rationalOptions(rng)
		o.States, o.Acceptor = 40, false
		a := writableGraph(rng, o)
		pi, _ := Project(a, ProjectInput)
		po, _ := Project(a, ProjectOutput)
		v, _ := Invert(a)
		groups = append(groups, fstGroup{
			inputs: []*Graph{a},
			ops: []fstOp{
				{"fstproject --project_type=input in0.fst", false},
				{"fstproject --project_type=output in0.fst", false},
				{"fstinvert in0.fst", false},
			},
		})
		cases = append(cases, []cse{{"project input", pi, false}, {"project output", po, false}, {"invert", v, false}})
	}
	res := runFstBatch(t, groups)
	checked := 0
	for i, grp := range groups {
		for k, c := range cases[i] {
			t.Run(fmt.Sprintf("%s/%d", c.name, i), func(t *testing.T) {
				r := res[i][k]
				if !c.noStructure {
					sameStructure(t, c.ours, r.g)
				}
				if !grp.ops[k].dist {
					return
				}
				want := Inf
				if r.g.NumStates() > 0 {
					if d, ok := r.dist[r.g.Start()]; ok {
						want = d
					}
				}
				got := totalLog(c.ours)
				if math.IsNaN(got) {
					t.Fatalf("total diverges\n%s", TextString(c.ours))
				}
				checked++
				if !closeEnough(got, want) {
					t.Errorf("total %v, OpenFst %v\n%s", got, want, TextString(c.ours))
				}
			})
		}
	}
	results := 0
	for _, grp := range groups {
		results += len(grp.ops)
	}
	t.Logf("%d results compared with OpenFst, %d totals", results, checked)
}
