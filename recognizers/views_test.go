package recognizers

import (
	"math"
	"testing"

	"github.com/gotn/gotn/gtn"
)

// ring draws into a 32×32 input at LeNet levels a ring (an "0") of the
// given centre and radii.
func ring(dst []float32, cx, cy, rx, ry, width float64) {
	for i := range dst {
		dst[i] = LeNetBackground
	}
	for y := range 32 {
		for x := range 32 {
			dx, dy := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
			if d := math.Hypot(dx, dy); math.Abs(d-1) < width {
				dst[y*32+x] = LeNetInk
			}
		}
	}
}

// TestNormalizedView: a small ring low in the frame and a large one at its
// centre look alike in the second channel (box 20, centred), differently in
// the first; the first channel is the input; a blank image has a blank
// second channel; gradients reach the input through the first channel.
func TestNormalizedView(t *testing.T) {
	x := gtn.NewTensor(3, 1, 32, 32)
	ring(x.Data[:1024], 9, 22, 4, 5, 0.3)       // small, low left
	ring(x.Data[1024:2048], 16, 16, 8, 10, 0.3) // large, centred
	for i := range x.Data[2048:] {              // blank
		x.Data[2048+i] = LeNetBackground
	}
	tp := gtn.NewTape(gtn.NewGrads(nil))
	in := tp.Input(x)
	y, err := NormalizedView{Box: 20}.Forward(tp, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := y.Value.Shape; len(got) != 4 || got[0] != 3 || got[1] != 2 || got[2] != 32 || got[3] != 32 {
		t.Fatalf("output shape %v, want [3 2 32 32]", got)
	}
	view := func(i, c int) []float32 { return y.Value.Data[(2*i+c)*1024 : (2*i+c+1)*1024] }
	diff := func(a, b []float32) float64 {
		var d float64
		for j := range a {
			d += math.Abs(float64(a[j] - b[j]))
		}
		return d / (LeNetInk - LeNetBackground)
	}
	for i := range 3 {
		if d := diff(view(i, 0), x.Data[i*1024:(i+1)*1024]); d != 0 {
			t.Errorf("image %d: first channel differs from the input by %g", i, d)
		}
	}
	if same, apart := diff(view(0, 1), view(1, 1)), diff(view(0, 0), view(1, 0)); same > 0.25*apart {
		t.Errorf("second channels differ by %.1f pixels of ink, first channels by %.1f: the view does not normalise", same, apart)
	}
	// The normalised ring fills a 20-pixel box around the centre.
	var x0, x1, y0, y1 = 32, 0, 32, 0
	for p, v := range view(0, 1) {
		if v > LeNetBackground+0.05*(LeNetInk-LeNetBackground) {
			x0, x1, y0, y1 = min(x0, p%32), max(x1, p%32+1), min(y0, p/32), max(y1, p/32+1)
		}
	}
	if y1-y0 != 20 || x1-x0 < 14 || x1-x0 > 18 || math.Abs(float64(x0+x1)/2-16) > 1.5 || math.Abs(float64(y0+y1)/2-16) > 1.5 {
		t.Errorf("normalised ring's box x %d..%d, y %d..%d, want 20 high, about 16 wide, centred", x0, x1, y0, y1)
	}
	for _, v := range view(2, 1) {
		if v != LeNetBackground {
			t.Fatalf("a blank image's second channel has ink %v", v)
		}
	}
	// loss = Σ w_i y_i with w_i = i%7 + 1, so dloss/dy_i = w_i.
	weight := func(i int) float32 { return float32(i%7) + 1 }
	loss := tp.NewVar(true, 1)
	tp.OnBackward(func() {
		for i := range y.Grad.Data {
			y.Grad.Data[i] += loss.Grad.Data[0] * weight(i)
		}
	})
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for j := range 1024 {
			if got, want := in.Grad.Data[i*1024+j], weight(2*i*1024+j); got != want {
				t.Fatalf("input gradient [%d, %d] = %v, want the first channel's %v", i, j, got, want)
			}
		}
	}
	for _, tc := range []struct {
		box   int
		shape []int
	}{{20, []int{1, 2, 32, 32}}, {20, []int{32, 32}}, {0, []int{1, 1, 32, 32}}, {33, []int{1, 1, 32, 32}}} {
		tp := gtn.NewTape(nil)
		if _, err := (NormalizedView{Box: tc.box}).Forward(tp, tp.Const(gtn.NewTensor(tc.shape...))); err == nil {
			t.Errorf("box %d, input %v: no error", tc.box, tc.shape)
		}
	}
}
