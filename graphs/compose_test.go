package graphs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestComposeHandMade(t *testing.T) {
	for _, tc := range []struct {
		name      string
		a, b      string
		want      string  // TextString of the result
		logTotal  float64 // free energy of the result
		tropTotal float64 // lowest energy of the result
	}{{
		name:      "transducers",
		a:         "0 1 1 2 0.5\n0 1 1 3 1\n1 2 4 4 0.25\n2 0.125\n",
		b:         "0 1 2 5 1\n0 1 3 6 2\n1 1 4 7 0.5\n1 2\n",
		want:      "0\t1\t1\t5\t1.5\n0\t1\t1\t6\t3\n1\t2\t4\t7\t0.75\n2\t2.125\n",
		logTotal:  -math.Log(math.Exp(-4.375) + math.Exp(-5.875)),
		tropTotal: 4.375,
	}, {
		// a writes epsilon, b reads epsilon: a naive composition
		// counts this pair of paths three times (a first, b first,
		// both at once); the filter keeps a first.
		name:      "epsilons on both sides",
		a:         "0 1 1 0 1\n1\n",
		b:         "0 1 0 2 2\n1\n",
		want:      "0\t1\t1\t0\t1\n1\t2\t0\t2\t2\n2\n",
		logTotal:  3,
		tropTotal: 3,
	}, {
		// Epsilon moves on both sides around a matched symbol, with
		// a final energy on each side.
		name: "epsilons around a match",
		a:    "0 1 1 0 1\n1 2 2 3 1\n2 3 4 0 1\n3 0.5\n",
		b:    "0 1 0 5 2\n1 2 3 6 2\n2 3 0 7 2\n3 0.25\n",
		want: "0\t1\t1\t0\t1\n1\t2\t0\t5\t2\n2\t3\t2\t6\t3\n3\t4\t4\t0\t1\n" +
			"4\t5\t0\t7\t2\n5\t0.75\n",
		logTotal:  9.75,
		tropTotal: 9.75,
	}, {
		// Epsilon loops: a's epsilon-output loop and b's
		// epsilon-input loop combine into one path per pair of
		// loop counts (i, j), in total 1/((1-e^-1)(1-e^-2)).
		name:      "epsilon loops",
		a:         "0 0 1 0 1\n0\n",
		b:         "0 0 0 2 2\n0\n",
		want:      "0\t1\t0\t2\t2\n0\t0\t1\t0\t1\n0\n1\t1\t0\t2\t2\n1\n",
		logTotal:  math.Log((1 - math.Exp(-1)) * (1 - math.Exp(-2))),
		tropTotal: 0,
	}, {
		name:      "no common string",
		a:         "0 1 1 1\n1\n",
		b:         "0 1 2 2\n1\n",
		want:      "",
		logTotal:  math.Inf(1),
		tropTotal: math.Inf(1),
	}, {
		// State (1, 1) is reachable but cannot reach a final state.
		name:      "trimmed",
		a:         "0 1 1 1\n0 2 2 2 1\n1 3 3 3\n2\n",
		b:         "0 1 1 1\n0 2 2 2 1\n1 3 4 4\n2\n",
		want:      "0\t1\t2\t2\t2\n1\n",
		logTotal:  2,
		tropTotal: 2,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := mustRead(t, tc.a), mustRead(t, tc.b)
			g, m, err := Compose(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if got := TextString(g); got != tc.want {
				t.Errorf("result:\n%s\nwant:\n%s", got, tc.want)
			}
			if got := linsolveLogTotal(g, nil); !closeEnough(got, tc.logTotal) {
				t.Errorf("free energy %v, want %v", got, tc.logTotal)
			}
			if got := bellmanFordTotal(g); !closeEnough(got, tc.tropTotal) {
				t.Errorf("lowest energy %v, want %v", got, tc.tropTotal)
			}
			checkMapWeights(t, g, m, a, b)
			checkProps(t, g)
		})
	}
}

func TestComposeStartAndEmpty(t *testing.T) {
	a := mustRead(t, "2 0 1 1 0.5\n0 1 2 2\n1\n")
	b := mustRead(t, "1 0 1 3\n0 1 2 4 0.25\n1 0.125\n")
	g, _, err := Compose(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := "0\t1\t1\t3\t0.5\n1\t2\t2\t4\t0.25\n2\t0.125\n"; TextString(g) != want {
		t.Errorf("got\n%s\nwant\n%s", TextString(g), want)
	}
	for _, pair := range [][2]*Graph{{a, {}}, {{}, b}, {emptyGraph(), emptyGraph()}} {
		g, m, err := Compose(pair[0], pair[1])
		if err != nil {
			t.Fatal(err)
		}
		if g.NumStates() != 0 || g.Start() != NoState || m.NumOutputs() != 0 || m.NumInputs() != 2 {
			t.Errorf("composition with an empty graph: %v, map of %d weights", g, m.NumOutputs())
		}
	}
	if _, _, err := Compose(nil, b); err == nil {
		t.Error("Compose(nil, b): no error")
	}
}

func TestIntersect(t *testing.T) {
	a := mustRead(t, "0 1 1 1 1\n0 1 2 2 2\n1 2 0 0 0.5\n2\n")
	b := mustRead(t, "0 0 1 1 0.25\n0 0 2 2 0.5\n0 1\n")
	g, m, err := Intersect(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !g.IsAcceptor() {
		t.Error("intersection of acceptors is not an acceptor")
	}
	want := "0\t1\t1\t1\t1.25\n0\t1\t2\t2\t2.5\n1\t2\t0\t0\t0.5\n2\t1\n"
	if got := TextString(g); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	checkMapWeights(t, g, m, a, b)
	tr := mustRead(t, "0 1 1 2\n1\n")
	if _, _, err := Intersect(tr, b); err == nil || !strings.Contains(err.Error(), "first graph is not an acceptor") {
		t.Errorf("Intersect(transducer, acceptor): error %v", err)
	}
	if _, _, err := Intersect(a, tr); err == nil || !strings.Contains(err.Error(), "second graph is not an acceptor") {
		t.Errorf("Intersect(acceptor, transducer): error %v", err)
	}
}

// TestComposeSortedInputs checks that the four combinations of sorted and
// unsorted inputs (which take different matching loops) give the same
// weighted relation and Map.
func TestComposeSortedInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for range 50 {
		a := quantized(randomGraph(rng, randomOptions{States: 6, ArcsPerState: 4, Labels: 3, Epsilon: 0.2,
			MinW: 2, MaxW: 4, FinalProb: 0.3}))
		b := quantized(randomGraph(rng, randomOptions{States: 6, ArcsPerState: 1, Labels: 3, Epsilon: 0.2,
			MinW: 2, MaxW: 4, FinalProb: 0.3}))
		for _, in := range [][2]*Graph{{a, b}, {b, a}} {
			x, y := in[0], in[1]
			want, _, err := Compose(x, y)
			if err != nil {
				t.Fatal(err)
			}
			sx, _ := ArcSort(x, ByOLabel)
			sy, _ := ArcSort(y, ByILabel)
			for _, sorted := range [][2]*Graph{{sx, y}, {x, sy}, {sx, sy}} {
				g, m, err := Compose(sorted[0], sorted[1])
				if err != nil {
					t.Fatal(err)
				}
				if g.NumStates() != want.NumStates() || g.NumArcs() != want.NumArcs() {
					t.Fatalf("%v, want %v", g, want)
				}
				if x, y := linsolveLogTotal(g, nil), linsolveLogTotal(want, nil); !closeEnough(x, y) {
					t.Fatalf("free energy %v, want %v", x, y)
				}
				checkMapWeights(t, g, m, sorted[0], sorted[1])
			}
		}
	}
}

// TestComposeOpenFst compares Compose with OpenFst's fstcompose on random
// pairs of graphs, cyclic and acyclic, acceptors and transducers, with
// epsilons on both sides. Both trim their result and use the same epsilon
// filter, so the results must have the same numbers of states and arcs, and
// their weighted relations must agree: the free energy, the lowest energy,
// and the free energy with random energies added per input and output label
// (which depends on the strings of the paths) are computed exactly on both
// results and compared.
//
// OpenFst composes all pairs at once (see markedUnion), which saves
// starting its tools hundreds of times.
func TestComposeOpenFst(t *testing.T) {
	haveOpenFst(t)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 400
	as, bs := make([]*Graph, n), make([]*Graph, n)
	for k := range n {
		o := randomOptions{
			States:       2 + rng.IntN(6),
			ArcsPerState: 1 + rng.IntN(3),
			Labels:       1 + rng.IntN(4),
			Epsilon:      []float64{0, 0.15, 0.3, 0.5}[k%4],
			Acyclic:      k%3 == 0,
			Acceptor:     k%5 == 0,
			MinW:         2, MaxW: 4,
			FinalProb: 0.3,
		}
		if o.Acyclic {
			o.MinW = -1
		}
		as[k] = quantized(randomGraph(rng, o))
		o.States = 2 + rng.IntN(6)
		o.ArcsPerState = 1 + rng.IntN(3)
		if k%7 == 0 {
			// Many arcs per state and few labels: dense label rows.
			o.ArcsPerState, o.Labels = 8, 3+rng.IntN(4)
			o.MinW, o.MaxW = 3.5, 5
		}
		bs[k] = quantized(randomGraph(rng, o))
	}
	const marker = 100
	ua, ub := markedUnion(as, marker), markedUnion(bs, marker)
	ub, _ = ArcSort(ub, ByILabel) // for fstcompose
	u, _ := openFst(t, "log", "fstcompose in0.fst in1.fst out.fst", ua, ub)
	nonEmpty := 0
	for i := range n {
		a, b := as[i], bs[i]
		want := markedComponent(u, marker+int32(i))
		g, m, err := Compose(a, b)
		if err != nil {
			t.Fatal(err)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("pair %d: "+format+"\na:\n%sb:\n%sgot:\n%sOpenFst:\n%s",
				append([]any{i}, append(args, TextString(a), TextString(b), TextString(g), TextString(want))...)...)
		}
		if g.NumStates() != want.NumStates() || g.NumArcs() != want.NumArcs() {
			fail("%v, OpenFst %v", g, want)
			continue
		}
		if g.NumStates() > 0 {
			nonEmpty++
		}
		if x, y := linsolveLogTotal(g, nil), linsolveLogTotal(want, nil); !closeEnough(x, y) {
			fail("free energy %v, OpenFst %v", x, y)
		}
		if x, y := bellmanFordTotal(g), bellmanFordTotal(want); !closeEnough(x, y) {
			fail("lowest energy %v, OpenFst %v", x, y)
		}
		u := make([]float64, 2*8)
		for k := range u {
			if k%8 != 0 { // epsilons read and write nothing
				u[k] = rng.Float64()
			}
		}
		extra := func(il, ol int32) float64 { return u[il] + u[8+ol] }
		if x, y := linsolveLogTotal(g, extra), linsolveLogTotal(want, extra); !closeEnough(x, y) {
			fail("free energy with label energies %v, OpenFst %v", x, y)
		}
		if a.IsAcceptor() && b.IsAcceptor() && !g.IsAcceptor() {
			fail("composition of acceptors is not an acceptor")
		}
		checkMapWeights(t, g, m, a, b)
		checkProps(t, g)
	}
	if nonEmpty < n/3 {
		t.Errorf("only %d of %d compositions are not empty: the test is too weak", nonEmpty, n)
	}
}

// markedUnion returns the union of gs in one graph, for running OpenFst's
// tools once on many graphs: a new start state 0 with an arc labelled
// marker+i (input and output, energy 0) to the start state of gs[i],
// followed by the states of gs in order. The labels of gs must be below
// marker. See markedComponent.
func markedUnion(gs []*Graph, marker int32) *Graph {
	b := NewBuilder()
	b.AddState()
	b.SetStart(0)
	for i, g := range gs {
		off := b.NumStates()
		b.AddStates(g.NumStates())
		if g.NumStates() == 0 {
			continue
		}
		b.AddArc(0, off+g.Start(), marker+int32(i), marker+int32(i), 0)
		for s := range g.NumStates() {
			b.SetFinal(off+s, g.Final(s))
			lo, hi := g.Arcs(s)
			for e := lo; e < hi; e++ {
				x := g.Arc(e)
				b.AddArc(off+s, off+int(x.Dst), x.ILabel, x.OLabel, x.Weight)
			}
		}
	}
	h, _, err := b.Build()
	if err != nil {
		panic(err)
	}
	return h
}

// markedComponent returns the part of u, the result of an OpenFst tool on
// a markedUnion, that follows the arc labelled label from the start state:
// the states reachable from its destination, in order, or the empty graph
// if there is no such arc.
func markedComponent(u *Graph, label int32) *Graph {
	if u.NumStates() == 0 {
		return emptyGraph()
	}
	lo, hi := u.Arcs(u.Start())
	for e := lo; e < hi; e++ {
		if u.ILabel(e) == label {
			h := *u
			h.start = int32(u.Dst(e))
			g, _ := keepStates(&h, Accessible(&h))
			return g
		}
	}
	return emptyGraph()
}

// TestComposeGradient checks the Map of Compose against finite
// differences of the free energy of the composition, on random graphs with
// epsilons.
func TestComposeGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	done := 0
	for done < 12 {
		o := randomOptions{States: 4, ArcsPerState: 2, Labels: 2, Epsilon: 0.3, MinW: 2, MaxW: 4, FinalProb: 0.4}
		o.Acyclic = done%2 == 0
		a := randomGraph(rng, o)
		b := randomGraph(rng, o)
		g, m, err := Compose(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if g.NumStates() == 0 {
			continue
		}
		done++
		gradOut := linsolvePosteriors(g)
		gradA, gradB := make([]float64, a.NumWeights()), make([]float64, b.NumWeights())
		if err := m.Backward(gradOut, gradA, gradB); err != nil {
			t.Fatal(err)
		}
		free := func(a, b *Graph) float64 {
			g, _, err := Compose(a, b)
			if err != nil {
				t.Fatal(err)
			}
			return linsolveLogTotal(g, nil)
		}
		checkGradient(t, a, gradA, func(a *Graph) float64 { return free(a, b) })
		checkGradient(t, b, gradB, func(b *Graph) float64 { return free(a, b) })
	}
}

// checkMapWeights checks that every output weight of an operation on
// inputs is the sum of the input weights its Map row names (all structural
// operations here copy or add weights).
func checkMapWeights(t *testing.T, g *Graph, m *Map, inputs ...*Graph) {
	t.Helper()
	if m.NumInputs() != len(inputs) || m.NumOutputs() != g.NumWeights() {
		t.Fatalf("map of %d inputs and %d outputs for %d inputs and %d weights",
			m.NumInputs(), m.NumOutputs(), len(inputs), g.NumWeights())
	}
	w := g.Weights()
	in := make([][]float64, len(inputs))
	for i, x := range inputs {
		in[i] = x.Weights()
	}
	for j := range w {
		row := m.Row(j)
		if math.IsInf(w[j], 1) {
			if len(row) != 0 {
				t.Errorf("output weight %d is +Inf but its map row is %v", j, row)
			}
			continue
		}
		sum := 0.0
		for _, r := range row {
			if r.Coef != 1 {
				t.Errorf("output weight %d: coefficient %v", j, r.Coef)
			}
			sum += in[r.Input][r.Index]
		}
		if len(row) == 0 || sum != w[j] {
			t.Errorf("output weight %d is %v, its map row %v sums to %v", j, w[j], row, sum)
		}
	}
}

// quantized returns g with its energies rounded to multiples of 1/16, which
// OpenFst's single-precision weights and its text output hold exactly.
func quantized(g *Graph) *Graph {
	w := g.Weights()
	for i, x := range w {
		w[i] = math.Round(x*16) / 16
	}
	h, err := g.WithWeights(w)
	if err != nil {
		panic(err)
	}
	return h
}

// linsolveMatrix returns I - M, where M[i][j] is the sum of exp(-energy) over
// the arcs from i to j, energies plus extra(ilabel, olabel) if extra is not
// nil, and the vector of exp(-final energy).
func linsolveMatrix(g *Graph, extra func(il, ol int32) float64) ([][]float64, []float64) {
	n := g.NumStates()
	a := make([][]float64, n)
	f := make([]float64, n)
	for s := range n {
		a[s] = make([]float64, n)
		a[s][s] = 1
		f[s] = math.Exp(-g.Final(s))
	}
	for e := range g.NumArcs() {
		w := g.Weight(e)
		if extra != nil {
			w += extra(g.ILabel(e), g.OLabel(e))
		}
		a[g.Src(e)][g.Dst(e)] -= math.Exp(-w)
	}
	return a, f
}

// linsolveLogTotal returns the free energy of g (the log-semiring shortest
// distance from the start to the final states) by solving the linear system
// of the path sums, beta = f + M beta: exact for cyclic graphs too, as long
// as the sums converge. extra, if not nil, adds an energy to every arc from
// its labels.
func linsolveLogTotal(g *Graph, extra func(il, ol int32) float64) float64 {
	if g.NumStates() == 0 {
		return math.Inf(1)
	}
	a, f := linsolveMatrix(g, extra)
	beta := gaussSolve(a, f)
	return -math.Log(beta[g.Start()])
}

// linsolvePosteriors returns the derivatives of the free energy of g with
// respect to its weights (arc and final posteriors), alpha_s exp(-w)
// beta_d / Z, solving for the forward sums alpha too.
func linsolvePosteriors(g *Graph) []float64 {
	n := g.NumStates()
	a, f := linsolveMatrix(g, nil)
	at := make([][]float64, n)
	for i := range n {
		at[i] = make([]float64, n)
		for j := range n {
			at[i][j] = a[j][i]
		}
	}
	beta := gaussSolve(a, append([]float64(nil), f...))
	e := make([]float64, n)
	e[g.Start()] = 1
	alpha := gaussSolve(at, e)
	z := beta[g.Start()]
	grad := make([]float64, g.NumWeights())
	for k := range g.NumArcs() {
		grad[k] = alpha[g.Src(k)] * math.Exp(-g.Weight(k)) * beta[g.Dst(k)] / z
	}
	for s := range n {
		grad[g.FinalIndex(s)] = alpha[s] * f[s] / z
	}
	return grad
}

// gaussSolve solves a x = b by Gaussian elimination with partial pivoting,
// overwriting a and b.
func gaussSolve(a [][]float64, b []float64) []float64 {
	n := len(b)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < n; r++ {
			if a[r][c] == 0 {
				continue
			}
			k := a[r][c] / a[c][c]
			for j := c; j < n; j++ {
				a[r][j] -= k * a[c][j]
			}
			b[r] -= k * b[c]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for j := r + 1; j < n; j++ {
			s -= a[r][j] * x[j]
		}
		x[r] = s / a[r][r]
	}
	return x
}

// bellmanFordTotal returns the lowest energy of a successful path of g, for
// graphs without negative cycles.
func bellmanFordTotal(g *Graph) float64 {
	n := g.NumStates()
	if n == 0 {
		return math.Inf(1)
	}
	d := make([]float64, n)
	for s := range d {
		d[s] = math.Inf(1)
	}
	d[g.Start()] = 0
	for range n {
		for e := range g.NumArcs() {
			if x := d[g.Src(e)] + g.Weight(e); x < d[g.Dst(e)] {
				d[g.Dst(e)] = x
			}
		}
	}
	best := math.Inf(1)
	for s := range n {
		best = min(best, d[s]+g.Final(s))
	}
	return best
}

// TestStateTable checks the state table against a Go map, through growth
// and reuse after clear, as composerPool reuses it.
func TestStateTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var tab stateTable
	for round, n := range []int{50000, 100, 3000} {
		tab.init(16)
		want := map[uint64]int32{}
		for range n {
			key := packState(rng.Int32N(1000), rng.Int32N(1<<31-1), uint64(rng.IntN(2)))
			if round == 1 {
				key = packState(rng.Int32N(5), rng.Int32N(5), 0) // many repeats
			}
			id, isNew := tab.lookup(key)
			old, ok := want[key]
			switch {
			case ok && (isNew || id != old):
				t.Fatalf("round %d: key %x: id %d new %v, want %d", round, key, id, isNew, old)
			case !ok && (!isNew || id != int32(len(want))):
				t.Fatalf("round %d: new key %x: id %d new %v, want %d", round, key, id, isNew, len(want))
			}
			want[key] = id
		}
		if len(tab.keys) != len(want) || 2*len(tab.keys) > len(tab.slots) {
			t.Fatalf("round %d: %d keys in %d slots, want %d keys", round, len(tab.keys), len(tab.slots), len(want))
		}
		for key, id := range want {
			if tab.keys[id] != key {
				t.Fatalf("round %d: keys[%d] = %x, want %x", round, id, tab.keys[id], key)
			}
		}
		tab.clear()
		if slices.ContainsFunc(tab.slots[:cap(tab.slots)], func(x int32) bool { return x != 0 }) {
			t.Fatalf("round %d: table not empty after clear", round)
		}
	}
}

// TestComposeConcurrent composes from several goroutines at once (the
// scratch memory is shared through a pool) and checks the results against
// serial ones.
func TestComposeConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	const n = 40
	as, bs, want := make([]*Graph, n), make([]*Graph, n), make([]string, n)
	for i := range n {
		o := randomOptions{States: 3 + rng.IntN(20), ArcsPerState: 1 + rng.IntN(10), Labels: 1 + rng.IntN(10),
			Epsilon: 0.1, MinW: 0, MaxW: 1, FinalProb: 0.2}
		as[i], bs[i] = randomGraph(rng, o), randomGraph(rng, o)
		g, _, err := Compose(as[i], bs[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = TextString(g)
	}
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			for k := range 3 * n {
				i := (k*7 + w) % n
				g, _, err := Compose(as[i], bs[i])
				if err == nil && TextString(g) != want[i] {
					err = fmt.Errorf("pair %d: concurrent result differs", i)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
