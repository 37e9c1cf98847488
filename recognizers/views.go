package recognizers

import (
	"fmt"
	"math"

	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/internal/area"
)

// NormalizedView is a layer that replaces each one-channel image
// [N, 1, H, W] at LeNet levels by its ink with the ink box scaled to fit
// Box×Box (aspect kept, by area averaging) and the centre of mass moved to
// the centre, as MNIST's digits were made. A network trained on MNIST's
// digits can then read the segments of a string framed at the string's
// scale (see NewLeNet5Pair). The box is that of the pixels with at least
// 5% ink; an image without such pixels gives a blank one.
//
// The layer has no parameters and passes no gradient to its input: the
// view is a function of the input's ink box, treated as a constant.
type NormalizedView struct{ Box int }

// inkFloor is the ink (0 background, 1 full) of the pixels that make an
// image's ink box.
const inkFloor = 0.05

// Params implements Layer.
func (NormalizedView) Params() []*gtn.Param { return nil }

// Forward implements Layer.
func (v NormalizedView) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	sh := x.Value.Shape
	if len(sh) != 4 || sh[1] != 1 {
		return nil, fmt.Errorf("recognizers: normalized view: input has shape %v, want [N, 1, H, W]", sh)
	}
	n, h, w := sh[0], sh[2], sh[3]
	if v.Box < 1 || v.Box > min(h, w) {
		return nil, fmt.Errorf("recognizers: normalized view: box %d, want 1..%d", v.Box, min(h, w))
	}
	y := tp.NewVar(false, n, 1, h, w)
	plane := h * w
	for i := range n {
		v.normalize(y.Value.Data[i*plane:(i+1)*plane], x.Value.Data[i*plane:(i+1)*plane], h, w)
	}
	return y, nil
}

// normalize writes into dst (h×w) the size-normalised view of src (h×w,
// LeNet levels).
func (v NormalizedView) normalize(dst, src []float32, h, w int) {
	const bg, scale = LeNetBackground, LeNetInk - LeNetBackground
	for i := range dst {
		dst[i] = bg
	}
	p, ok := NormalizeInk(func(x, y int) float64 { return max(0, float64(src[y*w+x]-bg)/scale) }, w, h, v.Box, w, h)
	if !ok {
		return
	}
	p.Draw(func(x, y int, ink float64) { dst[y*w+x] = float32(bg + scale*min(1, ink)) }, w, h)
}

// A Patch is ink to place in a frame: W×H values, row by row, whose top
// left pixel goes at (X, Y) of the frame (which may put some outside).
type Patch struct {
	Ink  []float64
	W, H int
	X, Y int
}

// Draw calls set for each pixel of p that falls inside a fw×fh frame, with
// its position in the frame.
func (p Patch) Draw(set func(x, y int, ink float64), fw, fh int) {
	for r := range p.H {
		for c := range p.W {
			if fx, fy := c+p.X, r+p.Y; fx >= 0 && fy >= 0 && fx < fw && fy < fh {
				set(fx, fy, p.Ink[r*p.W+c])
			}
		}
	}
}

// NormalizeInk normalises a character as MNIST's digits were made: the ink
// box of a w×h image whose ink at (x, y) is ink(x, y) (0 background, 1 full;
// the box holds the pixels with at least 5% ink) is scaled, keeping its
// aspect ratio, to fit box×box (by area averaging, which both shrinks and
// enlarges without aliasing), and placed so that its centre of mass is at
// the centre of a fw×fh frame. ok is false when the image has no ink.
func NormalizeInk(ink func(x, y int) float64, w, h, box, fw, fh int) (p Patch, ok bool) {
	x0, y0, x1, y1 := w, h, 0, 0
	for y := range h {
		for x := range w {
			if ink(x, y) >= inkFloor {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			}
		}
	}
	if x1 <= x0 {
		return Patch{}, false
	}
	bw, bh := x1-x0, y1-y0
	k := float64(box) / float64(max(bw, bh))
	p.W, p.H = max(1, int(math.Round(float64(bw)*k))), max(1, int(math.Round(float64(bh)*k)))
	cols, rows := area.Axis[float64](p.W, w, float64(x0), 0, k), area.Axis[float64](p.H, h, float64(y0), 0, k)
	p.Ink = make([]float64, p.W*p.H)
	var m, mx, my float64
	for r, wr := range rows {
		for c, wc := range cols {
			var s float64
			for a, yy := range wr.Idx {
				for b, xx := range wc.Idx {
					s += wr.W[a] * wc.W[b] * ink(int(xx), int(yy))
				}
			}
			p.Ink[r*p.W+c] = s
			m, mx, my = m+s, mx+s*(float64(c)+0.5), my+s*(float64(r)+0.5)
		}
	}
	p.X, p.Y = (fw-p.W)/2, (fh-p.H)/2
	if m > 0 {
		p.X, p.Y = int(math.Round(float64(fw)/2-mx/m)), int(math.Round(float64(fh)/2-my/m))
	}
	return p, true
}
