package transformers

import (
	"math"
	"testing"
)

// boldNine draws a bold 9 (a filled loop on a thick stem) on paper with
// thin wavy lines of texture and a level that rises and falls along the
// line, in an image h pixels high whose characters take the share text of
// its height. It returns the image and the centre and radius of the loop.
func boldNine(h int, text, loop float64) (b Bitmap, cx, cy, r float64) {
	w := 3 * h
	b = Bitmap{Width: w, Height: h, Ink: make([]float32, w*h)}
	for y := range h {
		for x := range w {
			v := 0.1 + 0.2*(1+math.Sin(2*math.Pi*float64(x)/(1.5*float64(h))))/2
			if math.Abs(math.Mod(float64(y)+3*math.Sin(float64(x)/5), 6)) < 1 {
				v += 0.1
			}
			b.Ink[y*w+x] = float32(v)
		}
	}
	th := text * float64(h)
	top := (float64(h) - th) / 2
	r = loop * th / 2
	cx, cy = float64(w)/2, top+r
	stroke := max(2, th/10)
	for y := range h {
		for x := range w {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			stem := fx >= cx+r-stroke && fx <= cx+r && fy >= cy && fy <= top+th
			if math.Hypot(fx-cx, fy-cy) <= r || stem {
				b.Ink[y*w+x] = 0.9
			}
		}
	}
	return b, cx, cy, r
}

// TestCleanBoldLoops checks that Clean, over StringCleanWindow, keeps the
// filled loop of a bold character, in tight crops and in fields with
// margins, and still removes the paper: its texture and its uneven level.
// The old window (a fifth of the height) erases the loop of the tight
// crops; a window as wide as the image leaves the paper's level.
func TestCleanBoldLoops(t *testing.T) {
	for _, tc := range []struct {
		name   string
		height int     // of the crop, pixels
		text   float64 // the characters' height, a share of the crop's
		loop   float64 // the loop's diameter, a share of the characters' height
	}{
		{"tight zone crop", 68, 0.75, 0.4},
		{"small crop", 34, 0.8, 0.45},
		{"field with margins", 130, 0.45, 0.4},
		{"large tight crop", 200, 0.8, 0.35},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, cx, cy, r := boldNine(tc.height, tc.text, tc.loop)
			window := StringCleanWindow(tc.height)
			out := Clean(b, window)
			var loop, loopN, paper, paperN float64
			for y := range b.Height {
				for x := range b.Width {
					v := float64(out.Ink[y*b.Width+x])
					switch d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy); {
					case d <= r-1:
						loop, loopN = loop+v, loopN+1
					case math.Abs(float64(x)+0.5-cx) > 2*r+2:
						paper, paperN = paper+v, paperN+1
					}
				}
			}
			loop /= loopN
			if loop < 0.9 {
				t.Errorf("window %d: the loop's ink is %.2f after Clean, want at least 0.9", window, loop)
			}
			paper /= paperN
			if paper > 0.01 {
				t.Errorf("window %d: the paper's ink is %.3f after Clean, want at most 0.01", window, paper)
			}
		})
	}
}
