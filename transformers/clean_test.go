package transformers

import (
	"math"
	"testing"
)

// TestCleanBoldLoops checks that Clean, with StringCleanWindow, keeps the
// filled loop of a bold character in a crop little higher than its
// characters and still removes the paper's texture around it.
func TestCleanBoldLoops(t *testing.T) {
	for _, tc := range []struct {
		name   string
		height int     // of the crop, pixels
		text   float64 // the characters' height, a fraction of the crop's
		loop   float64 // the loop's diameter, a fraction of the characters' height
	}{
		{"tight zone crop", 68, 0.75, 0.4},
		{"small crop", 34, 0.8, 0.45},
		{"field with margins", 130, 0.45, 0.4},
		{"large tight crop", 200, 0.8, 0.35},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.height
			w := 3 * h
			b := Bitmap{Width: w, Height: h, Ink: make([]float32, w*h)}
			// Paper: a grey level with thin wavy lines of texture.
			for y := range h {
				for x := range w {
					v := 0.12
					if math.Abs(math.Mod(float64(y)+3*math.Sin(float64(x)/5), 6)) < 1 {
						v = 0.22
					}
					b.Ink[y*w+x] = float32(v)
				}
			}
			// A bold 9: a filled loop on a thick stem.
			th := tc.text * float64(h)
			top := (float64(h) - th) / 2
			r := tc.loop * th / 2
			cx, cy := float64(w)/2, top+r
			stroke := max(2, th/10)
			inLoop := func(x, y int) bool { return math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy) <= r }
			for y := range h {
				for x := range w {
					fx, fy := float64(x)+0.5, float64(y)+0.5
					stem := fx >= cx+r-stroke && fx <= cx+r && fy >= cy && fy <= top+th
					if inLoop(x, y) || stem {
						b.Ink[y*w+x] = 0.9
					}
				}
			}
			out := Clean(b, StringCleanWindow(h))
			var loop, loopN, paper, paperN float64
			for y := range h {
				for x := range w {
					v := float64(out.Ink[y*w+x])
					switch {
					case inLoop(x, y) && math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy) <= r-1:
						loop, loopN = loop+v, loopN+1
					case math.Abs(float64(x)-cx) > 2*r+stroke+2:
						paper, paperN = paper+v, paperN+1
					}
				}
			}
			if loop /= loopN; loop < 0.9 {
				t.Errorf("window %d: the loop's ink is %.2f after Clean, want at least 0.9", StringCleanWindow(h), loop)
			}
			if paper /= paperN; paper > 0.02 {
				t.Errorf("window %d: the paper's ink is %.3f after Clean, want at most 0.02", StringCleanWindow(h), paper)
			}
		})
	}
}
