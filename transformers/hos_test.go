package transformers

import (
	"fmt"
	"math"
	"testing"
)

// handMade returns hand-drawn strings of two or three touching or
// interleaved characters at MNIST scale (about 20 pixels high), each with
// the owner of every pixel.
func handMade() map[string]*canvas {
	out := map[string]*canvas{}
	// Two rings touching side by side: "00".
	c := newCanvas(40, 28)
	c.ring(11, 14, 6, 9, 1.2, 0)
	c.ring(24, 14, 6, 9, 1.2, 1)
	out["00 touching"] = c
	// A bar with a foot touching a ring: "10".
	c = newCanvas(36, 28)
	c.line(8, 4, 7, 23, 1.2, 0)
	c.line(7, 23, 12.5, 23, 1.2, 0)
	c.ring(19, 14, 6, 9, 1.2, 1)
	out["10 touching"] = c
	// A seven whose bar runs over the next character: "71", interleaved
	// and touching.
	c = newCanvas(36, 28)
	c.line(4, 5, 17, 5, 1.1, 0)
	c.line(17, 5, 9, 23, 1.1, 0)
	c.line(19.5, 4, 17, 23, 1.1, 1)
	out["71 interleaved"] = c
	// Three: a ring, a bar touching it, and a ring touching the bar.
	c = newCanvas(52, 28)
	c.ring(10, 14, 6, 9, 1.2, 0)
	c.line(19, 4, 18, 24, 1.2, 1)
	c.ring(27, 14, 6, 9, 1.2, 2)
	out["010 touching"] = c
	// A one under the bar of a seven, not touching it: "71", the boxes
	// overlapping (the pieces must be read in the right order).
	c = newCanvas(36, 28)
	c.line(4, 5, 18, 5, 1.1, 0)
	c.line(18, 5, 10, 23, 1.1, 0)
	c.line(19.5, 10, 17, 24, 1.1, 1)
	out["71 under the bar"] = c
	return out
}

// TestHOSTouching checks that the over-segmenter cuts hand-made touching
// characters so that the correct segmentation is among its paths: every
// character is one segment (at least TruthCover of its ink, at most
// TruthForeign of foreign ink), the segments in order.
func TestHOSTouching(t *testing.T) {
	h, err := NewHOS(DefaultHOS())
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range handMade() {
		t.Run(name, func(t *testing.T) {
			chars := 0
			for _, o := range c.owner {
				chars = max(chars, int(o)+1)
			}
			seg, err := h.Segment(c.bitmap())
			if err != nil {
				t.Fatal(err)
			}
			truth := seg.Truth(c.owner, c.w, c.h, chars)
			path := seg.CorrectPath(truth, chars)
			if path == nil {
				t.Fatalf("no path of %d pieces and %d segments reads the %d characters; truth %v\n%s", seg.NumPieces, len(seg.Segments), chars, truth, drawPieces(seg))
			}
			if seg.NumPieces <= 1 {
				t.Errorf("%d pieces: the touching characters were not cut", seg.NumPieces)
			}
		})
	}
}

// TestHOSTouchingCanFail shows that TestHOSTouching tests the cuts: a
// segmenter that never cuts a component (the same settings, CutWidth
// beyond any string) has no correct path for the touching characters.
func TestHOSTouchingCanFail(t *testing.T) {
	cfg := DefaultHOS()
	cfg.CutWidth = 1000
	h, err := NewHOS(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"00 touching", "10 touching", "71 interleaved", "010 touching"} {
		c := handMade()[name]
		chars := 0
		for _, o := range c.owner {
			chars = max(chars, int(o)+1)
		}
		seg, err := h.Segment(c.bitmap())
		if err != nil {
			t.Fatal(err)
		}
		if path := seg.CorrectPath(seg.Truth(c.owner, c.w, c.h, chars), chars); path != nil {
			t.Errorf("%s: a segmenter without cuts found the correct path %v", name, path)
		}
	}
}

// drawPieces draws the pieces of a segmentation as text, for failures.
func drawPieces(seg *Segmentation) string {
	s := ""
	w := seg.Norm.Width
	for y := range seg.Norm.Height {
		for x := range w {
			switch r := seg.Piece[y*w+x]; {
			case r >= 0:
				s += fmt.Sprint(r % 10)
			case seg.Norm.Ink[y*w+x] > 0.3:
				s += "#"
			default:
				s += "."
			}
		}
		s += "\n"
	}
	return s
}

// TestHOSGraph checks the structure of segmentation graphs: segments join
// piece boundaries left to right, span 1..MaxSpan pieces, every piece is
// covered by a single-piece segment (so that every state is reachable),
// and the features and images have one row per segment.
func TestHOSGraph(t *testing.T) {
	h, err := NewHOS(DefaultHOS())
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range handMade() {
		seg, err := h.Segment(c.bitmap())
		if err != nil {
			t.Fatal(err)
		}
		single := make([]bool, seg.NumPieces)
		for i, sg := range seg.Segments {
			if sg.From < 0 || sg.To > seg.NumPieces || sg.To-sg.From < 1 || sg.To-sg.From > DefaultHOS().MaxSpan {
				t.Errorf("%s: segment %d joins %d and %d of %d pieces", name, i, sg.From, sg.To, seg.NumPieces)
			}
			if i > 0 && sg.From < seg.Segments[i-1].From {
				t.Errorf("%s: segments not ordered by their first piece", name)
			}
			if sg.To-sg.From == 1 {
				single[sg.From] = true
			}
		}
		for r, ok := range single {
			if !ok {
				t.Errorf("%s: piece %d has no segment of its own", name, r)
			}
		}
		n := len(seg.Segments)
		if seg.Features.Shape[0] != n || seg.Images.Shape[0] != n {
			t.Errorf("%s: %d segments, features %v, images %v", name, n, seg.Features.Shape, seg.Images.Shape)
		}
	}
}

// TestHOSEmptyAndBlank: an image without ink gives a graph of one state
// (the empty reading); a single dot gives one piece.
func TestHOSEmptyAndBlank(t *testing.T) {
	h, _ := NewHOS(DefaultHOS())
	seg, err := h.Segment(Bitmap{Width: 20, Height: 10, Ink: make([]float32, 200)})
	if err != nil {
		t.Fatal(err)
	}
	if seg.NumPieces != 0 || len(seg.Segments) != 0 {
		t.Errorf("blank image: %d pieces, %d segments", seg.NumPieces, len(seg.Segments))
	}
	c := newCanvas(20, 20)
	c.dot(10, 10, 3, 0)
	if seg, err = h.Segment(c.bitmap()); err != nil {
		t.Fatal(err)
	}
	if seg.NumPieces != 1 || len(seg.Segments) != 1 {
		t.Errorf("a dot: %d pieces, %d segments", seg.NumPieces, len(seg.Segments))
	}
	if _, err := h.Segment(Bitmap{Width: 3, Height: 3, Ink: make([]float32, 8)}); err == nil {
		t.Error("a bitmap with the wrong number of pixels was accepted")
	}
}

// TestNormalize checks that the ink box is scaled to Body rows starting at
// (Height-Body)/2, whatever the input's size, and that Transform maps back.
func TestNormalize(t *testing.T) {
	for _, scale := range []float64{0.5, 1, 2.5} {
		c := newCanvas(int(60*scale), int(40*scale))
		c.line(10*scale, 8*scale, 40*scale, 30*scale, 1.5*scale, 0)
		cfg := NormalizeConfig{Height: 32, Body: 24, Pad: 3, Threshold: 0.3, MinSpeck: 2}
		norm, tf, err := Normalize(c.bitmap(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		top, bottom := norm.Height, -1
		for y := range norm.Height {
			for x := range norm.Width {
				if norm.Ink[y*norm.Width+x] > 0.3 {
					top, bottom = min(top, y), max(bottom, y)
				}
			}
		}
		if top < 3 || top > 5 || bottom < 26 || bottom > 28 {
			t.Errorf("scale %g: ink rows %d..%d, want about 4..27", scale, top, bottom)
		}
		// The pixel at the line's start maps back near it.
		sx, sy := tf.Source(tf.PadX, tf.Top)
		if math.Abs(sx-tf.SrcX)-0.5/tf.Scale > 1e-9 || math.Abs(sy-tf.SrcY)-0.5/tf.Scale > 1e-9 {
			t.Errorf("scale %g: Source(PadX, Top) = (%g, %g), box corner (%g, %g)", scale, sx, sy, tf.SrcX, tf.SrcY)
		}
	}
}

// TestNormalizeStrays checks that ink above or below the string's band
// of rows does not set its height, and is erased when the image's top or
// bottom edge cuts it (the handwriting of the line above a field), while
// a comma below the baseline, a superscript and the string's own ink
// touching the edge count.
func TestNormalizeStrays(t *testing.T) {
	cfg := NormalizeConfig{Height: 32, Body: 24, Pad: 2, Threshold: 0.3, MinSpeck: 4}
	// A string: two strokes 40 pixels high (rows 30..70) and a comma
	// below them: its ink spans rows 28..82.
	str := func() *canvas {
		c := newCanvas(160, 100)
		c.line(20, 30, 20, 70, 2, 0)
		c.line(50, 30, 70, 70, 2, 1)
		c.line(80, 68, 77, 80, 1.5, 2)
		return c
	}
	const stringScale = 24.0 / 54
	for _, tc := range []struct {
		name   string
		draw   func(c *canvas) // extra ink, of owner 3
		scale  float64         // Normalize's scale
		erased bool            // the extra ink is erased
		kept   bool            // the extra ink is in the normalised image
	}{
		{"above, cut by the top", func(c *canvas) { c.line(30, 0, 40, 24, 2, 3) }, stringScale, true, false},
		{"below, cut by the bottom", func(c *canvas) { c.line(40, 99, 45, 86, 2, 3) }, stringScale, true, false},
		{"above, cut by the top, larger than any character", func(c *canvas) { c.line(5, 0, 155, 22, 3, 3) }, stringScale, true, false},
		{"above, apart (out of the frame)", func(c *canvas) { c.line(100, 6, 130, 14, 2, 3) }, stringScale, false, false},
		{"superscript", func(c *canvas) { c.line(110, 30, 110, 48, 1.5, 3) }, stringScale, false, true},
		{"the string's ink touching the top", func(c *canvas) { c.line(110, 0, 110, 60, 2, 3) }, 24.0 / 82, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := str()
			tc.draw(c)
			norm, tf, err := Normalize(c.bitmap(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(tf.Scale-tc.scale) > 0.02 {
				t.Errorf("scale %.3f, want about %.3f", tf.Scale, tc.scale)
			}
			var extra, own float32 // the ink of the extra stroke, and the string's
			for y := range norm.Height {
				for x := range norm.Width {
					sx, sy := tf.Source(x, y)
					if sx < 0 || sy < 0 || int(sx) >= c.w || int(sy) >= c.h {
						continue
					}
					switch c.owner[int(sy)*c.w+int(sx)] {
					case 3:
						extra += norm.Ink[y*norm.Width+x]
					case 0, 1, 2:
						own += norm.Ink[y*norm.Width+x]
					}
				}
			}
			// Erasing leaves the stroke's faint anti-aliased edge.
			switch {
			case tc.erased && extra > 0.5:
				t.Errorf("the stray's ink is still there (%.2f)", extra)
			case tc.kept && extra < 1:
				t.Errorf("the extra ink was erased")
			}
			if own < 10 {
				t.Errorf("the string's ink is gone (%.1f left)", own)
			}
		})
	}
}
