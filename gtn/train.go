package gtn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gotn/gotn/internal/progress"
)

// A StepFunc computes, on tape tp, the loss of the examples with the given
// indices (for example by building the batch tensor of those examples and
// running the model on it) and returns it as a one-element Var holding the
// mean loss over the n examples it used (normally n = len(examples); fewer
// if it skipped some, and 0 to skip them all). The trainer calls
// tp.Backward on it. tp's gradients belong to one worker: a StepFunc runs
// concurrently with other calls of itself, on other tapes and examples, so
// it must not write shared state (reading the model's parameters through
// tp.Param is fine: they change only between batches).
type StepFunc func(tp *Tape, examples []int) (loss *Var, n int, err error)

// Trainer is a data-parallel training loop. Each batch is split into
// contiguous parts, one per worker; each worker runs the StepFunc and the
// backward pass on its own tape and gradients, and the gradients are
// combined, weighted by the number of examples, so that the update is the
// gradient of the mean loss over the whole batch, whatever the number of
// workers. For a fixed number of workers the result is deterministic
// (given a deterministic StepFunc): the parts and the order of the sum
// depend only on the batch.
//
// Set the exported fields before the first call and do not change Params
// afterwards. A Trainer must not be used by several goroutines at once.
type Trainer struct {
	Params    []*Param
	Optimizer Optimizer
	Schedule  Schedule
	// Workers is the number of parallel workers; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// Progress receives a progress bar (redrawn in place on a terminal,
	// one summary line per epoch otherwise); nil for none.
	Progress io.Writer
	// Unit names the examples on the progress bar, for example "img";
	// default "ex".
	Unit string
	// OneByOne runs the StepFunc and the backward pass on one example at
	// a time, accumulating the gradients, so that a worker's tape holds
	// one example instead of its whole part of the batch (a full check's
	// tape is hundreds of megabytes). The update is the same gradient of
	// the mean loss (up to the order of the sums); set it when the
	// StepFunc gains nothing from seeing several examples at once.
	OneByOne bool

	workers []*worker
	sum     *Grads // the combined gradient of a batch
}

// worker is one worker's tape and gradients, reused across batches.
type worker struct {
	grads *Grads
	tape  *Tape
	loss  float64 // mean loss of its part
	n     int     // examples it used
	err   error
}

// EpochStats summarises an epoch (or the part of it done before an error).
type EpochStats struct {
	Epoch    int
	Rate     float64 // learning rate
	Loss     float64 // mean loss per example
	Examples int     // examples used
	Batches  int     // optimizer steps
	Seconds  float64
	// PerSecond is the number of examples per second.
	PerSecond float64
}

// String formats the statistics on one line.
func (s EpochStats) String() string {
	return fmt.Sprintf("epoch %d: loss %.6g over %s examples (%d steps, rate %g), %.1f s, %s examples/s",
		s.Epoch, s.Loss, progress.Commas(s.Examples), s.Batches, s.Rate, s.Seconds, progress.Rate(s.PerSecond))
}

// init (re)creates the workers' tapes and gradients if needed.
func (t *Trainer) init() error {
	if t.Optimizer == nil {
		return errors.New("gtn: Trainer: no Optimizer")
	}
	if len(t.Params) == 0 {
		return errors.New("gtn: Trainer: no Params")
	}
	n := t.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if len(t.workers) == n && t.sum != nil && sameParams(t.sum.Params(), t.Params) {
		return nil
	}
	t.workers = make([]*worker, n)
	for i := range t.workers {
		g := NewGrads(t.Params)
		t.workers[i] = &worker{grads: g, tape: NewTape(g)}
	}
	t.sum = NewGrads(t.Params)
	return nil
}

func sameParams(a, b []*Param) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Epoch trains on the examples of order (indices passed to step), in
// batches of batch examples (the last may be smaller), with the learning
// rate Schedule.Rate(epoch), one optimizer step per batch. It stops at the
// first error: a StepFunc error or panic, a loss or gradient that is NaN
// or infinite (the parameters are then left as after the previous batch),
// or the cancellation of ctx, checked between batches. The statistics
// cover the batches done.
func (t *Trainer) Epoch(ctx context.Context, epoch int, order []int, batch int, step StepFunc) (EpochStats, error) {
	stats := EpochStats{Epoch: epoch}
	if batch <= 0 {
		return stats, fmt.Errorf("gtn: Trainer: batch size %d", batch)
	}
	if t.Schedule == nil {
		return stats, errors.New("gtn: Trainer: no Schedule")
	}
	if err := t.init(); err != nil {
		return stats, err
	}
	stats.Rate = t.Schedule.Rate(epoch)
	var bar *progress.Bar
	if t.Progress != nil {
		unit := t.Unit
		if unit == "" {
			unit = "ex"
		}
		bar = progress.New(t.Progress, len(order), progress.Options{Label: fmt.Sprintf("epoch %d", epoch), Unit: unit})
		defer bar.Finish()
	}
	start := time.Now()
	total := 0.0
	finish := func() EpochStats {
		stats.Seconds = time.Since(start).Seconds()
		if stats.Examples > 0 {
			stats.Loss = total / float64(stats.Examples)
			stats.PerSecond = float64(stats.Examples) / max(stats.Seconds, 1e-9)
		}
		return stats
	}
	for lo := 0; lo < len(order); lo += batch {
		if err := ctx.Err(); err != nil {
			return finish(), &epochError{fmt.Sprintf("gtn: epoch %d stopped after %d of %d examples", epoch, lo, len(order)), err}
		}
		hi := min(lo+batch, len(order))
		loss, n, err := t.Batch(order[lo:hi], stats.Rate, step)
		if err != nil {
			return finish(), &epochError{fmt.Sprintf("gtn: epoch %d, batch %d (positions %d-%d of the epoch)", epoch, lo/batch, lo, hi-1), err}
		}
		if n > 0 {
			total += loss * float64(n)
			stats.Examples += n
			stats.Batches++
		}
		if bar != nil {
			bar.Update(hi, total/float64(max(stats.Examples, 1)))
		}
	}
	return finish(), nil
}

// Batch makes one optimizer step, with learning rate lr, on the mean loss
// of examples, split across the workers. It returns the mean loss and the
// number of examples used (0: no step was made). On error the parameters
// are unchanged.
func (t *Trainer) Batch(examples []int, lr float64, step StepFunc) (loss float64, n int, err error) {
	if err := t.init(); err != nil {
		return 0, 0, err
	}
	nw := min(len(t.workers), len(examples))
	if nw == 0 {
		return 0, 0, nil
	}
	// Worker i takes examples [i·len/nw, (i+1)·len/nw).
	part := func(i int) []int { return examples[i*len(examples)/nw : (i+1)*len(examples)/nw] }
	var wg sync.WaitGroup
	run := (*worker).run
	if t.OneByOne {
		run = (*worker).runOneByOne
	}
	for i := 1; i < nw; i++ {
		w, ex := t.workers[i], part(i)
		wg.Go(func() { run(w, ex, step) })
	}
	run(t.workers[0], part(0), step)
	wg.Wait()

	for _, w := range t.workers[:nw] {
		if w.err != nil {
			return 0, 0, w.err
		}
		n += w.n
	}
	if n == 0 {
		return 0, 0, nil
	}
	// sum = Σ_w (n_w/n)·grads_w: the gradient of the mean over the batch.
	sum := t.sum
	if nw == 1 {
		sum, loss = t.workers[0].grads, t.workers[0].loss
	} else {
		sum.Zero()
		for _, w := range t.workers[:nw] {
			if w.n == 0 {
				continue
			}
			loss += w.loss * float64(w.n)
			s := float32(float64(w.n) / float64(n))
			for i := range sum.grads {
				dst := sum.grads[i].Data
				for j, v := range w.grads.grads[i].Data[:len(dst)] {
					dst[j] += s * v
				}
			}
		}
		loss /= float64(n)
	}
	if err := checkFinite(sum); err != nil {
		return 0, 0, err
	}
	t.Optimizer.Step(sum, lr)
	return loss, n, nil
}

// run computes the loss and gradients of examples on the worker's tape.
func (w *worker) run(examples []int, step StepFunc) {
	w.grads.Zero()
	w.loss, w.n, w.err = w.backward(examples, step)
}

// runOneByOne is run one example at a time: the backward passes add up
// in the worker's gradients, which are then divided by the number of
// examples used; the loss is their mean.
func (w *worker) runOneByOne(examples []int, step StepFunc) {
	w.grads.Zero()
	w.loss, w.n, w.err = 0, 0, nil
	var sum float64
	for k := range examples {
		loss, n, err := w.backward(examples[k:k+1], step)
		if err != nil {
			w.err = err
			return
		}
		sum += loss * float64(n)
		w.n += n
	}
	if w.n > 0 {
		w.grads.Scale(1 / float32(w.n))
		w.loss = sum / float64(w.n)
	}
}

// backward runs step on examples on the worker's tape, reset first, and
// adds the gradient of its loss to the worker's gradients. It returns the
// loss and the number of examples used.
func (w *worker) backward(examples []int, step StepFunc) (loss float64, n int, err error) {
	w.tape.Reset()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gtn: step panicked on %s: %v\n%s", describe(examples), r, debug.Stack())
		}
	}()
	v, n, err := step(w.tape, examples)
	switch {
	case err != nil:
		return 0, 0, err
	case n <= 0:
		return 0, 0, nil
	case n > len(examples):
		return 0, 0, fmt.Errorf("gtn: step reports %d examples used of %d", n, len(examples))
	case v == nil || v.Value == nil:
		return 0, 0, fmt.Errorf("gtn: step returned no loss for %s", describe(examples))
	}
	loss = v.Scalar()
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, 0, fmt.Errorf("gtn: loss is %v on %s: training diverged (lower the learning rate)", loss, describe(examples))
	}
	if err := w.tape.Backward(v); err != nil {
		return 0, 0, err
	}
	return loss, n, nil
}

// epochError says where in an epoch err happened.
type epochError struct {
	where string
	err   error
}

func (e *epochError) Error() string {
	return e.where + ": " + strings.TrimPrefix(e.err.Error(), "gtn: ")
}

func (e *epochError) Unwrap() error { return e.err }

// describe names a list of examples briefly.
func describe(examples []int) string {
	if len(examples) <= 8 {
		return fmt.Sprintf("examples %v", examples)
	}
	return fmt.Sprintf("%d examples %v ... %v", len(examples), examples[:4], examples[len(examples)-2:])
}
