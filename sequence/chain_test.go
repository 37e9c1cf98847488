package sequence

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gotn/gotn/gtn"
)

// randomChain returns float32-representable random energies for a chain of
// T tokens over L labels, and a random gold labeling.
func randomChain(rng *rand.Rand, T, L int, spread float64) (emit, trans []float64, gold []int32) {
	emit = make([]float64, T*L)
	trans = make([]float64, (L+1)*(L+1))
	r := func() float64 { return float64(float32(spread * (2*rng.Float64() - 1))) }
	for i := range emit {
		emit[i] = r()
	}
	for i := range trans {
		trans[i] = r()
	}
	gold = make([]int32, T)
	for i := range gold {
		gold[i] = int32(rng.IntN(L))
	}
	return emit, trans, gold
}

func tensorOf(x []float64, shape ...int) *gtn.Tensor {
	t := gtn.NewTensor(shape...)
	for i, v := range x {
		t.Data[i] = float32(v)
	}
	return t
}

// allLabelings calls f with every labeling of T tokens over L labels.
func allLabelings(T, L int, f func([]int32)) {
	y := make([]int32, T)
	var rec func(t int)
	rec = func(t int) {
		if t == T {
			f(y)
			return
		}
		for l := range L {
			y[t] = int32(l)
			rec(t + 1)
		}
	}
	rec(0)
}

// TestChainBruteForce checks Viterbi, Offending and Free against explicit
// enumeration of every labeling.
func TestChainBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c Chain
	for trial := range 40 {
		T, L := 1+rng.IntN(4), 1+rng.IntN(4)
		emit, trans, gold := randomChain(rng, T, L, 3)
		beta := 0.5 + rng.Float64()
		best, offending := math.Inf(1), math.Inf(1)
		sum := 0.0
		allLabelings(T, L, func(y []int32) {
			e := PathEnergy(emit, trans, L, y)
			best = min(best, e)
			diff := false
			for i := range y {
				diff = diff || y[i] != gold[i]
			}
			if diff {
				offending = min(offending, e)
			}
			sum += math.Exp(-beta * e)
		})
		path := make([]int32, T)
		v, err := c.Viterbi(emit, trans, L, path)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(v-best) > 1e-9 || math.Abs(PathEnergy(emit, trans, L, path)-v) > 1e-9 {
			t.Errorf("trial %d: Viterbi %v (path energy %v), want %v", trial, v, PathEnergy(emit, trans, L, path), best)
		}
		o, err := c.Offending(emit, trans, L, gold, path)
		if err != nil {
			t.Fatal(err)
		}
		if o != offending && math.Abs(o-offending) > 1e-9 {
			t.Errorf("trial %d (T=%d L=%d): Offending %v, want %v", trial, T, L, o, offending)
		}
		f, err := c.Free(emit, trans, L, beta, 0, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := -math.Log(sum) / beta; math.Abs(f-want) > 1e-9 {
			t.Errorf("trial %d: Free %v, want %v", trial, f, want)
		}
	}
}

// TestChainMatchesGraphs checks the dense chain against the generic graph
// path (lattice graph, composition, GraphLoss on the tape) for every loss,
// with and without Hamming cost augmentation: loss values, and gradients
// with respect to emission and transition energies.
func TestChainMatchesGraphs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var c Chain
	losses := []gtn.Loss{
		gtn.NLLLoss{}, gtn.NLLLoss{BetaValue: 0.5}, gtn.PerceptronLoss{}, gtn.HingeLoss{Margin: 1},
		gtn.LogLoss{}, gtn.MCELoss{}, gtn.EnergyLoss{}, gtn.MEELoss{}, gtn.SquareSquareLoss{Margin: 2},
	}
	for trial := range 30 {
		T, L := 1+rng.IntN(5), 2+rng.IntN(4)
		emit, trans, gold := randomChain(rng, T, L, 2)
		for _, loss := range losses {
			for _, cost := range []float64{0, 1} {
				grads := gtn.NewGrads(nil)
				tp := gtn.NewTape(grads)
				ev := tp.Input(tensorOf(emit, T, L))
				tv := tp.Input(tensorOf(trans, L+1, L+1))
				lv, err := GraphLoss(tp, ev, tv, gold, loss, cost)
				if err != nil {
					t.Fatalf("trial %d %s cost %v: GraphLoss: %v", trial, loss.Name(), cost, err)
				}
				want := lv.Scalar()
				if lv.Grad != nil {
					if err := tp.Backward(lv); err != nil {
						t.Fatal(err)
					}
				}
				dE := make([]float64, len(emit))
				dT := make([]float64, len(trans))
				got, _, err := c.Loss(emit, trans, L, gold, loss, cost, dE, dT)
				if err != nil {
					t.Fatalf("trial %d %s: Chain.Loss: %v", trial, loss.Name(), err)
				}
				tol := 1e-5 * (1 + math.Abs(want))
				if math.Abs(got-want) > tol {
					t.Errorf("trial %d (T=%d L=%d) %s cost %v: chain loss %v, graph loss %v", trial, T, L, loss.Name(), cost, got, want)
					continue
				}
				cmp := func(what string, chain []float64, graph *gtn.Tensor) {
					for i, g := range chain {
						var w float64
						if graph != nil {
							w = float64(graph.Data[i])
						}
						if math.Abs(g-w) > 1e-5*(1+math.Abs(w)) {
							t.Errorf("trial %d (T=%d L=%d) %s cost %v: d%s[%d] chain %v, graph %v", trial, T, L, loss.Name(), cost, what, i, g, w)
							return
						}
					}
				}
				cmp("emit", dE, ev.Grad)
				cmp("trans", dT[:L*(L+1)+L], tv.Grad) // trans[L,L] is unused by both
			}
		}
	}
}

// TestChainGradientCheck checks the NLL gradient of the chain (the CRF's)
// against central finite differences in float64.
func TestChainGradientCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var c Chain
	for trial := range 10 {
		T, L := 1+rng.IntN(6), 2+rng.IntN(4)
		emit, trans, gold := randomChain(rng, T, L, 2)
		for _, cost := range []float64{0, 1} {
			dE := make([]float64, len(emit))
			dT := make([]float64, len(trans))
			if _, _, err := c.Loss(emit, trans, L, gold, gtn.NLLLoss{}, cost, dE, dT); err != nil {
				t.Fatal(err)
			}
			f := func() float64 {
				l, _, err := c.Loss(emit, trans, L, gold, gtn.NLLLoss{}, cost, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			check := func(what string, x, g []float64) {
				const h = 1e-5
				for i := range x {
					if what == "trans" && i == L*(L+1)+L {
						continue
					}
					old := x[i]
					x[i] = old + h
					fp := f()
					x[i] = old - h
					fm := f()
					x[i] = old
					num := (fp - fm) / (2 * h)
					if math.Abs(num-g[i]) > 1e-6*(1+math.Abs(num)) {
						t.Errorf("trial %d cost %v: d%s[%d] analytic %v, numeric %v", trial, cost, what, i, g[i], num)
					}
				}
			}
			check("emit", emit, dE)
			check("trans", trans, dT)
		}
	}
}

// TestChainLargeEnergies checks that scaling keeps the free energy exact
// when energies are far from zero.
func TestChainLargeEnergies(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	emit, trans, _ := randomChain(rng, 50, 5, 1)
	var c Chain
	f0, err := c.Free(emit, trans, 5, 1, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range emit {
		emit[i] += 5000
	}
	f1, err := c.Free(emit, trans, 5, 1, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := f0 + 50*5000; math.Abs(f1-want) > 1e-6*math.Abs(want) {
		t.Errorf("shifted free energy %v, want %v", f1, want)
	}
}

// refViterbi is the plain O(T L²) Viterbi with left-to-right tie-breaking.
func refViterbi(emit, trans []float64, L int, path []int32) float64 {
	T, L1 := len(emit)/L, L+1
	d := make([]float64, L)
	bp := make([]int32, T*L)
	for j := range L {
		d[j] = trans[L*L1+j] + emit[j]
	}
	for t := 1; t < T; t++ {
		nd := make([]float64, L)
		for j := range L {
			best, arg := math.Inf(1), 0
			for i := range L {
				if v := d[i] + trans[i*L1+j]; v < best {
					best, arg = v, i
				}
			}
			nd[j], bp[t*L+j] = best+emit[t*L+j], int32(arg)
		}
		d = nd
	}
	best, arg := math.Inf(1), 0
	for j := range L {
		if v := d[j] + trans[j*L1+L]; v < best {
			best, arg = v, j
		}
	}
	path[T-1] = int32(arg)
	for t := T - 1; t > 0; t-- {
		path[t-1] = bp[t*L+int(path[t])]
	}
	return best
}

// TestViterbiPruningExact checks the pruned Viterbi against the plain one
// on small integer energies (many ties) and on widely spread ones.
func TestViterbiPruningExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var c Chain
	for trial := range 300 {
		T, L := 1+rng.IntN(12), 1+rng.IntN(9)
		emit := make([]float64, T*L)
		trans := make([]float64, (L+1)*(L+1))
		spread := []float64{2, 50, 1000}[trial%3]
		for i := range emit {
			emit[i] = math.Round(spread * (2*rng.Float64() - 1))
		}
		for i := range trans {
			trans[i] = math.Round(spread * (2*rng.Float64() - 1))
		}
		got, want := make([]int32, T), make([]int32, T)
		eg, err := c.Viterbi(emit, trans, L, got)
		if err != nil {
			t.Fatal(err)
		}
		ew := refViterbi(emit, trans, L, want)
		if eg != ew || !slices.Equal(got, want) {
			t.Fatalf("trial %d (T=%d L=%d): path %v energy %v, want %v energy %v", trial, T, L, got, eg, want, ew)
		}
	}
}

// TestChainUnderflowFallback builds energies for which the scaled forward
// pass underflows (every transition out of the only likely first label
// costs 4000 more than the cheapest transition) and checks the log-space
// fallback against the graph path.
func TestChainUnderflowFallback(t *testing.T) {
	const L, T = 3, 5
	L1 := L + 1
	emit := make([]float64, T*L)
	trans := make([]float64, L1*L1)
	for j := range L {
		emit[j] = 2000 // label 0 first, by far
		trans[0*L1+j] = 2000
		for i := 1; i < L; i++ {
			trans[i*L1+j] = -2000
		}
	}
	emit[0] = -2000
	for t := 1; t < T; t++ {
		for j := range L {
			emit[t*L+j] = float64(j)
		}
	}
	gold := []int32{0, 1, 2, 1, 0}
	var c Chain
	dE := make([]float64, len(emit))
	dT := make([]float64, len(trans))
	got, _, err := c.Loss(emit, trans, L, gold, gtn.NLLLoss{}, 0, dE, dT)
	if err != nil {
		t.Fatal(err)
	}
	tp := gtn.NewTape(gtn.NewGrads(nil))
	ev := tp.Input(tensorOf(emit, T, L))
	tv := tp.Input(tensorOf(trans, L1, L1))
	lv, err := GraphLoss(tp, ev, tv, gold, gtn.NLLLoss{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := lv.Scalar()
	if err := tp.Backward(lv); err != nil {
		t.Fatal(err)
	}
	if math.IsInf(got, 0) || math.Abs(got-want) > 1e-3 {
		t.Fatalf("loss %v, graph %v", got, want)
	}
	for i := range dE {
		if math.Abs(dE[i]-float64(ev.Grad.Data[i])) > 1e-5 {
			t.Errorf("demit[%d] %v, graph %v", i, dE[i], ev.Grad.Data[i])
		}
	}
	for i := range L*L1 + L {
		if math.Abs(dT[i]-float64(tv.Grad.Data[i])) > 1e-5 {
			t.Errorf("dtrans[%d] %v, graph %v", i, dT[i], tv.Grad.Data[i])
		}
	}
}
