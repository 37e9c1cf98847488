package gtn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// testLinear returns the energies x·W + b for x [N,D], W [D,C], b [C]: a
// minimal layer for the trainer's tests.
func testLinear(tp *Tape, x, w, b *Var) *Var {
	n, d := x.Value.Rows()
	c := w.Value.Shape[1]
	out := tp.NewVar(x.NeedsGrad() || w.NeedsGrad() || b.NeedsGrad(), n, c)
	for i := range n {
		xi, oi := x.Value.Row(i), out.Value.Row(i)
		copy(oi, b.Value.Data)
		for k, a := range xi {
			for j, v := range w.Value.Data[k*c : (k+1)*c] {
				oi[j] += a * v
			}
		}
	}
	tp.OnBackward(func() {
		for i := range n {
			xi, gi := x.Value.Row(i), out.Grad.Row(i)
			for k := range d {
				for j, g := range gi {
					if w.Grad != nil {
						w.Grad.Data[k*c+j] += xi[k] * g
					}
					if x.Grad != nil {
						x.Grad.Row(i)[k] += w.Value.Data[k*c+j] * g
					}
				}
			}
			if b.Grad != nil {
				for j, g := range gi {
					b.Grad.Data[j] += g
				}
			}
		}
	})
	return out
}

// toy is a 3-class problem in the plane: Gaussian blobs around three
// centres, plus a few examples that the step skips (label -1).
type toy struct {
	x [][2]float32
	y []int
}

func newToy(n int, seed uint64, skip bool) *toy {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := [3][2]float64{{0, 2}, {1.8, -1}, {-1.8, -1}}
	t := &toy{}
	for i := range n {
		c := i % 3
		t.x = append(t.x, [2]float32{
			float32(centres[c][0] + 0.6*r.NormFloat64()),
			float32(centres[c][1] + 0.6*r.NormFloat64()),
		})
		if skip && i%7 == 0 {
			c = -1
		}
		t.y = append(t.y, c)
	}
	return t
}

type toyModel struct{ w, b *Param }

func newToyModel(seed uint64) *toyModel {
	m := &toyModel{w: NewParam("w", 2, 3), b: NewParam("b", 3)}
	r := rand.New(rand.NewPCG(seed, 2))
	for i := range m.w.Value.Data {
		m.w.Value.Data[i] = float32(r.Float64() - 0.5)
	}
	return m
}

func (m *toyModel) params() []*Param { return []*Param{m.w, m.b} }

// step is the StepFunc: the mean NLL loss of the examples it does not
// skip.
func (m *toyModel) step(data *toy) StepFunc {
	return func(tp *Tape, examples []int) (*Var, int, error) {
		var use []int
		for _, e := range examples {
			if data.y[e] >= 0 {
				use = append(use, e)
			}
		}
		if len(use) == 0 {
			return nil, 0, nil
		}
		x := tp.Tensor(len(use), 2)
		labels := make([]int, len(use))
		for i, e := range use {
			copy(x.Row(i), data.x[e][:])
			labels[i] = data.y[e]
		}
		energies := testLinear(tp, tp.Const(x), tp.Param(m.w), tp.Param(m.b))
		loss, err := tp.ClassLoss(energies, labels, NLLLoss{})
		return loss, len(use), err
	}
}

func (m *toyModel) accuracy(data *toy) float64 {
	tp := NewTape(nil)
	right := 0
	for i, xy := range data.x {
		x, _ := FromData(xy[:], 1, 2)
		e := testLinear(tp, tp.Const(x), tp.Param(m.w), tp.Param(m.b)).Value.Data
		best := 0
		for j := range e {
			if e[j] < e[best] {
				best = j
			}
		}
		if best == data.y[i] {
			right++
		}
		tp.Reset()
	}
	return float64(right) / float64(len(data.x))
}

func shuffled(n int, seed uint64, epoch int) []int {
	return rand.New(rand.NewPCG(seed, uint64(epoch))).Perm(n)
}

// TestTestLinearGradient checks the test layer (and so the gradients the
// trainer combines) against central differences.
func TestTestLinearGradient(t *testing.T) {
	m := newToyModel(1)
	data := newToy(12, 1, false)
	examples := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	lossAt := func() float64 {
		tp := NewTape(nil)
		x := NewTensor(len(examples), 2)
		labels := make([]int, len(examples))
		for i, e := range examples {
			copy(x.Row(i), data.x[e][:])
			labels[i] = data.y[e]
		}
		e := testLinear(tp, tp.Const(x), tp.Param(m.w), tp.Param(m.b))
		l, err := tp.ClassLoss(e, labels, NLLLoss{})
		if err != nil {
			t.Fatal(err)
		}
		return l.Scalar()
	}
	grads := NewGrads(m.params())
	tp := NewTape(grads)
	loss, _, err := m.step(data)(tp, examples)
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.params() {
		for i := range p.Value.Data {
			old := p.Value.Data[i]
			const h = 1e-2
			p.Value.Data[i] = old + h
			up := lossAt()
			p.Value.Data[i] = old - h
			down := lossAt()
			p.Value.Data[i] = old
			num := (up - down) / (2 * h)
			got := float64(grads.Of(p).Data[i])
			if math.Abs(got-num) > 1e-2*math.Max(1e-2, math.Abs(num)) {
				t.Errorf("%s[%d]: gradient %.5f, finite difference %.5f", p.Name, i, got, num)
			}
		}
	}
}

// TestTrainerLearnsToy trains the linear model with 2 workers and checks
// it classifies held-out examples.
func TestTrainerLearnsToy(t *testing.T) {
	train, test := newToy(600, 1, false), newToy(300, 2, false)
	m := newToyModel(3)
	tr := &Trainer{Params: m.params(), Optimizer: &SGD{Momentum: 0.9}, Schedule: ConstantRate(0.05), Workers: 2}
	before := m.accuracy(test)
	var first, last EpochStats
	for epoch := range 5 {
		stats, err := tr.Epoch(context.Background(), epoch, shuffled(len(train.x), 9, epoch), 16, m.step(train))
		if err != nil {
			t.Fatal(err)
		}
		if epoch == 0 {
			first = stats
		}
		last = stats
		t.Log(stats)
	}
	if last.Examples != 600 || last.Batches != 38 || last.Epoch != 4 || last.Rate != 0.05 || last.PerSecond <= 0 {
		t.Errorf("statistics %+v", last)
	}
	if !(last.Loss < first.Loss/2) {
		t.Errorf("loss went from %.4f to %.4f", first.Loss, last.Loss)
	}
	// The blobs overlap a little: the Bayes error is about 1%.
	if acc := m.accuracy(test); acc < 0.96 {
		t.Errorf("test accuracy %.3f (before training %.3f), want >= 0.96", acc, before)
	}
}

// TestTrainerWorkersAgree checks that one optimizer step gives the same
// parameters and loss whatever the number of workers, and one example at a
// time (OneByOne) as a part at a time, including when the parts are
// unequal and some examples are skipped (the weighting must follow the
// number of examples used).
func TestTrainerWorkersAgree(t *testing.T) {
	data := newToy(50, 4, true)
	examples := []int{3, 7, 14, 15, 16, 21, 22, 30, 31, 40, 41}
	var ref []float32
	var refLoss float64
	for _, oneByOne := range []bool{false, true} {
		for _, workers := range []int{1, 2, 3, 4, 11, 20} {
			m := newToyModel(5)
			tr := &Trainer{Params: m.params(), Optimizer: &SGD{}, Schedule: ConstantRate(1), Workers: workers, OneByOne: oneByOne}
			step := m.step(data)
			loss, n, err := tr.Batch(examples, 1, func(tp *Tape, ex []int) (*Var, int, error) {
				if oneByOne && len(ex) != 1 {
					t.Errorf("one by one: the step got %d examples", len(ex))
				}
				return step(tp, ex)
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != 8 { // 7, 14, 21 are skipped
				t.Fatalf("%d workers, one by one %v: %d examples used, want 8", workers, oneByOne, n)
			}
			got := append(append([]float32(nil), m.w.Value.Data...), m.b.Value.Data...)
			if ref == nil {
				ref, refLoss = got, loss
				// The step must have moved the parameters.
				m0 := newToyModel(5)
				if got[0] == m0.w.Value.Data[0] {
					t.Fatal("the step changed nothing")
				}
				t.Logf("loss %.5f", loss)
				continue
			}
			if math.Abs(loss-refLoss) > 1e-6*math.Max(1, math.Abs(refLoss)) {
				t.Errorf("%d workers, one by one %v: loss %v, 1 worker gives %v", workers, oneByOne, loss, refLoss)
			}
			for i := range got {
				if math.Abs(float64(got[i]-ref[i])) > 1e-6*math.Max(1, math.Abs(float64(ref[i]))) {
					t.Errorf("%d workers, one by one %v: parameter %d = %v, 1 worker gives %v", workers, oneByOne, i, got[i], ref[i])
				}
			}
		}
	}
}

// TestTrainerDeterministic runs the same training twice with 2 workers and
// expects bit-identical parameters.
func TestTrainerDeterministic(t *testing.T) {
	data := newToy(200, 6, true)
	run := func() []float32 {
		m := newToyModel(7)
		tr := &Trainer{Params: m.params(), Optimizer: &Adam{}, Schedule: ConstantRate(0.01), Workers: 2}
		for epoch := range 2 {
			if _, err := tr.Epoch(context.Background(), epoch, shuffled(200, 1, epoch), 10, m.step(data)); err != nil {
				t.Fatal(err)
			}
		}
		return append(m.w.Value.Clone().Data, m.b.Value.Data...)
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("runs differ at parameter %d: %v vs %v", i, a[i], b[i])
		}
	}
}

// TestTrainerUsesWorkers checks that the parts of a batch run on distinct
// tapes, concurrently, and that each tape is reused across batches.
func TestTrainerUsesWorkers(t *testing.T) {
	m := newToyModel(1)
	data := newToy(40, 1, false)
	var mu sync.Mutex
	tapes := map[*Tape][]int{}
	inner := m.step(data)
	step := func(tp *Tape, ex []int) (*Var, int, error) {
		mu.Lock()
		tapes[tp] = append(tapes[tp], ex...)
		mu.Unlock()
		return inner(tp, ex)
	}
	tr := &Trainer{Params: m.params(), Optimizer: &SGD{}, Schedule: ConstantRate(0.1), Workers: 2}
	if _, err := tr.Epoch(context.Background(), 0, shuffled(40, 1, 0), 8, step); err != nil {
		t.Fatal(err)
	}
	if len(tapes) != 2 {
		t.Fatalf("%d tapes used, want 2", len(tapes))
	}
	for tp, ex := range tapes {
		if len(ex) != 20 {
			t.Errorf("tape %p ran %d examples, want 20", tp, len(ex))
		}
	}
}

func TestTrainerDiverges(t *testing.T) {
	data := newToy(20, 1, false)
	for _, tc := range []struct {
		name   string
		poison func(m *toyModel)
		want   string
	}{
		// An infinite weight: the loss is infinite or NaN.
		{"loss", func(m *toyModel) { m.w.Value.Data[0] = float32(math.Inf(1)) }, "training diverged"},
		// A finite loss with a NaN gradient.
		{"gradient", nil, "gradient of b is NaN: training diverged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newToyModel(1)
			step := m.step(data)
			if tc.poison != nil {
				tc.poison(m)
			} else {
				inner := step
				step = func(tp *Tape, ex []int) (*Var, int, error) {
					tp.OnBackward(func() { tp.Grads().Of(m.b).Data[1] = float32(math.NaN()) })
					return inner(tp, ex)
				}
			}
			before := append(append([]float32(nil), m.w.Value.Data...), m.b.Value.Data...)
			tr := &Trainer{Params: m.params(), Optimizer: &SGD{}, Schedule: ConstantRate(0.1), Workers: 2}
			_, err := tr.Epoch(context.Background(), 3, shuffled(20, 1, 0), 5, step)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "epoch 3, batch 0") {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			after := append(append([]float32(nil), m.w.Value.Data...), m.b.Value.Data...)
			for i := range before {
				if before[i] != after[i] && !(math.IsInf(float64(before[i]), 0)) {
					t.Errorf("parameter %d changed from %v to %v by a failed batch", i, before[i], after[i])
				}
			}
		})
	}
}

func TestTrainerStepErrors(t *testing.T) {
	m := newToyModel(1)
	data := newToy(30, 1, false)
	inner := m.step(data)
	boom := errors.New("boom")
	for _, tc := range []struct {
		name          string
		step          StepFunc
		want, wantOne string // the error's text, part by part and one by one
	}{
		{"error", func(tp *Tape, ex []int) (*Var, int, error) {
			for _, e := range ex {
				if e == 17 {
					return nil, 0, fmt.Errorf("example %d: %w", e, boom)
				}
			}
			return inner(tp, ex)
		}, "example 17: boom", "example 17: boom"},
		{"panic", func(tp *Tape, ex []int) (*Var, int, error) {
			if ex[0] >= 20 {
				panic("index out of range")
			}
			return inner(tp, ex)
		}, "step panicked on examples [2", "step panicked on examples [20]"},
		{"too many", func(tp *Tape, ex []int) (*Var, int, error) {
			l, _, err := inner(tp, ex)
			return l, len(ex) + 1, err
		}, "step reports 4 examples used of 3", "step reports 2 examples used of 1"},
		{"no gradient", func(tp *Tape, ex []int) (*Var, int, error) {
			return tp.Const(NewTensor(1)), len(ex), nil
		}, "does not depend on anything trainable", "does not depend on anything trainable"},
	} {
		for _, oneByOne := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/one by one %v", tc.name, oneByOne), func(t *testing.T) {
				tr := &Trainer{Params: m.params(), Optimizer: &SGD{}, Schedule: ConstantRate(0.1), Workers: 2, OneByOne: oneByOne}
				order := make([]int, 30)
				for i := range order {
					order[i] = i
				}
				want := tc.want
				if oneByOne {
					want = tc.wantOne
				}
				stats, err := tr.Epoch(context.Background(), 0, order, 6, tc.step)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("got error %v, want one containing %q", err, want)
				}
				if tc.name == "error" && (!errors.Is(err, boom) || stats.Examples != 12 || !strings.Contains(err.Error(), "batch 2 (positions 12-17")) {
					t.Errorf("error %v, %d examples done; want batch 2 to fail after 12", err, stats.Examples)
				}
			})
		}
	}
}

func TestTrainerCancel(t *testing.T) {
	m := newToyModel(1)
	data := newToy(100, 1, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inner := m.step(data)
	var mu sync.Mutex
	calls := 0
	step := func(tp *Tape, ex []int) (*Var, int, error) {
		mu.Lock()
		calls++
		if calls == 6 { // during the third batch (two workers)
			cancel()
		}
		mu.Unlock()
		return inner(tp, ex)
	}
	tr := &Trainer{Params: m.params(), Optimizer: &SGD{}, Schedule: ConstantRate(0.1), Workers: 2}
	stats, err := tr.Epoch(ctx, 0, shuffled(100, 1, 0), 10, step)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped after 30 of 100 examples") {
		t.Fatalf("got error %v", err)
	}
	if stats.Examples != 30 || stats.Batches != 3 {
		t.Errorf("stats %+v, want the three batches started before the cancellation", stats)
	}
}

func TestTrainerProgress(t *testing.T) {
	m := newToyModel(1)
	data := newToy(90, 1, false)
	var buf bytes.Buffer
	tr := &Trainer{Params: m.params(), Optimizer: &SGD{}, Schedule: ConstantRate(0.1), Progress: &buf, Unit: "pt"}
	if _, err := tr.Epoch(context.Background(), 2, shuffled(90, 1, 0), 10, m.step(data)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "epoch 2: 90 pt  loss ") || !strings.Contains(out, " pt/s  0:00") {
		t.Errorf("progress output %q, want one summary line", out)
	}
}

func TestTrainerConfigErrors(t *testing.T) {
	m := newToyModel(1)
	step := m.step(newToy(10, 1, false))
	ctx := context.Background()
	for _, tc := range []struct {
		tr    *Trainer
		batch int
		want  string
	}{
		{&Trainer{Params: m.params(), Schedule: ConstantRate(1)}, 4, "no Optimizer"},
		{&Trainer{Params: m.params(), Optimizer: &SGD{}}, 4, "no Schedule"},
		{&Trainer{Optimizer: &SGD{}, Schedule: ConstantRate(1)}, 4, "no Params"},
		{&Trainer{Params: m.params(), Optimizer: &SGD{}, Schedule: ConstantRate(1)}, 0, "batch size 0"},
	} {
		if _, err := tc.tr.Epoch(ctx, 0, []int{1, 2}, tc.batch, step); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got error %v, want one containing %q", err, tc.want)
		}
	}
}

// ExampleTrainer trains a linear classifier of points in the plane.
func ExampleTrainer() {
	train := newToy(300, 1, false)
	m := newToyModel(1)
	tr := &Trainer{
		Params:    m.params(),
		Optimizer: &SGD{Momentum: 0.9},
		Schedule:  ConstantRate(0.05),
		Workers:   2,
	}
	for epoch := range 3 {
		order := shuffled(len(train.x), 1, epoch)
		if _, err := tr.Epoch(context.Background(), epoch, order, 16, m.step(train)); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("accuracy above 95%:", m.accuracy(newToy(300, 2, false)) > 0.95)
	// Output: accuracy above 95%: true
}

// BenchmarkTrainerBatch measures a step on a batch of 64 toy examples: the
// trainer's own cost (splitting, goroutines, gradient sums, checks) beside
// a model this small.
func BenchmarkTrainerBatch(b *testing.B) {
	data := newToy(64, 1, false)
	examples := shuffled(64, 1, 0)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			m := newToyModel(1)
			tr := &Trainer{Params: m.params(), Optimizer: &SGD{Momentum: 0.9}, Schedule: ConstantRate(0.01), Workers: workers}
			step := m.step(data)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := tr.Batch(examples, 0.01, step); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
