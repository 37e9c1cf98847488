package gtn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
)

// SDLM is the stochastic diagonal Levenberg-Marquardt method of LeCun et
// al. (1998, appendix C; LeCun, Bottou, Orr & Müller, "Efficient
// BackProp", 1998, section 9.1): gradient descent with one step size per
// parameter,
//
//	w_k -= lr / (Mu + h_kk) · (g_k + WeightDecay·w_k),
//
// where h_kk is an estimate of the k-th diagonal element of the
// Gauss-Newton approximation of the Hessian of the loss (the mean over
// examples of the per-example loss, as the Trainer minimises). Estimate
// computes the h_kk on a sample of the training set; the paper re-estimates
// them on 500 examples before every pass, which costs about 1% of a pass of
// 60,000. Until the first Estimate every h_kk is zero (the step is lr/Mu
// times the gradient). Mu keeps the step bounded where the curvature is
// small.
//
// # What Estimate computes
//
// For one example with network output z(w) and loss ℓ(z), the Gauss-Newton
// matrix is G = Jᵀ·H·J, with J = ∂z/∂w and H = ∂²ℓ/∂z² (positive
// semi-definite for the losses used here): the Hessian of ℓ(z(w)) without
// the terms in the second derivatives of the network. If u is a random
// vector with E[u·uᵀ] = H, then g = Jᵀ·u has E[g·gᵀ] = G, so that
// E[g_k²] = G_kk: an unbiased estimate of the diagonal that needs only the
// ordinary backward pass, which computes Jᵀ·u as the gradient of the
// scalar uᵀ·z (z's value treated as linear in u). A CurvatureProbe returns
// that scalar for one example; GaussNewtonProbe builds it for a loss with
// H = c·I (u = √c·v with v a Rademacher vector: ±1 entries), FisherProbe
// for the NLL loss on class energies (u = e_ỹ - p, the gradient of the loss
// at a label ỹ drawn from the model's own posterior p). Estimate sets
// h_kk to the mean of g_k² over the sample, one independent draw per
// example.
//
// LeCun's bbprop instead propagates diagonal second derivatives backwards
// layer by layer, dropping the off-diagonal terms at every layer; the
// estimate here has no such approximation beyond Gauss-Newton's (for a
// weight shared by many connections, as in a convolution, it includes the
// cross terms between the connections) but is noisy: its relative error on
// one h_kk over n examples is of order √(2/n) in the worst case, averaged
// out by the damping Mu.
//
// # Batches
//
// The paper updated the weights after every example, with lr from 0.0005
// down to 0.00001 and Mu = 0.02. The Trainer steps on the mean gradient of
// a batch, so lr is for that mean. At LeCun's initialisation nearly every
// h_kk is far below Mu (the activations are small), so the first steps are
// lr/Mu times the gradient; on LeNet-5 with batches of 32 that ratio must
// stay near 0.01 or training diverges in the first epoch (and so did the
// paper's per-example settings with this estimator), hence gtn mnist
// train's lr 0.016 (the paper's 0.0005 per example, times 32) with Mu 1.6.
type SDLM struct {
	// Mu is the damping μ; zero means 0.02, the paper's value (for
	// updates after every example; see Batches).
	Mu float64
	// WeightDecay adds WeightDecay·w to every gradient (L2
	// regularisation).
	WeightDecay float64

	curv    map[*Param][]float32
	workers []*probeWorker
}

// A CurvatureProbe computes, on tape tp, for training example example, a
// one-element Var s whose gradient g = ∂s/∂w with respect to the
// parameters is a random vector with E[g_k²] = G_kk, the diagonal of the
// Gauss-Newton matrix of that example's loss (see SDLM). Its randomness
// must be a function of seed. Typically it runs the network on the example
// and returns tp.GaussNewtonProbe or tp.FisherProbe of the output. Like a
// StepFunc it runs concurrently with itself on other tapes.
type CurvatureProbe func(tp *Tape, example int, seed uint64) (*Var, error)

// probeWorker is one goroutine's tape, gradients and sum of squares.
type probeWorker struct {
	grads *Grads
	tape  *Tape
	sq    [][]float64 // per parameter, Σ g²
	err   error
}

func (o *SDLM) mu() float32 {
	if o.Mu == 0 {
		return 0.02
	}
	return float32(o.Mu)
}

// Curvature returns the current estimate of the h_kk of parameter p (nil
// before the first Estimate or for a parameter Estimate was not given). The
// slice is the optimizer's: do not modify it.
func (o *SDLM) Curvature(p *Param) []float32 { return o.curv[p] }

// Estimate replaces the curvature estimates of params (the fixed ones are
// skipped) by the mean over examples of the squared gradients of probe (see
// SDLM), running one probe per example on workers goroutines (0:
// runtime.GOMAXPROCS(0)), each on a contiguous part of examples. The probe
// for examples[i] gets a seed derived from seed and i. For a fixed number of
// workers the result is deterministic. Call it between optimizer steps,
// never during one. On error (a probe error or panic, a non-finite
// gradient, the cancellation of ctx) the previous estimates are kept.
func (o *SDLM) Estimate(ctx context.Context, params []*Param, examples []int, seed uint64, workers int, probe CurvatureProbe) error {
	if len(examples) == 0 {
		return errors.New("gtn: SDLM.Estimate: no examples")
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(examples))
	if len(o.workers) < workers || !sameParams(o.workers[0].grads.Params(), params) {
		o.workers = make([]*probeWorker, workers)
		for i := range o.workers {
			g := NewGrads(params)
			w := &probeWorker{grads: g, tape: NewTape(g), sq: make([][]float64, len(params))}
			for j, p := range params {
				if !p.Fixed {
					w.sq[j] = make([]float64, p.Value.Len())
				}
			}
			o.workers[i] = w
		}
	}
	part := func(i int) (int, int) { return i * len(examples) / workers, (i + 1) * len(examples) / workers }
	var wg sync.WaitGroup
	for i := range workers {
		lo, hi := part(i)
		w := o.workers[i]
		wg.Go(func() { w.run(ctx, examples, lo, hi, seed, probe) })
	}
	wg.Wait()
	for _, w := range o.workers[:workers] {
		if w.err != nil {
			return w.err
		}
	}
	if o.curv == nil {
		o.curv = map[*Param][]float32{}
	}
	inv := 1 / float64(len(examples))
	for j, p := range params {
		if p.Fixed {
			continue
		}
		h := o.curv[p]
		if h == nil {
			h = make([]float32, p.Value.Len())
			o.curv[p] = h
		}
		for k := range h {
			s := 0.0
			for _, w := range o.workers[:workers] {
				s += w.sq[j][k]
			}
			h[k] = float32(s * inv)
		}
	}
	return nil
}

// run probes examples[lo:hi] and sums the squared gradients.
func (w *probeWorker) run(ctx context.Context, examples []int, lo, hi int, seed uint64, probe CurvatureProbe) {
	w.err = nil
	for _, s := range w.sq {
		clear(s)
	}
	defer func() {
		if r := recover(); r != nil {
			w.err = fmt.Errorf("gtn: curvature probe panicked: %v\n%s", r, debug.Stack())
		}
	}()
	for i := lo; i < hi; i++ {
		if err := ctx.Err(); err != nil {
			w.err = fmt.Errorf("gtn: SDLM curvature estimate stopped: %w", err)
			return
		}
		ex := examples[i]
		w.tape.Reset()
		w.grads.Zero()
		s, err := probe(w.tape, ex, probeSeed(seed, uint64(i)))
		if err != nil {
			w.err = fmt.Errorf("gtn: curvature probe on example %d: %w", ex, err)
			return
		}
		if err := w.tape.Backward(s); err != nil {
			w.err = fmt.Errorf("gtn: curvature probe on example %d: %w", ex, err)
			return
		}
		for j, sq := range w.sq {
			if sq == nil {
				continue
			}
			for k, g := range w.grads.At(j).Data {
				sq[k] += float64(g) * float64(g)
			}
		}
	}
	for j, sq := range w.sq {
		for _, v := range sq {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				w.err = fmt.Errorf("gtn: curvature of %s is %v", w.grads.Params()[j].Name, v)
				return
			}
		}
	}
}

// probeSeed derives the seed of probe i from seed (SplitMix64 finaliser).
func probeSeed(seed, i uint64) uint64 {
	z := seed ^ (i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Step implements Optimizer: w_k -= lr/(Mu + h_kk)·(g_k + WeightDecay·w_k).
func (o *SDLM) Step(grads *Grads, lr float64) {
	mu, wd := o.mu(), float32(o.WeightDecay)
	eta := float32(lr)
	for i, p := range grads.Params() {
		if p.Fixed {
			continue
		}
		g, w, h := grads.At(i).Data, p.Value.Data, o.curv[p]
		if h == nil {
			s := eta / mu
			for k := range w {
				w[k] -= s * (g[k] + wd*w[k])
			}
			continue
		}
		h = h[:len(w)]
		g = g[:len(w)]
		for k := range w {
			w[k] -= eta / (mu + h[k]) * (g[k] + wd*w[k])
		}
	}
}

// GaussNewtonProbe returns the probe scalar s = √c · Σ_j v_j·z_j for the
// output z of a network whose loss has the Hessian c·I with respect to z
// (c = 2 for the squared distance ‖z - t‖², the energy loss of an RBF
// output with respect to its input), with v a vector of independent ±1
// values drawn from seed. The gradient of s is √c·Jᵀ·v, whose squares have
// the expectation diag(Jᵀ·(c·I)·J) (see SDLM). z must need a gradient.
func (tp *Tape) GaussNewtonProbe(z *Var, c float64, seed uint64) (*Var, error) {
	if z.Grad == nil && tp.Training() {
		return nil, errors.New("gtn: GaussNewtonProbe: the output does not depend on anything trainable")
	}
	if !(c >= 0) || math.IsInf(c, 1) {
		return nil, fmt.Errorf("gtn: GaussNewtonProbe: Hessian scale %v, want a finite c >= 0", c)
	}
	sc := float32(math.Sqrt(c))
	v := tp.Tensor(z.Value.Len()).Data
	r := rand.NewPCG(seed, 0x72616465) // "rade"
	var bits uint64
	for j := range v {
		if j%64 == 0 {
			bits = r.Uint64()
		}
		if bits&1 == 0 {
			v[j] = sc
		} else {
			v[j] = -sc
		}
		bits >>= 1
	}
	s := tp.NewVar(z.Grad != nil, 1)
	var sum float64
	for j, x := range z.Value.Data {
		sum += float64(v[j]) * float64(x)
	}
	s.Value.Data[0] = float32(sum)
	tp.OnBackward(func() {
		gs := s.Grad.Data[0]
		for j := range v {
			z.Grad.Data[j] += gs * v[j]
		}
	})
	return s, nil
}

// FisherProbe returns the probe scalar for the NLL loss on class energies
// [N, C] at inverse temperature beta (1 when zero): for each row it draws a
// label ỹ from the model's posterior p = softmax(-beta·E) and adds
// √beta·(E_ỹ - F) to s, F the row's free energy. The gradient of a row's
// term with respect to the energies is √beta·(e_ỹ - p), whose covariance
// beta·(diag(p) - p·pᵀ) is the Hessian of the NLL loss with respect to the
// energies; so the squared gradient of s estimates the Gauss-Newton
// diagonal at the energies (which for a log-softmax output is the one at
// the scores: the Fisher information). With several rows the estimate is
// of the sum of their curvatures (the rows' draws are independent, so the
// cross terms vanish in expectation).
func (tp *Tape) FisherProbe(energies *Var, beta float64, seed uint64) (*Var, error) {
	if energies.Grad == nil && tp.Training() {
		return nil, errors.New("gtn: FisherProbe: the energies do not depend on anything trainable")
	}
	if len(energies.Value.Shape) != 2 {
		return nil, fmt.Errorf("gtn: FisherProbe: energies have shape %v, want [N, classes]", energies.Value.Shape)
	}
	if beta == 0 {
		beta = 1
	}
	n, c := energies.Value.Rows()
	sb := math.Sqrt(beta)
	r := rand.New(rand.NewPCG(seed, 0x66697368)) // "fish"
	labels := make([]int, n)
	p := tp.Tensor(n, c).Data
	s := tp.NewVar(energies.Grad != nil, 1)
	var sum float64
	for i := range n {
		row := energies.Value.Row(i)
		f := freeEnergy(row, beta)
		pi := p[i*c : (i+1)*c]
		u := r.Float64()
		acc := 0.0
		labels[i] = c - 1
		chosen := false
		for k, e := range row {
			q := math.Exp(-beta * (float64(e) - f))
			pi[k] = float32(q)
			acc += q
			if !chosen && u < acc {
				labels[i], chosen = k, true
			}
		}
		sum += sb * (float64(row[labels[i]]) - f)
	}
	s.Value.Data[0] = float32(sum)
	tp.OnBackward(func() {
		gs := float32(sb) * s.Grad.Data[0]
		for i := range n {
			g := energies.Grad.Row(i)
			for k, q := range p[i*c : (i+1)*c] {
				g[k] -= gs * q
			}
			g[labels[i]] += gs
		}
	})
	return s, nil
}
