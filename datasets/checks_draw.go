package datasets

import (
	"fmt"
	"image"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// canvas is a window [x0, x0+w) × [y0, y0+h) of a check's plane (before
// skew) holding the darkness of each pixel: 0 for white paper, 1 for
// black. Drawing outside the window is clipped, so the same layout draws
// a full check or only the window around its amount field.
type canvas struct {
	x0, y0, w, h int
	d            []float32
	// With owners: own gives each pixel the character (cur when it was
	// drawn) that put the most ink there (ownV), or -1.
	own  []int8
	ownV []float32
	cur  int8
}

// trackOwners makes the canvas record which character inks each pixel.
func (c *canvas) trackOwners() {
	c.own = make([]int8, len(c.d))
	c.ownV = make([]float32, len(c.d))
	for i := range c.own {
		c.own[i] = -1
	}
}

func newCanvas(r image.Rectangle) *canvas {
	return &canvas{x0: r.Min.X, y0: r.Min.Y, w: r.Dx(), h: r.Dy(), d: make([]float32, r.Dx()*r.Dy())}
}

// at returns the darkness at (x, y) of the window's own coordinates, 0
// outside it.
func (c *canvas) at(x, y int) float32 {
	if x < 0 || y < 0 || x >= c.w || y >= c.h {
		return 0
	}
	return c.d[y*c.w+x]
}

func (c *canvas) rect() image.Rectangle { return image.Rect(c.x0, c.y0, c.x0+c.w, c.y0+c.h) }

// put darkens pixel (x, y) by v as ink does: d ← 1 − (1−d)(1−v).
func (c *canvas) put(x, y int, v float32) {
	x, y = x-c.x0, y-c.y0
	if x < 0 || y < 0 || x >= c.w || y >= c.h {
		return
	}
	i := y*c.w + x
	p := &c.d[i]
	*p += v - *p*v
	if c.own != nil && v > c.ownV[i] {
		c.ownV[i], c.own[i] = v, c.cur
	}
}

func clamp01(v float64) float64 { return max(0, min(1, v)) }

// pt is a point of the check's plane, in pixels.
type pt struct{ x, y float64 }

// stroke draws a polyline of the given width (pixels) with round joints
// and caps, antialiased, and returns its ink box.
func (c *canvas) stroke(pts []pt, width float64, dark float32) image.Rectangle {
	if len(pts) == 0 {
		return image.Rectangle{}
	}
	minX, minY, maxX, maxY := pts[0].x, pts[0].y, pts[0].x, pts[0].y
	for _, p := range pts[1:] {
		minX, minY = math.Min(minX, p.x), math.Min(minY, p.y)
		maxX, maxY = math.Max(maxX, p.x), math.Max(maxY, p.y)
	}
	hw := width / 2
	ink := image.Rect(int(math.Floor(minX-hw+0.3)), int(math.Floor(minY-hw+0.3)), int(math.Ceil(maxX+hw-0.3)), int(math.Ceil(maxY+hw-0.3)))
	reg := image.Rect(int(math.Floor(minX-hw-1)), int(math.Floor(minY-hw-1)), int(math.Ceil(maxX+hw+1)), int(math.Ceil(maxY+hw+1))).Intersect(c.rect())
	if reg.Empty() {
		return ink
	}
	// The coverage of the whole polyline, the maximum over its segments,
	// so that joints are not inked twice.
	rw := reg.Dx()
	cov := make([]float32, rw*reg.Dy())
	for k := range pts {
		a, b := pts[k], pts[min(k+1, len(pts)-1)]
		if k+1 == len(pts) && len(pts) > 1 {
			break
		}
		sr := image.Rect(int(math.Floor(math.Min(a.x, b.x)-hw-1)), int(math.Floor(math.Min(a.y, b.y)-hw-1)),
			int(math.Ceil(math.Max(a.x, b.x)+hw+1)), int(math.Ceil(math.Max(a.y, b.y)+hw+1))).Intersect(reg)
		dx, dy := b.x-a.x, b.y-a.y
		l2 := dx*dx + dy*dy
		for y := sr.Min.Y; y < sr.Max.Y; y++ {
			py := float64(y) + 0.5 - a.y
			row := cov[(y-reg.Min.Y)*rw : (y-reg.Min.Y+1)*rw]
			for x := sr.Min.X; x < sr.Max.X; x++ {
				px := float64(x) + 0.5 - a.x
				t := 0.0
				if l2 > 0 {
					t = math.Max(0, math.Min(1, (px*dx+py*dy)/l2))
				}
				ex, ey := px-t*dx, py-t*dy
				v := float32(clamp01(hw + 0.5 - math.Sqrt(ex*ex+ey*ey)))
				if v > row[x-reg.Min.X] {
					row[x-reg.Min.X] = v
				}
			}
		}
	}
	for y := reg.Min.Y; y < reg.Max.Y; y++ {
		for x := reg.Min.X; x < reg.Max.X; x++ {
			if v := cov[(y-reg.Min.Y)*rw+x-reg.Min.X]; v > 0 {
				c.put(x, y, v*dark)
			}
		}
	}
	return ink
}

// fill darkens the rectangle [x0, x1) × [y0, y1), antialiased at its
// fractional edges.
func (c *canvas) fill(x0, y0, x1, y1 float64, dark float32) {
	r := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(c.rect())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		cy := math.Min(y1, float64(y+1)) - math.Max(y0, float64(y))
		for x := r.Min.X; x < r.Max.X; x++ {
			cx := math.Min(x1, float64(x+1)) - math.Max(x0, float64(x))
			c.put(x, y, float32(clamp01(cx)*clamp01(cy))*dark)
		}
	}
}

// place draws the bitmap src (sw×sh ink values in [0, 1]) into the box
// (tx, ty, tw, th) of the plane, sheared by slant (the top moves right by
// slant·th), resampled bilinearly (averaging n×n samples per pixel when
// shrinking by n) with a slight sharpening, and returns its ink box (ink
// above 0.2), whether or not it lies in the window.
func (c *canvas) place(src []float32, sw, sh int, tx, ty, tw, th, slant float64, dark float32) image.Rectangle {
	if sw == 0 || sh == 0 || tw <= 0 || th <= 0 {
		return image.Rectangle{}
	}
	bottom := ty + th
	xa, xb := tx+math.Min(0, slant*th), tx+tw+math.Max(0, slant*th)
	ink := image.Rectangle{}
	fx, fy := float64(sw)/tw, float64(sh)/th
	n := max(1, min(4, int(math.Ceil(max(fx, fy)-0.25))))
	at := func(x, y int) float32 {
		if x < 0 || y < 0 || x >= sw || y >= sh {
			return 0
		}
		return src[y*sw+x]
	}
	bilinear := func(sx, sy float64) float32 {
		ix, iy := int(math.Floor(sx)), int(math.Floor(sy))
		wx, wy := float32(sx-float64(ix)), float32(sy-float64(iy))
		return (1-wy)*((1-wx)*at(ix, iy)+wx*at(ix+1, iy)) + wy*((1-wx)*at(ix, iy+1)+wx*at(ix+1, iy+1))
	}
	win := c.rect()
	step := 1 / float64(n)
	for y := int(math.Floor(ty)); y < int(math.Ceil(bottom)); y++ {
		inRow := y >= win.Min.Y && y < win.Max.Y
		for x := int(math.Floor(xa)); x < int(math.Ceil(xb)); x++ {
			var v float32
			for j := range n {
				cy := float64(y) + (float64(j)+0.5)*step
				sy := (cy-ty)*fy - 0.5
				shift := slant * (bottom - cy)
				for i := range n {
					sx := (float64(x)+(float64(i)+0.5)*step-tx-shift)*fx - 0.5
					if sx < -1 || sx >= float64(sw) || sy < -1 || sy >= float64(sh) {
						continue
					}
					v += bilinear(sx, sy)
				}
			}
			v = min(1, max(0, (v/float32(n*n)-0.08)*1.3))
			if v <= 0 {
				continue
			}
			if v > 0.2 {
				ink = ink.Union(image.Rect(x, y, x+1, y+1))
			}
			if inRow {
				c.put(x, y, v*dark)
			}
		}
	}
	return ink
}

// text draws s with face, its dot (the baseline's left end) at (x, y),
// and returns its box and advance. Nothing is rasterised when the box
// misses the window.
func (c *canvas) text(face font.Face, s string, x, y float64, dark float32) (image.Rectangle, float64) {
	// The advance and the font's line box are cheap (no outlines loaded):
	// text well outside the window is left at that.
	adv := font.MeasureString(face, s)
	m := face.Metrics()
	pad := float64(m.Height) / 64
	rough := image.Rect(int(x-pad), int(y-float64(m.Ascent)/64-pad), int(x+float64(adv)/64+pad), int(y+float64(m.Descent)/64+pad))
	if !rough.Overlaps(c.rect()) {
		return rough, float64(adv) / 64
	}
	b, adv := font.BoundString(face, s)
	box := image.Rect(int(math.Floor(x+float64(b.Min.X)/64)), int(math.Floor(y+float64(b.Min.Y)/64)),
		int(math.Ceil(x+float64(b.Max.X)/64)), int(math.Ceil(y+float64(b.Max.Y)/64)))
	reg := box.Intersect(c.rect())
	if !reg.Empty() {
		a := image.NewAlpha(reg)
		d := font.Drawer{Dst: a, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.Int26_6(math.Round(y * 64))}}
		d.DrawString(s)
		for yy := reg.Min.Y; yy < reg.Max.Y; yy++ {
			row := a.Pix[(yy-reg.Min.Y)*a.Stride:]
			for xx := reg.Min.X; xx < reg.Max.X; xx++ {
				if v := row[xx-reg.Min.X]; v > 0 {
					c.put(xx, yy, float32(v)/255*dark)
				}
			}
		}
	}
	return box, float64(adv) / 64
}

// newFace returns a face of f at size points and dpi (no hinting).
func newFace(f *opentype.Font, size, dpi float64) font.Face {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: dpi, Hinting: font.HintingNone})
	if err != nil {
		// NewFace has no failure mode today; should one appear, a
		// fixed-size bitmap face keeps generation going.
		return basicfont.Face7x13
	}
	return face
}

// amountSymbols are the characters of amounts: digits and $ , . - / =.
const amountSymbols = "0123456789$,.-/="

// glyph is a character of a handwriting font rasterised once: its ink
// cropped to its box, placed at (dx, dy) from the pen's dot on the
// baseline, in the cache's pixels.
type glyph struct {
	ink    []float32
	w, h   int
	dx, dy float64
}

// handFont is a handwriting font with its amount characters cached.
type handFont struct {
	path   string
	font   *opentype.Font
	glyphs [128]*glyph // nil for a character the font lacks
	// digitH is the mean ink height of the font's digits in the cache's
	// pixels: characters are scaled so that digits are as tall as the
	// writer's.
	digitH float64
}

// glyphEm is the size of the cached glyphs, pixels per em.
const glyphEm = 64

// loadHandFont parses a TrueType or OpenType font file and caches its
// amount characters.
func loadHandFont(path string) (*handFont, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := opentype.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	hf := &handFont{path: path, font: f}
	face := newFace(f, glyphEm, 72)
	defer face.Close()
	var buf sfnt.Buffer
	var sumH float64
	nDigits := 0
	for i := range len(amountSymbols) {
		ch := amountSymbols[i]
		if gi, err := f.GlyphIndex(&buf, rune(ch)); err != nil || gi == 0 {
			continue
		}
		b, _, ok := face.GlyphBounds(rune(ch))
		if !ok {
			continue
		}
		r := image.Rect(b.Min.X.Floor()-1, b.Min.Y.Floor()-1, b.Max.X.Ceil()+1, b.Max.Y.Ceil()+1)
		if r.Empty() {
			continue
		}
		a := image.NewAlpha(r)
		d := font.Drawer{Dst: a, Src: image.Opaque, Face: face}
		d.DrawString(string(rune(ch)))
		// Crop to the ink.
		ink := image.Rectangle{}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if a.AlphaAt(x, y).A > 25 {
					ink = ink.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		if ink.Empty() {
			continue
		}
		g := &glyph{w: ink.Dx(), h: ink.Dy(), dx: float64(ink.Min.X), dy: float64(ink.Min.Y), ink: make([]float32, ink.Dx()*ink.Dy())}
		for y := ink.Min.Y; y < ink.Max.Y; y++ {
			for x := ink.Min.X; x < ink.Max.X; x++ {
				g.ink[(y-ink.Min.Y)*g.w+x-ink.Min.X] = float32(a.AlphaAt(x, y).A) / 255
			}
		}
		hf.glyphs[ch] = g
		if ch >= '0' && ch <= '9' {
			sumH += float64(g.h)
			nDigits++
		}
	}
	if nDigits < 10 {
		return nil, fmt.Errorf("%s: the font has %d of the 10 digits", path, nDigits)
	}
	hf.digitH = sumH / float64(nDigits)
	return hf, nil
}

// catmullRom samples a Catmull-Rom spline through ps, n points per span.
func catmullRom(ps []pt, n int) []pt {
	if len(ps) < 3 {
		return ps
	}
	out := make([]pt, 0, (len(ps)-1)*n+1)
	for k := 0; k+1 < len(ps); k++ {
		p0, p1, p2, p3 := ps[max(0, k-1)], ps[k], ps[k+1], ps[min(len(ps)-1, k+2)]
		for s := range n {
			t := float64(s) / float64(n)
			t2, t3 := t*t, t*t*t
			f := func(a, b, c, d float64) float64 {
				return 0.5 * (2*b + (c-a)*t + (2*a-5*b+4*c-d)*t2 + (3*b-a-3*c+d)*t3)
			}
			out = append(out, pt{f(p0.x, p1.x, p2.x, p3.x), f(p0.y, p1.y, p2.y, p3.y)})
		}
	}
	return append(out, ps[len(ps)-1])
}

// symbolStrokes returns the strokes of a hand-drawn symbol ($ , . - / =)
// in units of the digit height, x from the symbol's left, y down from
// the baseline (digits span y in [-1, 0]), jittered by r.
func symbolStrokes(r *rng, sym byte) [][]pt {
	j := func(x, y float64) pt { return pt{x + r.symmetric(0.03), y + r.symmetric(0.03)} }
	switch sym {
	case '.':
		return [][]pt{{j(0, -0.04), j(0.03, -0.05)}}
	case ',':
		return [][]pt{catmullRom([]pt{j(0.07, -0.1), j(0.08, 0), j(0.05, 0.1), j(0, 0.18)}, 4)}
	case '-':
		l, y := 0.28+0.3*r.float64(), -0.45+r.symmetric(0.08)
		return [][]pt{{j(0, y), j(l/2, y), j(l, y+r.symmetric(0.06))}}
	case '=':
		l, y := 0.3+0.25*r.float64(), -0.3+r.symmetric(0.05)
		gap := 0.22 + 0.1*r.float64()
		return [][]pt{{j(0, y-gap), j(l, y-gap)}, {j(0.02, y), j(l+0.02, y)}}
	case '/':
		w := 0.35 + 0.2*r.float64()
		return [][]pt{{j(0, 0.04), j(w, -1.02)}}
	case '$':
		w := 0.5 + 0.15*r.float64()
		s := []pt{{0.95, -0.84}, {0.55, -0.97}, {0.1, -0.84}, {0.18, -0.6}, {0.55, -0.5}, {0.95, -0.36}, {0.9, -0.1}, {0.5, 0}, {0.05, -0.13}}
		for k := range s {
			s[k] = j(s[k].x*w, s[k].y)
		}
		strokes := [][]pt{catmullRom(s, 4)}
		if r.float64() < 0.3 {
			strokes = append(strokes, []pt{j(0.38*w, -1.12), j(0.36*w, 0.12)}, []pt{j(0.62*w, -1.12), j(0.6*w, 0.12)})
		} else {
			strokes = append(strokes, []pt{j(0.5*w, -1.15), j(0.48*w, 0.15)})
		}
		return strokes
	}
	return nil
}
