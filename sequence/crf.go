package sequence

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/gotn/gotn/gtn"
	"gonum.org/v1/gonum/optimize"
)

// objective evaluates Σ_sentences NLL + c2‖w‖² and its gradient over the
// training set, split over workers by contiguous ranges of sentences with
// about equal numbers of tokens. Each worker has its own Chain, buffers
// and gradient vector; the parts are summed in a fixed order, so the
// result does not depend on scheduling.
type objective struct {
	m       *Model
	data    []encoded
	c2      float64
	parts   [][2]int
	workers []*crfWorker

	// cache of the last evaluation (gonum asks for the function and the
	// gradient at the same point in two calls).
	x    []float64
	f    float64
	grad []float64
	err  error
	n    int // evaluations
}

type crfWorker struct {
	chain Chain
	emit  []float64
	dEmit []float64
	g     []float64
	f     float64
	err   error
}

func newObjective(m *Model, data []encoded, c2 float64, workers int) *objective {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(data)))
	o := &objective{m: m, data: data, c2: c2}
	total := 0
	for i := range data {
		total += data[i].len()
	}
	lo, acc := 0, 0
	for i := range data {
		acc += data[i].len()
		if len(o.parts) < workers-1 && acc*workers >= total*(len(o.parts)+1) {
			o.parts = append(o.parts, [2]int{lo, i + 1})
			lo = i + 1
		}
	}
	o.parts = append(o.parts, [2]int{lo, len(data)})
	for range o.parts {
		o.workers = append(o.workers, &crfWorker{g: make([]float64, len(m.params))})
	}
	o.grad = make([]float64, len(m.params))
	return o
}

// eval computes the objective and gradient at x (cached).
func (o *objective) eval(x []float64) {
	if o.x != nil && slices.Equal(o.x, x) {
		return
	}
	o.n++
	o.x = append(o.x[:0], x...)
	copy(o.m.params, x)
	m := o.m
	L := len(m.Labels)
	F := len(m.flabel)
	trans := m.params[F:]
	nll := gtn.NLLLoss{}
	var wg sync.WaitGroup
	for wi, p := range o.parts {
		wk := o.workers[wi]
		wg.Add(1)
		go func() {
			defer wg.Done()
			clear(wk.g)
			wk.f, wk.err = 0, nil
			gT := wk.g[F:]
			for i := p[0]; i < p[1]; i++ {
				d := &o.data[i]
				T := d.len()
				wk.emit = grow(wk.emit, T*L)
				wk.dEmit = grow(wk.dEmit, T*L)
				clear(wk.dEmit)
				m.emissions(d, wk.emit)
				l, _, err := wk.chain.Loss(wk.emit, trans, L, d.gold, nll, 0, wk.dEmit, gT)
				if err != nil {
					wk.err = fmt.Errorf("sentence %d: %w", i+1, err)
					return
				}
				wk.f += l
				m.scatter(d, wk.dEmit, wk.g)
			}
		}()
	}
	wg.Wait()
	o.f, o.err = 0, nil
	clear(o.grad)
	for _, wk := range o.workers {
		if wk.err != nil && o.err == nil {
			o.err = wk.err
		}
		o.f += wk.f
		for k, v := range wk.g {
			o.grad[k] += v
		}
	}
	if o.err != nil {
		o.f = math.Inf(1)
		return
	}
	if o.c2 > 0 {
		norm := 0.0
		for k, v := range x {
			norm += v * v
			o.grad[k] += 2 * o.c2 * v
		}
		o.f += o.c2 * norm
	}
}

// relConverger stops when the objective improved by less than delta
// (relative to the current value) over the last period iterations:
// CRFsuite's (libLBFGS's) "past"/"delta" test.
type relConverger struct {
	period int
	delta  float64
	hist   []float64
}

func (c *relConverger) Init(int) { c.hist = c.hist[:0] }

func (c *relConverger) Converged(loc *optimize.Location) optimize.Status {
	c.hist = append(c.hist, loc.F)
	if n := len(c.hist); n > c.period {
		past := c.hist[n-1-c.period]
		if (past-loc.F)/math.Max(math.Abs(loc.F), 1e-300) < c.delta {
			return optimize.FunctionConvergence
		}
	}
	return optimize.NotTerminated
}

// trainCRF minimises the CRF objective with L-BFGS.
func trainCRF(ctx context.Context, m *Model, data []encoded, cfg *TrainConfig, st *Stats) error {
	c2 := cfg.C2
	if c2 == 0 {
		c2 = 1
	}
	period, delta, memory := cfg.Period, cfg.Delta, cfg.Memory
	if period <= 0 {
		period = 10
	}
	if delta <= 0 {
		delta = 1e-5
	}
	if memory <= 0 {
		memory = 6
	}
	o := newObjective(m, data, c2, cfg.Workers)
	iter := 0
	t0 := time.Now()
	last := t0
	prob := optimize.Problem{
		Func: func(x []float64) float64 { o.eval(x); return o.f },
		Grad: func(g, x []float64) { o.eval(x); copy(g, o.grad) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		Converger:         &relConverger{period: period, delta: delta},
		MajorIterations:   cfg.MaxIterations,
		GradientThreshold: 0,
		Recorder: recorderFunc(func(loc *optimize.Location, op optimize.Operation) {
			if op != optimize.MajorIteration {
				return
			}
			iter++
			now := time.Now()
			logf(cfg.Log, "crf iteration %d: objective %.6g, %d evaluations, %.2f s (%.1f s total)\n", iter, loc.F, o.n, now.Sub(last).Seconds(), now.Sub(t0).Seconds())
			last = now
		}),
	}
	method := &optimize.LBFGS{Store: memory, Linesearcher: &optimize.MoreThuente{}, GradStopThreshold: 1e-8}
	x0 := make([]float64, len(m.params))
	res, err := optimize.Minimize(prob, x0, settings, method)
	if o.err != nil {
		return fmt.Errorf("sequence: crf: %w", o.err)
	}
	if res == nil {
		return fmt.Errorf("sequence: crf: %w", err)
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	// A line search that fails after progress (the objective is flat to
	// machine precision) still leaves a good point.
	copy(m.params, res.X)
	st.Iterations = res.Stats.MajorIterations
	st.Evaluations = o.n
	st.Objective = res.F
	st.Status = res.Status.String()
	if err != nil {
		st.Status += ": " + err.Error()
	}
	return nil
}

// recorderFunc adapts a function to optimize.Recorder.
type recorderFunc func(*optimize.Location, optimize.Operation)

func (recorderFunc) Init() error { return nil }

func (f recorderFunc) Record(loc *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	f(loc, op)
	return nil
}
