package recognizers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotn/gotn/gtn"
)

func mustConv(t *testing.T, cfg ConvConfig, rng *rand.Rand) *Conv2D {
	t.Helper()
	c, err := NewConv2D(cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLayerGradients(t *testing.T) { bothPaths(t, testLayerGradients) }

func testLayerGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	conv := func(cfg ConvConfig) Layer { return mustConv(t, cfg, rng) }
	sub := func(cfg SubsampleConfig) Layer {
		s, err := NewSubsample(cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	lin := func(cfg LinearConfig) Layer {
		l, err := NewLinear(cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	rbf := func(fixed bool) Layer {
		r, err := NewRBF("rbf", randTensor(rng, 1, 4, 6), fixed)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Inputs bounded away from 0 (for ReLU's kink) and inputs whose values
	// are distinct by much more than the step (for max pooling).
	awayFromZero := randTensor(rng, 1, 2, 3, 4, 4)
	for i, v := range awayFromZero.Data {
		awayFromZero.Data[i] = v + float32(math.Copysign(0.2, float64(v)))
	}
	spaced := gtn.NewTensor(2, 2, 5, 6)
	for i, j := range rng.Perm(spaced.Len()) {
		spaced.Data[i] = 0.05 * float32(j-spaced.Len()/2)
	}
	c3 := LeNet5Table()
	tests := []struct {
		name  string
		layer Layer
		x     *gtn.Tensor
	}{
		{"conv valid tanh", conv(ConvConfig{Name: "c", In: 2, Out: 3, KH: 3, KW: 2, Act: ScaledTanh}), randTensor(rng, 1, 2, 2, 6, 5)},
		{"conv padded", conv(ConvConfig{Name: "c", In: 2, Out: 3, KH: 3, KW: 3, Pad: 2}), randTensor(rng, 1, 2, 2, 4, 5)},
		{"conv table", conv(ConvConfig{Name: "c", In: 6, Out: 16, KH: 3, KW: 3, Table: c3, Act: ScaledTanh}), randTensor(rng, 1, 2, 6, 5, 5)},
		{"conv full (1x1 output)", conv(ConvConfig{Name: "c", In: 3, Out: 4, KH: 3, KW: 3, Act: ScaledTanh}), randTensor(rng, 1, 3, 3, 3, 3)},
		{"conv full with table", conv(ConvConfig{Name: "c", In: 6, Out: 16, KH: 2, KW: 2, Table: c3}), randTensor(rng, 1, 2, 6, 2, 2)},
		{"linear tanh", lin(LinearConfig{Name: "l", In: 12, Out: 5, Act: ScaledTanh}), randTensor(rng, 1, 3, 12)},
		{"linear on images", lin(LinearConfig{Name: "l", In: 3 * 4 * 4, Out: 4}), randTensor(rng, 1, 2, 3, 4, 4)},
		{"subsample 2x2", sub(SubsampleConfig{Name: "s", In: 3, Act: ScaledTanh}), randTensor(rng, 1, 2, 3, 6, 4)},
		{"subsample pairs, odd size", sub(SubsampleConfig{Name: "s", In: 2, Out: 4, Source: []int{0, 0, 1, 1}, Act: ScaledTanh}), randTensor(rng, 1, 2, 2, 5, 7)},
		{"subsample 3x3", sub(SubsampleConfig{Name: "s", In: 2, Size: 3}), randTensor(rng, 1, 1, 2, 7, 6)},
		{"avgpool", AvgPool{Size: 2}, randTensor(rng, 1, 2, 2, 5, 4)},
		{"maxpool", MaxPool{Size: 2}, spaced},
		{"maxpool 3x3", MaxPool{Size: 3}, spaced},
		{"tanh", Act{ScaledTanh}, randTensor(rng, 3, 2, 7)},
		{"relu", Act{ReLU}, awayFromZero},
		{"rbf", rbf(true), randTensor(rng, 1, 3, 6)},
		{"rbf trainable codes", rbf(false), randTensor(rng, 1, 3, 2, 3)},
		{"logsoftmax", LogSoftmax{}, randTensor(rng, 3, 4, 5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := layerCheck(tc.layer, tc.x).run(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDropoutGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	d := Dropout{P: 0.3}
	c := gradCheck{
		inputs: []*gtn.Tensor{randTensor(rng, 1, 4, 50)},
		f: func(tp *gtn.Tape, xs []*gtn.Var) (*gtn.Var, error) {
			return d.ForwardSeed(tp, xs[0], 42)
		},
	}
	if err := c.run(); err != nil {
		t.Error(err)
	}
}

func TestDropout(t *testing.T) {
	x := gtn.NewTensor(100, 100)
	for i := range x.Data {
		x.Data[i] = 1
	}
	d := Dropout{P: 0.25}
	run := func(seed uint64) []float32 {
		tp := gtn.NewTape(gtn.NewGrads(nil))
		y, err := d.ForwardSeed(tp, tp.Input(x), seed)
		if err != nil {
			t.Fatal(err)
		}
		return y.Value.Data
	}
	a, b, c := run(1), run(1), run(2)
	zeros, same := 0, true
	for i := range a {
		if a[i] != b[i] {
			same = false
		}
		switch a[i] {
		case 0:
			zeros++
		case 1 / 0.75:
		default:
			t.Fatalf("dropout output %v, want 0 or %v", a[i], 1/0.75)
		}
	}
	if !same {
		t.Error("dropout with the same seed gave different masks")
	}
	if frac := float64(zeros) / float64(len(a)); math.Abs(frac-0.25) > 0.02 {
		t.Errorf("dropout zeroed %.3f of the inputs, want 0.25", frac)
	}
	differ := 0
	for i := range a {
		if a[i] != c[i] {
			differ++
		}
	}
	if differ == 0 {
		t.Error("dropout with different seeds gave the same mask")
	}
	// Inference: the identity.
	tp := gtn.NewTape(nil)
	xv := tp.Const(x)
	y, err := d.Forward(tp, xv)
	if err != nil || y != xv {
		t.Errorf("dropout at inference: got %v, %v; want the input unchanged", y, err)
	}
	if _, err := (Dropout{P: 1}).Forward(tp, xv); err == nil {
		t.Error("dropout with P = 1 did not fail")
	}
}

func TestScaledTanhAccuracy(t *testing.T) { bothPaths(t, testScaledTanhAccuracy) }

func testScaledTanhAccuracy(t *testing.T) {
	x := make([]float32, 0, 40001)
	for i := -20000; i <= 20000; i++ {
		x = append(x, float32(i)*1e-3)
	}
	x = append(x, 1e-30, -1e-30, 0, 1e6, -1e6, float32(math.Inf(1)), float32(math.Inf(-1)))
	y := make([]float32, len(x))
	scaledTanh(y, x)
	worst := 0.0
	for i, v := range x {
		want := TanhA * math.Tanh(TanhS*float64(v))
		worst = math.Max(worst, math.Abs(float64(y[i])-want))
	}
	t.Logf("largest error %.3g", worst)
	if worst > 3e-7 {
		t.Errorf("scaled tanh: largest error %g, want <= 3e-7", worst)
	}
	for _, n := range []int{1, 9} { // the kernel's tail and main loop
		nan := make([]float32, n)
		nan[n-1] = float32(math.NaN())
		scaledTanh(nan, nan)
		if !math.IsNaN(float64(nan[n-1])) {
			t.Errorf("scaled tanh of NaN = %v, want NaN", nan[n-1])
		}
	}
	one := []float32{1, -1}
	scaledTanh(one, one)
	if math.Abs(float64(one[0])-1) > 1e-3 || math.Abs(float64(one[1])+1) > 1e-3 {
		t.Errorf("f(±1) = %v, want about ±1", one)
	}
}

// naiveConv is a direct convolution: the reference for Conv2D.
func naiveConv(c *Conv2D, x *gtn.Tensor) *gtn.Tensor {
	cfg := c.Config()
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	oh, ow := c.OutputSize(h, w)
	y := gtn.NewTensor(n, cfg.Out, oh, ow)
	kk := cfg.KH * cfg.KW
	for i := range n {
		for o := range cfg.Out {
			for oy := range oh {
				for ox := range ow {
					s := float64(c.Bias.Value.Data[o])
					for j, in := range c.inputs[o] {
						kern := c.Weight.Value.Data[c.offset[o]+j*kk:]
						for ky := range cfg.KH {
							for kx := range cfg.KW {
								iy, ix := oy+ky-cfg.Pad, ox+kx-cfg.Pad
								if iy < 0 || iy >= h || ix < 0 || ix >= w {
									continue
								}
								s += float64(kern[ky*cfg.KW+kx]) * float64(x.Data[((i*cfg.In+in)*h+iy)*w+ix])
							}
						}
					}
					y.Data[((i*cfg.Out+o)*oh+oy)*ow+ox] = float32(s)
				}
			}
		}
	}
	return y
}

func TestConvMatchesDirectConvolution(t *testing.T) {
	bothPaths(t, testConvMatchesDirectConvolution)
}

func testConvMatchesDirectConvolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	tests := []struct {
		name string
		cfg  ConvConfig
		x    []int
	}{
		{"lenet5 c1", ConvConfig{In: 1, Out: 6, KH: 5, KW: 5}, []int{3, 1, 32, 32}},
		{"lenet5 c3", ConvConfig{In: 6, Out: 16, KH: 5, KW: 5, Table: LeNet5Table()}, []int{2, 6, 14, 14}},
		{"padded, wide", ConvConfig{In: 3, Out: 70, KH: 3, KW: 4, Pad: 2}, []int{2, 3, 9, 7}},
		{"full", ConvConfig{In: 16, Out: 120, KH: 5, KW: 5}, []int{3, 16, 5, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustConv(t, tc.cfg, rng)
			x := randTensor(rng, 1, tc.x...)
			tp := gtn.NewTape(nil)
			y, err := c.Forward(tp, tp.Const(x))
			if err != nil {
				t.Fatal(err)
			}
			want := naiveConv(c, x)
			if !y.Value.SameShape(want) {
				t.Fatalf("output shape %v, want %v", y.Value.Shape, want.Shape)
			}
			for i, v := range want.Data {
				if math.Abs(float64(y.Value.Data[i]-v)) > 1e-5*(1+math.Abs(float64(v))) {
					t.Fatalf("output[%d] = %v, direct convolution gives %v", i, y.Value.Data[i], v)
				}
			}
		})
	}
}

// bothPaths runs f with gemm on the assembly kernels (where the CPU has
// them) and on gonum.
func bothPaths(t *testing.T, f func(t *testing.T)) {
	saved := useKernels
	defer func() { useKernels = saved }()
	for _, kernels := range []bool{true, false} {
		if kernels && !haveKernels() {
			t.Log("no AVX2/FMA kernels on this machine: gonum path only")
			continue
		}
		useKernels = kernels
		name := "gonum"
		if kernels {
			name = "kernels"
		}
		t.Run(name, f)
	}
}

func TestGemm(t *testing.T) {
	bothPaths(t, testGemm)
}

func testGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	shapes := []struct{ m, n, k int }{
		{1, 1, 1}, {3, 5, 7}, {6, 16, 8}, {7, 17, 9}, {70, 200, 30}, {13, 33, 300},
		{130, 65, 2100}, {6, 400, 25}, {2, 3, 4099},
	}
	for _, tc := range shapes {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				m, n, k := tc.m, tc.n, tc.k
				// Strides larger than the rows, to catch stride mix-ups.
				lda, ldb, ldc := k+3, n+1, n+2
				if tA {
					lda = m + 3
				}
				if tB {
					ldb = k + 1
				}
				ar, br := m, k
				if tA {
					ar = k
				}
				if tB {
					br = n
				}
				a := randTensor(rng, 1, ar*lda).Data
				b := randTensor(rng, 1, br*ldb).Data
				c := randTensor(rng, 1, m*ldc).Data
				want := make([]float64, len(c))
				for i := range c {
					want[i] = float64(c[i])
				}
				for i := range m {
					for j := range n {
						s := 0.0
						for l := range k {
							var av, bv float32
							if tA {
								av = a[l*lda+i]
							} else {
								av = a[i*lda+l]
							}
							if tB {
								bv = b[j*ldb+l]
							} else {
								bv = b[l*ldb+j]
							}
							s += float64(av) * float64(bv)
						}
						want[i*ldc+j] += s
					}
				}
				gemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
				for i, v := range want {
					if math.Abs(float64(c[i])-v) > 1e-5*math.Sqrt(float64(k))*(1+math.Abs(v)) {
						t.Fatalf("gemm(tA=%v, tB=%v, %d×%d×%d): c[%d] = %v, want %v", tA, tB, m, n, k, i, c[i], v)
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("gemm with a short operand did not panic")
		}
	}()
	gemm(false, false, 2, 2, 2, make([]float32, 3), 2, make([]float32, 4), 2, make([]float32, 4), 2)
}

func TestConvErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	bad := []ConvConfig{
		{Name: "a", In: 0, Out: 1, KH: 1, KW: 1},
		{Name: "b", In: 1, Out: 1, KH: 0, KW: 1},
		{Name: "c", In: 1, Out: 1, KH: 1, KW: 1, Pad: -1},
		{Name: "d", In: 2, Out: 2, KH: 1, KW: 1, Table: Table{{true, false}}},
		{Name: "e", In: 2, Out: 2, KH: 1, KW: 1, Table: Table{{true, false}, {true, false}}},
		{Name: "f", In: 1, Out: 1, KH: 1, KW: 1, Act: 99},
	}
	for _, cfg := range bad {
		if _, err := NewConv2D(cfg, rng); err == nil {
			t.Errorf("NewConv2D(%+v) did not fail", cfg)
		}
	}
	c := mustConv(t, ConvConfig{Name: "c1", In: 2, Out: 3, KH: 5, KW: 5}, rng)
	tp := gtn.NewTape(nil)
	for _, shape := range [][]int{{1, 3, 8, 8}, {1, 2, 4, 8}, {2, 8, 8}} {
		if _, err := c.Forward(tp, tp.Const(gtn.NewTensor(shape...))); err == nil {
			t.Errorf("conv on input %v did not fail", shape)
		}
	}
	if _, err := TableFromInputs(2, [][]int{{0, 2}}); err == nil {
		t.Error("TableFromInputs with an out-of-range map did not fail")
	}
	if _, err := TableFromInputs(2, [][]int{{1, 1}}); err == nil {
		t.Error("TableFromInputs with a repeated map did not fail")
	}
}
