package recognizers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotn/gotn/gtn"
)

// TestLeNet5Torch checks lenet5-torch's size (61,706 parameters, as
// PyTorch counts the same network), its output (log-softmax energies: the
// probabilities exp(-E) sum to 1) and that the NLL loss on it has a
// gradient for every parameter.
func TestLeNet5Torch(t *testing.T) {
	net := newNet(t, "lenet5-torch", 10, 1)
	if n := CountParams(net.Params()); n != 61706 {
		t.Errorf("%d parameters, want 61,706", n)
	}
	x := randTensor(rand.New(rand.NewPCG(1, 2)), 1, 4, 1, 32, 32)
	grads := gtn.NewGrads(net.Params())
	tp := gtn.NewTape(grads)
	e, err := net.Forward(tp, tp.Const(x))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		s := 0.0
		for _, v := range e.Value.Row(i) {
			s += math.Exp(-float64(v))
		}
		if s < 0.999 || s > 1.001 {
			t.Errorf("row %d: probabilities sum to %v", i, s)
		}
	}
	l, err := tp.ClassLoss(e, []int{0, 1, 2, 3}, gtn.NLLLoss{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Backward(l); err != nil {
		t.Fatal(err)
	}
	for i, p := range net.Params() {
		nonzero := false
		for _, g := range grads.At(i).Data {
			nonzero = nonzero || g != 0
		}
		if !nonzero {
			t.Errorf("parameter %s has no gradient", p.Name)
		}
	}
}

// BenchmarkLeNet5TorchTrainBatch32 measures a training step of
// lenet5-torch (the network bench/lenet_vs_pytorch.sh compares with
// PyTorch) on a batch of 32, on one goroutine.
func BenchmarkLeNet5TorchTrainBatch32(b *testing.B) { benchTrain(b, "lenet5-torch", "nll") }
