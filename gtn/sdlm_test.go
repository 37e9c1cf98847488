package gtn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// matVec records z = A·w on the tape, for A [M, D] and a parameter w [D];
// z is [1, M].
func matVec(tp *Tape, a *Tensor, w *Param) *Var {
	m, _ := a.Rows()
	wv := tp.Param(w)
	z := tp.NewVar(wv.Grad != nil, 1, m)
	for i := range m {
		var s float32
		for j, x := range a.Row(i) {
			s += x * wv.Value.Data[j]
		}
		z.Value.Data[i] = s
	}
	tp.OnBackward(func() {
		for i := range m {
			g := z.Grad.Data[i]
			for j, x := range a.Row(i) {
				wv.Grad.Data[j] += g * x
			}
		}
	})
	return z
}

// randomMatrices returns n random m×d matrices with entries in [-2, 2].
func randomMatrices(rng *rand.Rand, n, m, d int) []*Tensor {
	as := make([]*Tensor, n)
	for i := range as {
		as[i] = NewTensor(m, d)
		for k := range as[i].Data {
			as[i].Data[k] = float32(4*rng.Float64() - 2)
		}
	}
	return as
}

// repeated returns n example indices cycling over k examples.
func repeated(n, k int) []int {
	ex := make([]int, n)
	for i := range ex {
		ex[i] = i % k
	}
	return ex
}

// TestSDLMCurvatureMatchesHessian checks that Estimate's h_kk equal, within
// sampling error, the exact diagonal Hessian of two losses whose
// Gauss-Newton matrix is their Hessian: linear least squares
// ‖A_n·w - b_n‖² (Hessian 2·A_nᵀA_n) through GaussNewtonProbe, and the NLL
// loss on linear class energies E = A_n·w (Hessian
// A_nᵀ(diag p - p·pᵀ)A_n, p = softmax(-E)) through FisherProbe. Each of
// three example matrices is probed 10,000 times with independent random
// vectors; the estimates must agree with the exact values within 5%
// (the sampling error is about 1-2%), and must not with a wrong Hessian
// scale.
func TestSDLMCurvatureMatchesHessian(t *testing.T) {
	const d, m, nMat, draws = 6, 5, 3, 30000
	rng := rand.New(rand.NewPCG(3, 4))
	as := randomMatrices(rng, nMat, m, d)
	w := NewParam("w", d)
	for j := range w.Value.Data {
		w.Value.Data[j] = float32(0.5 * rng.NormFloat64())
	}
	exactLSQ := make([]float64, d)
	exactNLL := make([]float64, d)
	for _, a := range as {
		// p = softmax(-A·w)
		e := make([]float64, m)
		lo := math.Inf(1)
		for i := range m {
			for j, x := range a.Row(i) {
				e[i] += float64(x * w.Value.Data[j])
			}
			lo = math.Min(lo, e[i])
		}
		p := make([]float64, m)
		z := 0.0
		for i := range m {
			p[i] = math.Exp(-(e[i] - lo))
			z += p[i]
		}
		for j := range d {
			mean, sq, sum := 0.0, 0.0, 0.0
			for i := range m {
				x := float64(a.Row(i)[j])
				sum += x * x
				sq += p[i] / z * x * x
				mean += p[i] / z * x
			}
			exactLSQ[j] += 2 * sum / nMat
			exactNLL[j] += (sq - mean*mean) / nMat
		}
	}
	tests := []struct {
		name  string
		probe func(c float64) CurvatureProbe
		exact []float64
	}{
		{"least squares, GaussNewtonProbe", func(c float64) CurvatureProbe {
			return func(tp *Tape, ex int, seed uint64) (*Var, error) {
				return tp.GaussNewtonProbe(matVec(tp, as[ex], w), c, seed)
			}
		}, exactLSQ},
		{"NLL on linear energies, FisherProbe", func(c float64) CurvatureProbe {
			return func(tp *Tape, ex int, seed uint64) (*Var, error) {
				return tp.FisherProbe(matVec(tp, as[ex], w), c/2, seed)
			}
		}, exactNLL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []float64{2, 3} {
				o := &SDLM{}
				if err := o.Estimate(context.Background(), []*Param{w}, repeated(draws, nMat), 7, 2, tc.probe(c)); err != nil {
					t.Fatal(err)
				}
				h := o.Curvature(w)
				worst := 0.0
				for j, want := range tc.exact {
					worst = math.Max(worst, math.Abs(float64(h[j])-want)/want)
				}
				if c == 2 && worst > 0.05 {
					t.Errorf("h = %v, exact diagonal %v: relative error %.3f, want <= 0.05", h, tc.exact, worst)
				}
				if c == 3 && worst < 0.2 {
					t.Errorf("with 1.5 times the Hessian, h = %v matches the exact diagonal %v (error %.3f): the check cannot fail", h, tc.exact, worst)
				}
			}
		})
	}
}

// TestSDLMEstimateDeterministic checks that the curvature is a function of
// the seed: the same with 1 and 3 workers (up to float rounding), different
// with another seed.
func TestSDLMEstimateDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	as := randomMatrices(rng, 4, 3, 4)
	w := NewParam("w", 4)
	probe := func(tp *Tape, ex int, seed uint64) (*Var, error) {
		return tp.GaussNewtonProbe(matVec(tp, as[ex], w), 2, seed)
	}
	est := func(seed uint64, workers int) []float32 {
		o := &SDLM{}
		if err := o.Estimate(context.Background(), []*Param{w}, repeated(50, 4), seed, workers, probe); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), o.Curvature(w)...)
	}
	a, b, c := est(1, 1), est(1, 3), est(2, 1)
	same := true
	for j := range a {
		if math.Abs(float64(a[j]-b[j])) > 1e-5*float64(a[j]) {
			t.Errorf("h[%d] = %v with 1 worker, %v with 3", j, a[j], b[j])
		}
		same = same && a[j] == c[j]
	}
	if same {
		t.Errorf("seeds 1 and 2 give the same curvature %v", a)
	}
}

// TestSDLMStep checks the update w -= lr/(mu + h)·(g + decay·w) and that
// fixed parameters do not move.
func TestSDLMStep(t *testing.T) {
	w := NewParam("w", 2)
	w.Value.Data[0], w.Value.Data[1] = 1, -1
	fixed := &Param{Name: "f", Value: NewTensor(1), Fixed: true}
	a, err := FromData([]float32{1, 0, 0, 3}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	o := &SDLM{Mu: 0.5, WeightDecay: 0.1}
	// Least squares through A = diag(1, 3): h = 2·(1, 9) exactly (Rademacher
	// signs square to 1).
	probe := func(tp *Tape, _ int, seed uint64) (*Var, error) {
		return tp.GaussNewtonProbe(matVec(tp, a, w), 2, seed)
	}
	if err := o.Estimate(context.Background(), []*Param{w, fixed}, []int{0, 0, 0}, 1, 1, probe); err != nil {
		t.Fatal(err)
	}
	if h := o.Curvature(w); math.Abs(float64(h[0])-2) > 1e-5 || math.Abs(float64(h[1])-18) > 1e-4 {
		t.Fatalf("h = %v, want [2 18]", h)
	}
	if o.Curvature(fixed) != nil {
		t.Errorf("a fixed parameter has a curvature")
	}
	grads := NewGrads([]*Param{w, fixed})
	grads.Of(w).Data[0], grads.Of(w).Data[1] = 4, 2
	grads.Of(fixed).Data[0] = 1
	o.Step(grads, 0.25)
	want := []float64{1 - 0.25/2.5*(4+0.1), -1 - 0.25/18.5*(2-0.1)}
	for j, v := range w.Value.Data {
		if math.Abs(float64(v)-want[j]) > 1e-6 {
			t.Errorf("w[%d] = %v, want %v", j, v, want[j])
		}
	}
	if fixed.Value.Data[0] != 0 {
		t.Errorf("fixed parameter moved to %v", fixed.Value.Data[0])
	}
}

// TestSDLMIllConditioned minimises a least-squares problem whose Hessian
// has diagonal elements from 2 to 20,000: plain SGD at its largest stable
// rate (below 1/λmax) makes no progress on the flat directions in 100
// steps, SDLM (rate 0.5, a Newton step on the diagonal) reaches the
// minimum.
func TestSDLMIllConditioned(t *testing.T) {
	scales := []float32{1, 10, 100}
	a := NewTensor(3, 3)
	for i, s := range scales {
		a.Data[i*3+i] = s
	}
	target := []float32{1, 2, 3} // the minimum of ‖A·w - A·target‖²
	run := func(opt Optimizer, lr float64) []float32 {
		w := NewParam("w", 3)
		grads := NewGrads([]*Param{w})
		if o, ok := opt.(*SDLM); ok {
			probe := func(tp *Tape, _ int, seed uint64) (*Var, error) {
				return tp.GaussNewtonProbe(matVec(tp, a, w), 2, seed)
			}
			if err := o.Estimate(context.Background(), []*Param{w}, []int{0}, 1, 1, probe); err != nil {
				t.Fatal(err)
			}
		}
		for range 100 {
			for i, s := range scales {
				grads.At(0).Data[i] = 2 * s * s * (w.Value.Data[i] - target[i])
			}
			opt.Step(grads, lr)
		}
		return w.Value.Data
	}
	sdlm := run(&SDLM{Mu: 1e-3}, 0.5)
	sgd := run(&SGD{}, 0.9/(2*100*100))
	for i := range target {
		if math.Abs(float64(sdlm[i]-target[i])) > 1e-3 {
			t.Errorf("SDLM: w = %v, want %v", sdlm, target)
			break
		}
	}
	if math.Abs(float64(sgd[0]-target[0])) < 0.5 {
		t.Errorf("SGD reached w = %v: the problem is not ill-conditioned enough to test SDLM", sgd)
	}
}

// TestSDLMEstimateErrors checks that probe errors and panics are reported
// with the example, and keep the previous estimate.
func TestSDLMEstimateErrors(t *testing.T) {
	w := NewParam("w", 1)
	a, _ := FromData([]float32{2}, 1, 1)
	good := func(tp *Tape, _ int, seed uint64) (*Var, error) {
		return tp.GaussNewtonProbe(matVec(tp, a, w), 2, seed)
	}
	o := &SDLM{}
	if err := o.Estimate(context.Background(), []*Param{w}, []int{0}, 1, 1, good); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		probe CurvatureProbe
		want  string
	}{
		{"error", func(*Tape, int, uint64) (*Var, error) { return nil, fmt.Errorf("bad image") }, "example 5: bad image"},
		{"panic", func(*Tape, int, uint64) (*Var, error) { panic("boom") }, "panicked: boom"},
		{"constant", func(tp *Tape, _ int, seed uint64) (*Var, error) {
			return tp.GaussNewtonProbe(tp.Const(NewTensor(1)), 2, seed)
		}, "does not depend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := o.Estimate(context.Background(), []*Param{w}, []int{5}, 1, 1, tc.probe)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			if h := o.Curvature(w); math.Abs(float64(h[0])-8) > 1e-5 {
				t.Errorf("curvature changed to %v after an error", h)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Estimate(ctx, []*Param{w}, []int{0}, 1, 1, good); err == nil {
		t.Error("no error with a cancelled context")
	}
	if err := o.Estimate(context.Background(), []*Param{w}, nil, 1, 1, good); err == nil {
		t.Error("no error without examples")
	}
}

// ExampleSDLM estimates the curvature of a least-squares problem and takes
// one step, which for a quadratic loss with a diagonal Hessian, rate 1 and
// no damping is Newton's step to the minimum.
func ExampleSDLM() {
	// Loss ‖A·w - A·(1, 2)‖² with A = diag(1, 3): Hessian diag(2, 18).
	w := NewParam("w", 2)
	a, _ := FromData([]float32{1, 0, 0, 3}, 2, 2)
	probe := func(tp *Tape, _ int, seed uint64) (*Var, error) {
		return tp.GaussNewtonProbe(matVec(tp, a, w), 2, seed)
	}
	opt := &SDLM{Mu: 1e-9}
	if err := opt.Estimate(context.Background(), []*Param{w}, []int{0}, 1, 1, probe); err != nil {
		panic(err)
	}
	fmt.Printf("h: %.3f\n", opt.Curvature(w))
	grads := NewGrads([]*Param{w})
	g := grads.Of(w).Data
	g[0], g[1] = 2*1*(0-1), 2*9*(0-2) // the gradient at w = 0
	opt.Step(grads, 1)
	fmt.Printf("w: %.3f\n", w.Value.Data)
	// Output:
	// h: [2.000 18.000]
	// w: [1.000 2.000]
}
