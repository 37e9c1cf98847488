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
// centre look alike once normalised (box 20, centred) and unlike before; a
// blank image stays blank; bad shapes and boxes are errors.
func TestNormalizedView(t *testing.T) {
	x := gtn.NewTensor(3, 1, 32, 32)
	ring(x.Data[:1024], 9, 22, 4, 5, 0.3)       // small, low left
	ring(x.Data[1024:2048], 16, 16, 8, 10, 0.3) // large, centred
	for i := range x.Data[2048:] {              // blank
		x.Data[2048+i] = LeNetBackground
	}
	tp := gtn.NewTape(nil)
	y, err := NormalizedView{Box: 20}.Forward(tp, tp.Const(x))
	if err != nil {
		t.Fatal(err)
	}
	if got := y.Value.Shape; len(got) != 4 || got[0] != 3 || got[1] != 1 || got[2] != 32 || got[3] != 32 {
		t.Fatalf("output shape %v, want [3 1 32 32]", got)
	}
	image := func(d []float32, i int) []float32 { return d[i*1024 : (i+1)*1024] }
	diff := func(a, b []float32) float64 {
		var d float64
		for j := range a {
			d += math.Abs(float64(a[j] - b[j]))
		}
		return d / (LeNetInk - LeNetBackground)
	}
	if same, apart := diff(image(y.Value.Data, 0), image(y.Value.Data, 1)), diff(image(x.Data, 0), image(x.Data, 1)); same > 0.25*apart {
		t.Errorf("the normalised rings differ by %.1f pixels of ink, the rings by %.1f: the view does not normalise", same, apart)
	}
	// The normalised ring fills a 20-pixel box around the centre.
	var x0, x1, y0, y1 = 32, 0, 32, 0
	for p, v := range image(y.Value.Data, 0) {
		if v > LeNetBackground+0.05*(LeNetInk-LeNetBackground) {
			x0, x1, y0, y1 = min(x0, p%32), max(x1, p%32+1), min(y0, p/32), max(y1, p/32+1)
		}
	}
	if y1-y0 != 20 || x1-x0 < 14 || x1-x0 > 18 || math.Abs(float64(x0+x1)/2-16) > 1.5 || math.Abs(float64(y0+y1)/2-16) > 1.5 {
		t.Errorf("normalised ring's box x %d..%d, y %d..%d, want 20 high, about 16 wide, centred", x0, x1, y0, y1)
	}
	for _, v := range image(y.Value.Data, 2) {
		if v != LeNetBackground {
			t.Fatalf("a blank image's view has ink %v", v)
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
