package transformers

import (
	"math"
	"testing"
)

// rotated returns (x, y) turned by deg degrees about (cx, cy).
func rotated(x, y, cx, cy, deg float64) (float64, float64) {
	s, co := math.Sincos(deg * math.Pi / 180)
	return cx + (x-cx)*co - (y-cy)*s, cy + (x-cx)*s + (y-cy)*co
}

func TestRemoveRules(t *testing.T) {
	const rule = 100 // the owner id of the rules' ink
	// A field 300×120: a box (or an underline) turned by deg, and
	// characters drawn over it: a "1", a "0" of four strokes, a "7"; when
	// touching, they end on the line and a stroke crosses it.
	field := func(deg float64, box, touching bool) *canvas {
		c := newCanvas(300, 120)
		seg := func(x0, y0, x1, y1, r float64, id int) {
			x0, y0 = rotated(x0, y0, 150, 60, deg)
			x1, y1 = rotated(x1, y1, 150, 60, deg)
			c.line(x0, y0, x1, y1, r, id)
		}
		seg(20, 90, 280, 90, 1, rule)
		if box {
			seg(20, 20, 280, 20, 1, rule)
			seg(20, 20, 20, 90, 1, rule)
			seg(280, 20, 280, 90, 1, rule)
		}
		// The characters end above the line, or on it (the 1 and the 7),
		// and a stroke crosses it.
		end := 84.0
		if touching {
			end = 89
		}
		seg(60, 40, 60, end, 2, 0)
		seg(100, 40, 130, 40, 2, 1)
		seg(130, 40, 130, 80, 2, 1)
		seg(100, 40, 100, 80, 2, 1)
		seg(100, 80, 130, 80, 2, 1)
		seg(160, 40, 200, 40, 2, 2)
		seg(200, 40, 175, end, 2, 2)
		if touching {
			seg(240, 50, 240, 110, 2, 3)
			seg(225, 22, 225, 88, 2, 4) // a tall 1 from rule to rule
		}
		return c
	}
	for _, tc := range []struct {
		name          string
		deg           float64
		box, touching bool
	}{
		{"box", 0, true, false},
		{"box turned 2°", 2, true, false},
		{"box turned -3°", -3, true, false},
		{"underline", 0, false, false},
		{"underline turned 1.5°, strokes touching and crossing it", 1.5, false, true},
		{"box, strokes touching and crossing its bottom", -1, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := field(tc.deg, tc.box, tc.touching)
			out := RemoveRules(c.bitmap(), 0.3)
			nearStroke := func(p int) bool { // within 4 pixels of a character's ink
				x, y := p%c.w, p/c.w
				for dy := -4; dy <= 4; dy++ {
					for dx := -4; dx <= 4; dx++ {
						q := (y+dy)*c.w + x + dx
						if x+dx >= 0 && x+dx < c.w && q >= 0 && q < len(c.ink) && c.owner[q] >= 0 && c.owner[q] != rule && c.ink[q] > 0.3 {
							return true
						}
					}
				}
				return false
			}
			var ruleInk, left, strokeInk, kept int
			for p, o := range c.owner {
				switch {
				case o == rule && !nearStroke(p):
					ruleInk++
					if out.Ink[p] > 0.05 {
						left++
					}
				case o >= 0 && o != rule && c.ink[p] > 0.3:
					strokeInk++
					if out.Ink[p] > 0.3 {
						kept++
					}
				}
			}
			if ruleInk == 0 || left > ruleInk/100 {
				t.Errorf("%d of %d pixels of the rules left", left, ruleInk)
			}
			if kept < strokeInk*97/100 {
				t.Errorf("%d of %d pixels of the characters kept, want 97%%", kept, strokeInk)
			}
		})
	}
}

// TestRemoveRulesKeepsCharacters: images without rules come back as they
// were, however long their strokes are next to their size.
func TestRemoveRulesKeepsCharacters(t *testing.T) {
	seven := newCanvas(32, 44) // a 7 whose bar spans the image
	seven.line(1, 5, 31, 5, 1.5, 0)
	seven.line(31, 5, 12, 42, 1.5, 0)
	one := newCanvas(20, 60) // a 1 from top to bottom
	one.line(10, 1, 10, 59, 2, 0)
	post := newCanvas(200, 60) // a vertical line that joins no rule, and a dash
	post.line(100, 2, 100, 58, 1, 0)
	post.line(130, 30, 170, 30, 1.5, 1)
	for name, c := range map[string]*canvas{"seven": seven, "one": one, "post": post, "blank": newCanvas(50, 20), "empty": newCanvas(0, 0)} {
		out := RemoveRules(c.bitmap(), 0.3)
		if out.Width != c.w || out.Height != c.h || len(out.Ink) != len(c.ink) {
			t.Fatalf("%s: %d×%d (%d values), want %d×%d", name, out.Width, out.Height, len(out.Ink), c.w, c.h)
		}
		for i := range c.ink {
			if out.Ink[i] != c.ink[i] {
				t.Errorf("%s: pixel (%d, %d) changed", name, i%c.w, i/c.w)
				break
			}
		}
	}
}
