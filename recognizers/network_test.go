package recognizers

import (
	"bytes"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gotn/gotn/gtn"
)

func newNet(t testing.TB, arch string, classes int, seed uint64) Network {
	t.Helper()
	net, err := New(arch, classes, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// TestLeNet5ParameterCount checks the counts of LeCun et al. (1998),
// section II.B, layer by layer.
func TestLeNet5ParameterCount(t *testing.T) {
	net := newNet(t, "lenet5", 10, 1)
	want := map[string]int{"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164}
	got := map[string]int{}
	for _, p := range net.Params() {
		layer, _, _ := strings.Cut(p.Name, ".")
		if !p.Fixed {
			got[layer] += p.Value.Len()
		}
	}
	for layer, n := range want {
		if got[layer] != n {
			t.Errorf("layer %s has %d trainable parameters, want %d", layer, got[layer], n)
		}
	}
	if n := CountParams(net.Params()); n != 60000 {
		t.Errorf("LeNet-5 has %d trainable parameters, want 60,000", n)
	}
	var codes *gtn.Param
	for _, p := range net.Params() {
		if p.Name == "output.codes" {
			codes = p
		}
	}
	if codes == nil || !codes.Fixed || codes.Value.Shape[0] != 10 || codes.Value.Shape[1] != 84 {
		t.Fatalf("LeNet-5's RBF codes: %+v, want a fixed [10, 84] parameter", codes)
	}
	for _, v := range codes.Value.Data {
		if v != 1 && v != -1 {
			t.Fatalf("RBF code value %v, want ±1", v)
		}
	}
}

func TestArchitectures(t *testing.T) {
	tests := []struct {
		arch    string
		classes int
		size    int
		params  int
	}{
		{"lenet1", 10, 28, 2578},
		{"lenet4", 10, 32, 50698},
		{"lenet5", 10, 32, 60000},
		{"lenet5", 15, 32, 60000},
		{"lenet5-modern", 10, 32, 656080},
		{"lenet5-pair", 10, 32, 1312160},
	}
	for _, tc := range tests {
		net := newNet(t, tc.arch, tc.classes, 3)
		if h, w := net.InputSize(); h != tc.size || w != tc.size {
			t.Errorf("%s: input %d×%d, want %d×%d", tc.arch, h, w, tc.size, tc.size)
		}
		if n := CountParams(net.Params()); n != tc.params {
			t.Errorf("%s: %d trainable parameters, want %d", tc.arch, n, tc.params)
		}
		names := map[string]bool{}
		for _, p := range net.Params() {
			if names[p.Name] {
				t.Errorf("%s: two parameters named %s", tc.arch, p.Name)
			}
			names[p.Name] = true
		}
		x := randTensor(rand.New(rand.NewPCG(1, 1)), 1, 3, 1, tc.size, tc.size)
		for _, training := range []bool{false, true} {
			var tp *gtn.Tape
			if training {
				tp = gtn.NewTape(gtn.NewGrads(net.Params()))
			} else {
				tp = gtn.NewTape(nil)
			}
			e, err := net.Forward(tp, tp.Const(x))
			if err != nil {
				t.Fatalf("%s: %v", tc.arch, err)
			}
			if e.Value.Shape[0] != 3 || e.Value.Shape[1] != tc.classes {
				t.Errorf("%s: energies %v, want [3, %d]", tc.arch, e.Value.Shape, tc.classes)
			}
			for _, v := range e.Value.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("%s: energy %v", tc.arch, v)
				}
			}
		}
		tp := gtn.NewTape(nil)
		if _, err := net.Forward(tp, tp.Const(gtn.NewTensor(1, 1, tc.size+1, tc.size))); err == nil {
			t.Errorf("%s: forward on a wrong-sized input did not fail", tc.arch)
		}
	}
	if _, err := New("lenet6", 10, rand.New(rand.NewPCG(0, 0))); err == nil || !strings.Contains(err.Error(), "lenet5") {
		t.Errorf("New(lenet6): error %v, want one listing the known architectures", err)
	}
	if _, err := New("lenet5", 0, rand.New(rand.NewPCG(0, 0))); err == nil {
		t.Error("New with 0 classes did not fail")
	}
}

// TestConnections checks the connection counts quoted in the
// architectures' documentation: LeNet-1's 98,442 and LeNet-4's 262,306
// (each weight use, each bias use and each subsampling input counted once).
func TestConnections(t *testing.T) {
	for _, tc := range []struct {
		arch string
		want int
	}{{"lenet1", 98442}, {"lenet4", 262306}, {"lenet5", 340908}} {
		net := newNet(t, tc.arch, 10, 1).(*Sequential)
		h, w := net.InputSize()
		total := 0
		for _, l := range net.Layers {
			switch l := l.(type) {
			case *Conv2D:
				cfg := l.Config()
				h, w = l.OutputSize(h, w)
				total += h * w * (l.Weight.Value.Len() + cfg.Out)
			case *Subsample:
				cfg := l.Config()
				h, w = h/cfg.Size, w/cfg.Size
				total += h * w * cfg.Out * (cfg.Size*cfg.Size + 1)
			case *Linear:
				total += l.Weight.Value.Len() + l.Bias.Value.Len()
			case *RBF:
				// LeNet-5's RBF units are a layer of the paper; the place
				// codes of LeNet-1 and LeNet-4 only read their outputs.
				if tc.arch == "lenet5" {
					total += l.Codes.Value.Len()
				}
			}
		}
		if total != tc.want {
			t.Errorf("%s has %d connections, want %d", tc.arch, total, tc.want)
		}
	}
}

func TestDigitCodes(t *testing.T) {
	for d, bm := range digitBitmaps {
		for y, line := range bm {
			if len(line) != CodeWidth || strings.Trim(line, ".#") != "" {
				t.Errorf("digit %d row %d: %q, want %d characters of '.' and '#'", d, y, line, CodeWidth)
			}
		}
	}
	codes := DigitCodes()
	for a := range 10 {
		for b := range a {
			dist := 0
			for j := range codes.Row(a) {
				if codes.Row(a)[j] != codes.Row(b)[j] {
					dist++
				}
			}
			if dist < 8 {
				t.Errorf("the codes of %d and %d differ in %d pixels, want at least 8", a, b, dist)
			}
		}
	}
	c := RBFCodes(15, rand.New(rand.NewPCG(1, 2)))
	if !bytes.Equal(f32bytes(c.Data[:840]), f32bytes(codes.Data)) {
		t.Error("RBFCodes(15) does not start with the digit codes")
	}
	p := PlaceCodes(3)
	if got := p.Data; got[0] != 1 || got[1] != -1 || got[4] != 1 || got[5] != -1 {
		t.Errorf("PlaceCodes(3) = %v", got)
	}
}

func f32bytes(x []float32) []byte {
	b := make([]byte, 0, 4*len(x))
	for _, v := range x {
		u := math.Float32bits(v)
		b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return b
}

func TestSaveLoad(t *testing.T) {
	for _, arch := range Archs() {
		net := newNet(t, arch, 12, 9)
		h, w := net.InputSize()
		x := randTensor(rand.New(rand.NewPCG(2, 2)), 1, 2, 1, h, w)
		energies := func(n Network) []float32 {
			tp := gtn.NewTape(nil)
			e, err := n.Forward(tp, tp.Const(x))
			if err != nil {
				t.Fatal(err)
			}
			return e.Value.Data
		}
		path := filepath.Join(t.TempDir(), arch+".model")
		if err := Save(path, net, map[string]string{"note": "test"}); err != nil {
			t.Fatal(err)
		}
		got, m, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Arch() != arch || got.Classes() != 12 || m.Meta["note"] != "test" {
			t.Errorf("%s: loaded %s with %d classes, meta %v", arch, got.Arch(), got.Classes(), m.Meta)
		}
		if !bytes.Equal(f32bytes(energies(got)), f32bytes(energies(net))) {
			t.Errorf("%s: the loaded network computes different energies", arch)
		}
	}
	// Errors: no architecture, wrong input size, missing parameter.
	net := newNet(t, "lenet5", 10, 1)
	for _, mutate := range []func(m *gtn.Model){
		func(m *gtn.Model) { delete(m.Meta, MetaArch) },
		func(m *gtn.Model) { m.Meta[MetaArch] = "nope" },
		func(m *gtn.Model) { m.Meta[MetaClasses] = "x" },
		func(m *gtn.Model) { m.Meta[MetaInputHeight] = "28" },
		func(m *gtn.Model) { m.Params = m.Params[1:] },
	} {
		m := ToModel(net, nil)
		mutate(m)
		if _, err := FromModel(m, "test.model"); err == nil {
			t.Errorf("FromModel accepted a bad model (meta %v, %d params)", m.Meta, len(m.Params))
		} else if !strings.Contains(err.Error(), "test.model") {
			t.Errorf("error %q does not name the model", err)
		}
	}
}

// TestNetworkGradients checks the parameter gradients of whole networks
// up to their output layer (checked on its own): the RBF energies are large
// (~100), and their float32 rounding would swamp the small gradients of the
// first layers. The layers' own checks cover the input gradients.
func TestNetworkGradients(t *testing.T) { bothPaths(t, testNetworkGradients) }

func testNetworkGradients(t *testing.T) {
	for _, arch := range []string{"lenet1", "lenet4", "lenet5", "lenet5-modern"} {
		t.Run(arch, func(t *testing.T) {
			net := newNet(t, arch, 10, 5).(*Sequential)
			h, w := net.InputSize()
			x := randTensor(rand.New(rand.NewPCG(3, 3)), 1, 2, 1, h, w)
			body := NewSequential(arch, 84, h, w, net.Layers[:len(net.Layers)-1]...)
			c := gradCheck{
				params: body.Params(),
				f: func(tp *gtn.Tape, _ []*gtn.Var) (*gtn.Var, error) {
					y := tp.Const(x)
					var err error
					for i, l := range body.Layers {
						if sl, ok := l.(SeededLayer); ok {
							y, err = sl.ForwardSeed(tp, y, uint64(i))
						} else {
							y, err = l.Forward(tp, y)
						}
						if err != nil {
							return nil, err
						}
					}
					return y, nil
				},
				checks:      8,
				significant: 0.05,
				step:        0.02,
			}
			if arch == "lenet5-modern" {
				// ReLU and max pooling kinks bias large steps, rounding
				// small ones: a looser integration check.
				c.step, c.tol, c.significant = 1e-3, 5e-2, 0.3
			}
			if err := c.run(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestLeNetInput(t *testing.T) {
	img := make([]byte, 28*28)
	img[0], img[28*28-1] = 255, 51
	x, err := LeNetInput([][]byte{img, img}, 28, 28, 32)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Shape) != 4 || x.Shape[0] != 2 || x.Shape[1] != 1 || x.Shape[2] != 32 || x.Shape[3] != 32 {
		t.Fatalf("shape %v, want [2 1 32 32]", x.Shape)
	}
	at := func(i, y, xx int) float32 { return x.Data[i*1024+y*32+xx] }
	if at(1, 0, 0) != LeNetBackground || at(0, 2, 2) != LeNetInk || math.Abs(float64(at(0, 29, 29))-(-0.1+1.275*0.2)) > 1e-6 || at(0, 3, 3) != LeNetBackground {
		t.Errorf("pixels %v %v %v %v", at(1, 0, 0), at(0, 2, 2), at(0, 29, 29), at(0, 3, 3))
	}
	if _, err := LeNetInput([][]byte{img[:10]}, 28, 28, 32); err == nil {
		t.Error("LeNetInput accepted a short image")
	}
	if _, err := LeNetInput([][]byte{img}, 28, 28, 20); err == nil {
		t.Error("LeNetInput accepted an image larger than the field")
	}
}

// TestConcurrentUse runs forward and backward passes of one network on
// several goroutines, each with its own tape and gradients (as the
// trainer's workers do), and checks that each gets the gradients of a pass
// run alone. Run with -race to check that passes only read the network.
func TestConcurrentUse(t *testing.T) {
	for _, arch := range []string{"lenet5", "lenet5-modern"} {
		net := newNet(t, arch, 10, 4)
		loss, err := gtn.ParseLoss("nll", gtn.LossOptions{})
		if err != nil {
			t.Fatal(err)
		}
		x, labels := benchBatch(6, 32, 10)
		run := func() (*gtn.Grads, error) {
			grads := gtn.NewGrads(net.Params())
			tp := gtn.NewTape(grads)
			e, err := net.(SeededNetwork).ForwardSeed(tp, tp.Const(x), 3)
			if err != nil {
				return nil, err
			}
			l, err := tp.ClassLoss(e, labels, loss)
			if err != nil {
				return nil, err
			}
			return grads, tp.Backward(l)
		}
		want, err := run()
		if err != nil {
			t.Fatal(err)
		}
		const workers = 4
		got := make([]*gtn.Grads, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { got[w], errs[w] = run() })
		}
		wg.Wait()
		for w := range workers {
			if errs[w] != nil {
				t.Fatal(errs[w])
			}
			for i := range net.Params() {
				if !bytes.Equal(f32bytes(got[w].At(i).Data), f32bytes(want.At(i).Data)) {
					t.Fatalf("%s: worker %d's gradient of %s differs from a lone pass's", arch, w, net.Params()[i].Name)
				}
			}
		}
	}
}
