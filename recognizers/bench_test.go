package recognizers

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gotn/gotn/gtn"
)

// benchBatch returns a batch of n random LeNet inputs of size×size (values
// spread over [LeNetBackground, LeNetInk]) and labels.
func benchBatch(n, size, classes int) (*gtn.Tensor, []int) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := gtn.NewTensor(n, 1, size, size)
	for i := range x.Data {
		x.Data[i] = LeNetBackground + float32(rng.Float64())*(LeNetInk-LeNetBackground)
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(classes)
	}
	return x, labels
}

// reportRate reports images per second of wall time and, where the
// system tells, images per second of the process's CPU time (the useful
// figure on a shared machine: a one-goroutine benchmark that gets half a
// core shows half the wall-clock rate but the same CPU rate).
func reportRate(b *testing.B, images int, cpu0 time.Duration) {
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
	if cpu := cpuTime() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(float64(images)/cpu.Seconds(), "images/cpu-s")
	}
}

// benchTrain measures one training step (forward, loss, backward, SGD
// update) on batches of 32 on one goroutine.
func benchTrain(b *testing.B, arch, loss string) {
	const batch = 32
	net := newNet(b, arch, 10, 1)
	h, _ := net.InputSize()
	x, labels := benchBatch(batch, h, 10)
	l, err := gtn.ParseLoss(loss, gtn.LossOptions{})
	if err != nil {
		b.Fatal(err)
	}
	grads := gtn.NewGrads(net.Params())
	tp := gtn.NewTape(grads)
	opt := &gtn.SGD{Momentum: 0.9}
	step := func() {
		tp.Reset()
		grads.Zero()
		e, err := net.Forward(tp, tp.Const(x))
		if err != nil {
			b.Fatal(err)
		}
		lv, err := tp.ClassLoss(e, labels, l)
		if err != nil {
			b.Fatal(err)
		}
		if err := tp.Backward(lv); err != nil {
			b.Fatal(err)
		}
		opt.Step(grads, 1e-4)
	}
	step() // warm the tape's buffers
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		step()
	}
	reportRate(b, batch*b.N, cpu0)
}

// BenchmarkLeNet5TrainBatch32 measures a LeNet-5 training step on a batch
// of 32 (forward, loss, backward, SGD step) on one goroutine.
func BenchmarkLeNet5TrainBatch32(b *testing.B) { benchTrain(b, "lenet5", "energy") }

// BenchmarkLeNet5ModernTrainBatch32 is the same for lenet5-modern.
func BenchmarkLeNet5ModernTrainBatch32(b *testing.B) { benchTrain(b, "lenet5-modern", "nll") }

// BenchmarkLeNet1TrainBatch32 is the same for LeNet-1.
func BenchmarkLeNet1TrainBatch32(b *testing.B) { benchTrain(b, "lenet1", "energy") }

// BenchmarkLeNet5Inference measures LeNet-5's forward pass on batches of
// 256 on one goroutine.
func BenchmarkLeNet5Inference(b *testing.B) {
	const batch = 256
	net := newNet(b, "lenet5", 10, 1)
	x, _ := benchBatch(batch, 32, 10)
	tp := gtn.NewTape(nil)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		tp.Reset()
		if _, err := net.Forward(tp, tp.Const(x)); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, batch*b.N, cpu0)
}

// BenchmarkLeNet5InferenceParallel runs LeNet-5's forward pass on batches
// of 256 on GOMAXPROCS goroutines, one tape each, sharing the network.
func BenchmarkLeNet5InferenceParallel(b *testing.B) {
	const batch = 256
	net := newNet(b, "lenet5", 10, 1)
	x, _ := benchBatch(batch, 32, 10)
	workers := runtime.GOMAXPROCS(0)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tp := gtn.NewTape(nil)
			for i := w; i < b.N; i += workers {
				tp.Reset()
				if _, err := net.Forward(tp, tp.Const(x)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	reportRate(b, batch*b.N, cpu0)
}

// BenchmarkLeNet5TrainerBatch32 trains LeNet-5 with gtn.Trainer (one
// worker per core, each on its share of the batch of 32, gradients summed
// before the SGD step): the set-up of a real training run, comparable with
// PyTorch's 7.1 s per 60,000-image epoch on two threads (8,400 images/s).
func BenchmarkLeNet5TrainerBatch32(b *testing.B) {
	const batch, examples = 32, 1024
	net := newNet(b, "lenet5", 10, 1)
	x, labels := benchBatch(examples, 32, 10)
	loss, err := gtn.ParseLoss("energy", gtn.LossOptions{})
	if err != nil {
		b.Fatal(err)
	}
	per := 32 * 32
	step := func(tp *gtn.Tape, ex []int) (*gtn.Var, int, error) {
		in := tp.Tensor(len(ex), 1, 32, 32)
		lab := make([]int, len(ex))
		for j, i := range ex {
			copy(in.Data[j*per:(j+1)*per], x.Data[i*per:(i+1)*per])
			lab[j] = labels[i]
		}
		e, err := net.Forward(tp, tp.Const(in))
		if err != nil {
			return nil, 0, err
		}
		l, err := tp.ClassLoss(e, lab, loss)
		return l, len(ex), err
	}
	tr := &gtn.Trainer{Params: net.Params(), Optimizer: &gtn.SGD{Momentum: 0.9}}
	order := make([]int, batch)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		for j := range order {
			order[j] = (i*batch + j) % examples
		}
		if _, _, err := tr.Batch(order, 1e-4, step); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, batch*b.N, cpu0)
}
