package recognizers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotn/gotn/gtn"
)

// TestPair: lenet5-pair's energies are the sums of its experts' (frame on
// the input, shape through a NormalizedView), each expert seeded from the
// pair's seed (dropout on, as in training); its parameters are the
// experts'; its gradients match finite differences.
func TestPair(t *testing.T) {
	net := newNet(t, "lenet5-pair", 11, 4).(*Pair)
	if v, ok := net.B.Layers[0].(NormalizedView); !ok || v.Box != 20 {
		t.Fatalf("the shape expert starts with %#v, want NormalizedView{Box: 20}", net.B.Layers[0])
	}
	x := randTensor(rand.New(rand.NewPCG(5, 5)), 1, 3, 1, 32, 32)
	tp := gtn.NewTape(gtn.NewGrads(net.Params()))
	e, err := net.ForwardSeed(tp, tp.Const(x), 9)
	if err != nil {
		t.Fatal(err)
	}
	ea, err := net.A.ForwardSeed(tp, tp.Const(x), mixSeed(9, 0))
	if err != nil {
		t.Fatal(err)
	}
	eb, err := net.B.ForwardSeed(tp, tp.Const(x), mixSeed(9, 1))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range e.Value.Data {
		if want := ea.Value.Data[i] + eb.Value.Data[i]; math.Abs(float64(v-want)) > 1e-5 {
			t.Fatalf("energy %d = %v, want %v + %v", i, v, ea.Value.Data[i], eb.Value.Data[i])
		}
	}
	if got, want := len(net.Params()), len(net.A.Params())+len(net.B.Params()); got != want {
		t.Errorf("%d parameters, want %d", got, want)
	}
	c := gradCheck{
		params: net.Params(),
		f: func(tp *gtn.Tape, _ []*gtn.Var) (*gtn.Var, error) {
			return net.ForwardSeed(tp, tp.Const(x), 9)
		},
		checks: 8, step: 1e-3, tol: 5e-2, significant: 0.3,
	}
	if err := c.run(); err != nil {
		t.Error(err)
	}
	if _, err := NewPair("p", net.A, NewSequential("b", 10, 32, 32)); err == nil {
		t.Error("experts with 11 and 10 classes made a pair")
	}
	for name, want := range map[string]*Sequential{"frame": net.A, "shape": net.B, "frame.c1": nil, "fram": nil, "": nil} {
		if got := net.Expert(name); got != want {
			t.Errorf("Expert(%q) = %p, want %p", name, got, want)
		}
	}
	// An expert without parameters has no name.
	bare, err := NewPair("p", net.A, NewSequential("b", 11, 32, 32))
	if err != nil {
		t.Fatal(err)
	}
	if got := bare.Expert("b"); got != nil {
		t.Errorf("Expert(%q) of an expert without parameters = %p, want nil", "b", got)
	}
}
