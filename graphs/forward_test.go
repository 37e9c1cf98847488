package graphs

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// gtnGraph is the graph of facebookresearch/gtn's forwardScore test: three
// parallel arcs 0->1 and three 1->2 with scores 1, 2, 3, here as energies
// -1, -2, -3.
const gtnGraph = `0 1 0 0 -1
0 1 1 1 -2
0 1 2 2 -3
1 2 0 0 -1
1 2 1 1 -2
1 2 2 2 -3
2
`

func TestForwardGTN(t *testing.T) {
	g := mustRead(t, gtnGraph)
	F, err := Forward(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	// gtn publishes the score 6.8152 (4 decimals).
	if math.Abs(F-(-6.8152)) > 5e-5 {
		t.Errorf("Forward = %.6f, want -6.8152 (gtn)", F)
	}
	z := math.E + math.Exp(2) + math.Exp(3)
	if want := -2 * math.Log(z); math.Abs(F-want) > 1e-14 {
		t.Errorf("Forward = %.17g, want %.17g", F, want)
	}
	F2, grad, err := ArcPosteriors(g, 1)
	if err != nil || F2 != F {
		t.Fatalf("ArcPosteriors: F = %v, %v; Forward %v", F2, err, F)
	}
	want := []float64{
		math.E / z, math.Exp(2) / z, math.Exp(3) / z,
		math.E / z, math.Exp(2) / z, math.Exp(3) / z,
		0, 0, 1, // finals
	}
	for i := range want {
		if math.Abs(grad[i]-want[i]) > 1e-15 {
			t.Errorf("grad[%d] = %.17g, want %.17g", i, grad[i], want[i])
		}
	}
	// gtn's viterbiScore of the same graph is 6.
	p, err := Viterbi(g)
	if err != nil || p.Energy != -6 {
		t.Errorf("Viterbi energy %v, %v; want -6", p.Energy, err)
	}
}

func TestForwardTiny(t *testing.T) {
	e := math.Exp
	tests := []struct {
		name string
		text string
		beta float64
		want float64
		grad []float64 // nil: not checked here
	}{
		{"diamond", diamond, 1, lse(4.5, 3.5), []float64{
			1 / (1 + e(1)), e(1) / (1 + e(1)), 1 / (1 + e(1)), e(1) / (1 + e(1)), 0, 0, 0, 1}},
		{"diamond/beta2", diamond, 2, lse(9, 7) / 2, []float64{
			1 / (1 + e(2)), e(2) / (1 + e(2)), 1 / (1 + e(2)), e(2) / (1 + e(2)), 0, 0, 0, 1}},
		{"diamond/beta0.5", diamond, 0.5, lse(2.25, 1.75) / 0.5, nil},
		// Final start state plus an arc: paths "" (2) and "a" (1 + 0.5).
		{"finalstart", "0 1 1 1 1\n0 2\n1 0.5\n", 1, lse(2, 1.5), []float64{
			1 / (1 + e(-0.5)), e(-0.5) / (1 + e(-0.5)), 1 / (1 + e(-0.5))}},
		// Not topologically numbered.
		{"renumbered", "2 0 1 1 1\n0 1 1 1 2\n0 1 2 2 3\n1\n", 1, lse(3, 4), []float64{
			1 / (1 + e(-1)), e(-1) / (1 + e(-1)), 1, 0, 1, 0}},
		// A dead end and an unreachable state get zero posteriors.
		{"deadend", "0 1 1 1 1\n0 2 1 1 1\n1\n3 1 1 1 1\n", 1, 1, []float64{1, 0, 0, 0, 1, 0, 0}},
		// Cyclic: a self-loop of energy 1 on the final start state; it is
		// used Σ k e^-k (1-e^-1) = e^-1/(1-e^-1) times on average.
		{"selfloop", "0 0 1 1 1\n0\n", 1, math.Log(1 - e(-1)), []float64{e(-1) / (1 - e(-1)), 1}},
		{"selfloop/beta3", "0 0 1 1 1\n0\n", 3, math.Log(1-e(-3)) / 3, []float64{e(-3) / (1 - e(-3)), 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mustRead(t, tc.text)
			F, err := Forward(g, tc.beta)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(F-tc.want) > 1e-12 {
				t.Errorf("Forward = %.17g, want %.17g", F, tc.want)
			}
			F2, grad, err := ArcPosteriors(g, tc.beta)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(F2-tc.want) > 1e-12 {
				t.Errorf("ArcPosteriors F = %.17g, want %.17g", F2, tc.want)
			}
			for i := range tc.grad {
				if math.Abs(grad[i]-tc.grad[i]) > 1e-12 {
					t.Errorf("grad[%d] = %.17g, want %.17g", i, grad[i], tc.grad[i])
				}
			}
			checkGradient(t, g, grad, func(h *Graph) float64 {
				F, err := Forward(h, tc.beta)
				if err != nil {
					t.Fatal(err)
				}
				return F
			})
		})
	}
}

func TestForwardErrors(t *testing.T) {
	noPath := mustRead(t, "0 1 1 1 1\n2\n")
	for _, g := range []*Graph{noPath, {}} {
		if F, err := Forward(g, 1); !errors.Is(err, ErrNoPath) || F != Inf {
			t.Errorf("%v: Forward = %v, %v; want +Inf, ErrNoPath", g, F, err)
		}
		F, grad, err := ArcPosteriors(g, 1)
		if !errors.Is(err, ErrNoPath) || F != Inf || len(grad) != g.NumWeights() {
			t.Errorf("%v: ArcPosteriors = %v, %v, %v; want +Inf, zeros, ErrNoPath", g, F, grad, err)
		}
		for _, x := range grad {
			if x != 0 {
				t.Errorf("%v: nonzero gradient %v without a path", g, grad)
			}
		}
	}
	g := mustRead(t, diamond)
	for _, beta := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := Forward(g, beta); err == nil {
			t.Errorf("Forward(beta = %v): no error", beta)
		}
		if _, _, err := ArcPosteriors(g, beta); err == nil {
			t.Errorf("ArcPosteriors(beta = %v): no error", beta)
		}
	}
	divergent := mustRead(t, "0 0 1 1 -0.1\n0\n")
	if _, err := Forward(divergent, 1); !errors.Is(err, ErrDivergent) {
		t.Errorf("divergent Forward: %v, want ErrDivergent", err)
	}
	if _, _, err := ArcPosteriors(divergent, 1); !errors.Is(err, ErrDivergent) {
		t.Errorf("divergent ArcPosteriors: %v, want ErrDivergent", err)
	}
	// A divergent cycle off the successful paths does not matter: state 2
	// is a dead end, state 3 is unreachable.
	g = mustRead(t, "0 1 1 1 1\n0 2 1 1 1\n2 2 1 1 -1\n3 3 1 1 -1\n3 1 1 1 0\n1\n")
	if F, err := Forward(g, 1); err != nil || F != 1 {
		t.Errorf("divergent dead end: Forward = %v, %v; want 1", F, err)
	}
	if F, grad, err := ArcPosteriors(g, 1); err != nil || F != 1 || grad[0] != 1 || grad[1] != 0 {
		t.Errorf("divergent dead end: ArcPosteriors = %v, %v, %v", F, grad, err)
	}
}

// TestForwardOpenFst checks the free energy (beta = 1) against OpenFst's
// total weight in the log semiring (fstshortestdistance --reverse at the
// start state) on random acyclic and cyclic graphs.
func TestForwardOpenFst(t *testing.T) {
	haveOpenFst(t)
	rng := rand.New(rand.NewPCG(7, 8))
	var gs []*Graph
	var ours []float64
	for _, o := range []randomOptions{acyclicOptions, cyclicOptions} {
		for _, g := range randomTestGraphs(rng, 200, o) {
			// OpenFst computes every state's distance: skip graphs that
			// diverge anywhere.
			if _, err := ShortestDistance(g, Log, &DistanceOptions{Reverse: true}); errors.Is(err, ErrDivergent) {
				continue
			}
			F, err := Forward(g, 1)
			if err != nil && !errors.Is(err, ErrNoPath) {
				t.Fatal(err)
			}
			gs = append(gs, g)
			ours = append(ours, F)
		}
	}
	u, offsets := disjointUnion(gs)
	out := fstBatch(t, "log64", "fstshortestdistance --reverse --delta=1e-12", []*Graph{u})[0]
	want := parseFstDistances(t, out, u.NumStates())
	for i, g := range gs {
		if w := want[offsets[i]+g.Start()]; !closeEnough(ours[i], w) {
			t.Errorf("graph %d: Forward %.9g, OpenFst %.9g\n%s", i, ours[i], w, TextString(g))
		}
	}
}

// randomConvergent returns a random graph that has a path and on which
// Forward converges at inverse temperature beta.
func randomConvergent(rng *rand.Rand, o randomOptions, beta float64) *Graph {
	for {
		g := randomGraph(rng, o)
		if _, err := Forward(g, beta); err == nil {
			return g
		}
	}
}

func TestArcPosteriorsGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range 60 {
		o := acyclicOptions
		if i%2 == 1 {
			o = cyclicOptions
			o.States = 6
		}
		beta := []float64{1, 0.5, 2.5}[i%3]
		g := randomConvergent(rng, o, beta)
		if i%4 == 2 {
			g = shuffleStates(rng, g) // not numbered topologically
		}
		F, grad, err := ArcPosteriors(g, beta)
		if err != nil {
			t.Fatal(err)
		}
		if F2, _ := Forward(g, beta); !closeEnough(F, F2) {
			t.Errorf("ArcPosteriors F %.15g, Forward %.15g", F, F2)
		}
		checkGradient(t, g, grad, func(h *Graph) float64 {
			F, err := Forward(h, beta)
			if err != nil {
				t.Fatal(err)
			}
			return F
		})
		if t.Failed() {
			t.Fatalf("graph %d (beta %v):\n%s", i, beta, TextString(g))
		}
	}
}

// TestArcPosteriorsFlow checks that in acyclic graphs the posterior mass
// entering a state (1 for the start) equals the mass leaving it (arcs and
// final), and that the cyclic algorithm agrees with the acyclic one.
func TestArcPosteriorsFlow(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 100 {
		o := acyclicOptions
		o.States = 2 + rng.IntN(40)
		g := randomConvergent(rng, o, 1)
		if i%2 == 1 {
			g = shuffleStates(rng, g) // not numbered topologically
		}
		_, grad, err := ArcPosteriors(g, 1)
		if err != nil {
			t.Fatal(err)
		}
		in := make([]float64, g.NumStates())
		out := make([]float64, g.NumStates())
		in[g.Start()] = 1
		for a := range g.NumArcs() {
			in[g.Dst(a)] += grad[a]
			out[g.Src(a)] += grad[a]
		}
		for s := range in {
			out[s] += grad[g.FinalIndex(s)]
			if math.Abs(in[s]-out[s]) > 1e-12 {
				t.Fatalf("graph %d state %d: posterior in %.15g, out %.15g", i, s, in[s], out[s])
			}
		}
		F2, grad2, err := cyclicPosteriors(g, 1, make([]float64, g.NumStates()), make([]float64, g.NumWeights()))
		if err != nil {
			t.Fatal(err)
		}
		F, _ := Forward(g, 1)
		if !closeEnough(F, F2) {
			t.Fatalf("graph %d: F %.15g, generic %.15g", i, F, F2)
		}
		for w := range grad {
			if math.Abs(grad[w]-grad2[w]) > 1e-9 {
				t.Fatalf("graph %d weight %d: posterior %.15g, generic %.15g", i, w, grad[w], grad2[w])
			}
		}
	}
}

// TestForwardProperties checks Forward <= Viterbi <= the energy of any
// path (in energies the free energy is a soft minimum: it is below the
// minimum), Forward → Viterbi as beta grows, and that the free energy of a
// union is the log-sum of the free energies.
func TestForwardProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for i := range 100 {
		o := []randomOptions{acyclicOptions, cyclicOptions}[i%2]
		g := randomConvergent(rng, o, 1)
		h := randomConvergent(rng, o, 1)
		F, _ := Forward(g, 1)
		v, err := Viterbi(g)
		if err != nil {
			t.Fatal(err)
		}
		if !(F <= v.Energy+1e-12) {
			t.Errorf("graph %d: Forward %.15g > Viterbi %.15g", i, F, v.Energy)
		}
		paths, err := NBest(g, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if !(v.Energy <= p.Energy+1e-12) {
				t.Errorf("graph %d: Viterbi %.15g > path energy %.15g", i, v.Energy, p.Energy)
			}
		}
		// In an acyclic graph with N paths, -1/beta log Σ exp(-beta E)
		// is within log(N)/beta below the minimum.
		if o.Acyclic {
			Fb, err := Forward(g, 1e4)
			if err != nil || Fb > v.Energy+1e-9 || Fb < v.Energy-1e-2 {
				t.Errorf("graph %d: Forward(beta=1e4) = %.15g, %v; Viterbi %.15g", i, Fb, err, v.Energy)
			}
		}
		Fh, _ := Forward(h, 1)
		u, _ := disjointUnion([]*Graph{g, h})
		Fu, err := Forward(u, 1)
		if err != nil || !closeEnough(Fu, lse(F, Fh)) {
			t.Errorf("graph %d: Forward(union) = %.15g, %v; want logadd(%.15g, %.15g) = %.15g", i, Fu, err, F, Fh, lse(F, Fh))
		}
		for _, beta := range []float64{0.3, 3} {
			Fg, err1 := Forward(g, beta)
			Fh, err2 := Forward(h, beta)
			if err1 != nil || err2 != nil {
				continue // diverges at this temperature
			}
			Fu, err := Forward(u, beta)
			if want := lse(beta*Fg, beta*Fh) / beta; err != nil || !closeEnough(Fu, want) {
				t.Errorf("graph %d beta %v: Forward(union) = %.15g, %v; want %.15g", i, beta, Fu, err, want)
			}
		}
	}
}
