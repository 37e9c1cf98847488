package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"

	"github.com/gotn/gotn/internal/atomicfile"
)

// Check styles.
const (
	// CheckUS is the US style: "$1,234.56", "$75 50/100", "$1,000.--".
	CheckUS = "us"
	// CheckLatin is the style of Latin American and European checks:
	// period thousands and a trailing guard, "1.234.-", "15.500=".
	CheckLatin = "latin"
	// CheckMixed draws each check's style at random (half of each).
	CheckMixed = "mixed"
)

// DefaultCheckFonts are the handwriting fonts of the Debian packages
// fonts-dkg-handwriting and fonts-kristi.
func DefaultCheckFonts() []string {
	return []string{
		"/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
		"/usr/share/fonts/truetype/fifthhorseman/dkgBd.ttf",
		"/usr/share/fonts/truetype/fifthhorseman/dkgIt.ttf",
		"/usr/share/fonts/truetype/fifthhorseman/dkgBI.ttf",
		"/usr/share/fonts/truetype/kristi/Kristi.ttf",
	}
}

// CheckConfig says how Checks draws bank checks.
type CheckConfig struct {
	// Style is CheckUS, CheckLatin or CheckMixed.
	Style string
	// MinDPI and MaxDPI bound the scanning resolution (uniform).
	MinDPI, MaxDPI int
	// MaxSkew is the largest rotation of the scanned check, degrees (±).
	MaxSkew float64
	// Noise is the largest standard deviation of the scanner noise, in
	// grey levels over [0, 1] (each check draws its own in [0, Noise]).
	Noise float64
	// Background is the probability of a security background pattern
	// (guilloche, hatching, tint).
	Background float64
	// FieldOnly returns only the amount field with a random margin
	// instead of the full check.
	FieldOnly bool
	// FieldMargin is the largest margin around a field crop on each side
	// (drawn independently), as a fraction of the field's height.
	FieldMargin float64
	// Fonts are handwriting fonts (TrueType or OpenType files). Those that
	// are missing or lack digits are left out (see Checks.FontError).
	Fonts []string
	// FontShare is the share of checks whose amount is written with a
	// handwriting font; the others are written with MNIST digits and
	// hand-drawn symbols.
	FontShare float64

	// amountOnly draws nothing but the amount's characters (tests).
	amountOnly bool
}

// DefaultChecks returns the configuration of the check-reading task: US
// checks at 200 dpi, skewed up to 3 degrees, with scanner noise,
// security backgrounds on 85% of them and a third of the amounts written
// with the handwriting fonts of DefaultCheckFonts.
func DefaultChecks() CheckConfig {
	return CheckConfig{
		Style:  CheckUS,
		MinDPI: 200, MaxDPI: 200,
		MaxSkew:     3,
		Noise:       0.04,
		Background:  0.85,
		FieldMargin: 0.5,
		Fonts:       DefaultCheckFonts(),
		FontShare:   0.35,
	}
}

// Check reports a configuration that cannot generate checks.
func (c CheckConfig) Check() error {
	switch {
	case c.Style != CheckUS && c.Style != CheckLatin && c.Style != CheckMixed:
		return fmt.Errorf("datasets: checks: style %q, want %q, %q or %q", c.Style, CheckUS, CheckLatin, CheckMixed)
	case c.MinDPI < 72 || c.MaxDPI < c.MinDPI || c.MaxDPI > 600:
		return fmt.Errorf("datasets: checks: resolutions %d..%d dpi, want 72 <= min <= max <= 600", c.MinDPI, c.MaxDPI)
	case !(c.MaxSkew >= 0 && c.MaxSkew <= 30):
		return fmt.Errorf("datasets: checks: skew %g degrees, want 0..30", c.MaxSkew)
	case !(c.Noise >= 0 && c.Noise <= 0.5):
		return fmt.Errorf("datasets: checks: noise %g, want 0..0.5", c.Noise)
	case !(c.Background >= 0 && c.Background <= 1) || !(c.FontShare >= 0 && c.FontShare <= 1):
		return fmt.Errorf("datasets: checks: background %g and font share %g must be probabilities", c.Background, c.FontShare)
	case !(c.FieldMargin >= 0 && c.FieldMargin <= 10):
		return fmt.Errorf("datasets: checks: field margin %g, want 0..10", c.FieldMargin)
	}
	return nil
}

// CheckChar is a character of a check's amount: its symbol (a digit or
// one of $ , . - / =) and its ink box in the check's image. Printed is
// true for the "$" printed on the form.
type CheckChar struct {
	Symbol  string
	Box     image.Rectangle
	Printed bool
}

// Check is a generated check image with its ground truth.
type Check struct {
	// Image is the scan: dark ink on white paper.
	Image *image.Gray
	// Field is the amount field's box in Image: the printed box (or rule)
	// and the "$" together with all of the amount's ink.
	Field image.Rectangle
	// Text is the amount as written, printed "$" included: "$1,234.56",
	// "$75 50/100", "1.234.-".
	Text string
	// Digits are the amount's digits (AmountDigits of Text): "123456".
	Digits string
	// Amount is the value: two decimals in the US style ("200.00"), an
	// integer in the Latin style ("1234").
	Amount string
	// Style is CheckUS or CheckLatin.
	Style string
	// DPI is the scan's resolution and Skew its rotation in degrees.
	DPI  int
	Skew float64
	// Font is the handwriting font of the amount, "" when it was written
	// with MNIST digits and drawn symbols.
	Font string
	// Chars are the amount's characters in the order of Text (spaces
	// left out).
	Chars []CheckChar
	// Owner gives, for each pixel of Image (row by row), the index in
	// Chars of the character whose ink is there (the one with the most
	// ink before the scan's resampling), or -1.
	Owner []int8
}

// Checks generates images of bank checks: their amounts are written with
// the digits of an MNIST split and hand-drawn symbols, or with
// handwriting fonts. Check i is a function of (seed, i) only.
//
// A Checks is safe for concurrent use.
type Checks struct {
	digits  *MNIST
	n       int
	seed    uint64
	cfg     CheckConfig
	crops   [][4]uint8
	byLabel [10][]int32
	fonts   []*handFont
	fontErr error
	// The printed fonts (Go fonts, embedded).
	regular, bold, italic, mono *opentype.Font
	normals                     []float32
}

// NewChecks returns a generator of n checks whose amounts are written
// with the digits of digits (pass the training split for training checks
// and the test split for test checks). Fonts that cannot be loaded are
// reported by FontError, not here: the generator then writes every amount
// with MNIST digits and drawn symbols.
func NewChecks(digits *MNIST, n int, seed uint64, cfg CheckConfig) (*Checks, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if digits == nil || digits.Len() == 0 || digits.Rows < 4 || digits.Cols < 4 {
		return nil, errors.New("datasets: checks: no source digits")
	}
	if n < 0 {
		return nil, fmt.Errorf("datasets: checks: %d checks", n)
	}
	c := &Checks{digits: digits, n: n, seed: seed, cfg: cfg, crops: make([][4]uint8, digits.Len())}
	for i := range c.crops {
		img := digits.Image(i)
		x0, y0, x1, y1 := digits.Cols, digits.Rows, 0, 0
		for y := range digits.Rows {
			for x, v := range img[y*digits.Cols : (y+1)*digits.Cols] {
				if v > 25 {
					x0, y0 = min(x0, x), min(y0, y)
					x1, y1 = max(x1, x+1), max(y1, y+1)
				}
			}
		}
		if x1 <= x0 {
			continue // a blank image is never drawn
		}
		c.crops[i] = [4]uint8{uint8(x0), uint8(y0), uint8(x1), uint8(y1)}
		c.byLabel[digits.Labels[i]] = append(c.byLabel[digits.Labels[i]], int32(i))
	}
	for d, l := range c.byLabel {
		if len(l) == 0 {
			return nil, fmt.Errorf("datasets: checks: the source digits have no image of a %d", d)
		}
	}
	var missing []string
	for _, path := range cfg.Fonts {
		f, err := loadHandFont(path)
		if err != nil {
			missing = append(missing, err.Error())
			continue
		}
		c.fonts = append(c.fonts, f)
	}
	switch {
	case len(missing) > 0 && len(c.fonts) == 0 && cfg.FontShare > 0:
		c.fontErr = fmt.Errorf("datasets: checks: no handwriting font loaded (%s); every amount is written with MNIST digits and drawn symbols (apt-get install fonts-dkg-handwriting fonts-kristi)", strings.Join(missing, "; "))
	case len(missing) > 0:
		c.fontErr = fmt.Errorf("datasets: checks: %d of %d handwriting fonts not loaded: %s", len(missing), len(cfg.Fonts), strings.Join(missing, "; "))
	}
	for _, f := range []struct {
		dst  **opentype.Font
		data []byte
	}{{&c.regular, goregular.TTF}, {&c.bold, gobold.TTF}, {&c.italic, goitalic.TTF}, {&c.mono, gomonobold.TTF}} {
		var err error
		if *f.dst, err = opentype.Parse(f.data); err != nil {
			return nil, fmt.Errorf("datasets: checks: Go font: %w", err)
		}
	}
	c.normals = make([]float32, 4096)
	nr := newRNG(0x6e6f726d) // "norm"
	buf := make([]float64, len(c.normals))
	nr.normals(buf)
	for i, v := range buf {
		c.normals[i] = float32(v)
	}
	return c, nil
}

// Len returns the number of checks.
func (c *Checks) Len() int { return c.n }

// Config returns the generator's configuration.
func (c *Checks) Config() CheckConfig { return c.cfg }

// FontError reports the handwriting fonts that could not be loaded, and
// whether amounts are then written without fonts; nil when all loaded.
func (c *Checks) FontError() error { return c.fontErr }

// Fonts returns the paths of the handwriting fonts in use.
func (c *Checks) Fonts() []string {
	out := make([]string, len(c.fonts))
	for i, f := range c.fonts {
		out[i] = f.path
	}
	return out
}

// Check returns check i.
func (c *Checks) Check(i int) *Check {
	return c.generate(newRNG(mix(mix(c.seed, 0x63686b73), uint64(i)))) // "chks"
}

// Variant returns a new check drawn from (seed, i, variant): the fresh
// checks of a training run (pass SampleSeed(runSeed, epoch, i)). Variant
// 0 is Check(i).
func (c *Checks) Variant(i int, variant uint64) *Check {
	if variant == 0 {
		return c.Check(i)
	}
	return c.generate(newRNG(mix(mix(mix(c.seed, 0x63686b73), uint64(i)), variant)))
}

// writer is the hand that writes a check: its size, slant, spacing, pen
// and font (nil for MNIST digits and drawn symbols).
type writer struct {
	font   *handFont
	h      float64 // digit height, pixels
	slant  float64 // the top of a character moves right by slant × its height
	gap    float64 // mean gap between characters, in digit heights
	dark   float32 // the pen's darkness
	pen    float64 // stroke width of drawn symbols, in digit heights
	drift  float64 // slope of the baseline
	fscale float64 // font glyph scale jitter
}

func (c *Checks) newWriter(r *rng, h float64) *writer {
	w := &writer{h: h, dark: float32(0.7 + 0.3*r.float64()), drift: r.symmetric(0.03), fscale: 1}
	if len(c.fonts) > 0 && r.float64() < c.cfg.FontShare {
		w.font = c.fonts[r.intn(len(c.fonts))]
		w.slant = r.symmetric(0.12)
		w.gap = 0.02 + 0.15*r.float64()
		w.pen = 0.08 + 0.04*r.float64()
		w.fscale = 0.9 + 0.2*r.float64()
	} else {
		w.slant = -0.1 + 0.3*r.float64()
		w.gap = -0.02 + 0.22*r.float64()
		w.pen = 0.09 + 0.06*r.float64()
	}
	return w
}

// piece is a laid-out character of an amount, in digit heights relative
// to the pen's start on the baseline: a bitmap in the box (x, y, w, h)
// or strokes.
type piece struct {
	tok        token
	src        []float32
	sw, sh     int
	x, y, w, h float64
	strokes    [][]pt
	pen        float64
}

// mnistDigit returns the ink of a random MNIST image of digit d cropped to
// its ink, with its strokes thickened or thinned.
func (c *Checks) mnistDigit(r *rng, d int) ([]float32, int, int) {
	idx := c.byLabel[d][r.intn(len(c.byLabel[d]))]
	cr := c.crops[idx]
	x0, y0, x1, y1 := int(cr[0]), int(cr[1]), int(cr[2]), int(cr[3])
	w, h := x1-x0+2, y1-y0+2
	src := make([]float32, w*h)
	img := c.digits.Image(int(idx))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			src[(y-y0+1)*w+x-x0+1] = float32(img[y*c.digits.Cols+x]) / 255
		}
	}
	if s := r.symmetric(0.7); s > 0 {
		morph(src, w, h, s)
	} else {
		morph(src, w, h, s/2)
	}
	return src, w, h
}

// layout lays the tokens out, left to right from 0, and returns the
// pieces and the total width, in digit heights.
func (c *Checks) layout(r *rng, w *writer, toks []token) ([]piece, float64) {
	var out []piece
	x := 0.0
	afterSlash := false
	for k, t := range toks {
		if t.sym == ' ' {
			x += 0.25 + 0.4*r.float64()
			continue
		}
		if t.printed {
			continue // drawn by the form
		}
		scale, raise := 1.0, 0.0
		if t.small {
			scale = 0.55 + 0.15*r.float64()
			if t.sym == '/' {
				raise, scale = -0.15, scale*1.3
			} else if !afterSlash {
				raise = -0.42
			}
		}
		if t.sym == '/' {
			afterSlash = true
		}
		p := piece{tok: t}
		jit := r.symmetric(0.05)
		switch g := w.glyph(t.sym); {
		case g != nil:
			s := w.fscale / w.font.digitH * scale
			p.src, p.sw, p.sh = g.ink, g.w, g.h
			p.x, p.y, p.w, p.h = 0, g.dy*s+raise+jit, float64(g.w)*s, float64(g.h)*s
		case t.sym >= '0' && t.sym <= '9':
			p.src, p.sw, p.sh = c.mnistDigit(r, int(t.sym-'0'))
			p.h = (0.9 + 0.15*r.float64()) * scale * float64(p.sh) / float64(p.sh-2)
			p.w = p.h * float64(p.sw) / float64(p.sh) * (0.9 + 0.2*r.float64())
			p.y = -p.h + raise + jit + 0.04*scale
		default:
			p.pen = w.pen * math.Sqrt(scale)
			if t.sym == '.' {
				p.pen *= 1.4
			}
			p.strokes = symbolStrokes(r, t.sym)
			minX := math.Inf(1)
			maxX := math.Inf(-1)
			for _, s := range p.strokes {
				for q := range s {
					s[q] = pt{s[q].x * scale, s[q].y*scale + raise + jit}
					minX, maxX = math.Min(minX, s[q].x), math.Max(maxX, s[q].x)
				}
			}
			for _, s := range p.strokes {
				for q := range s {
					s[q].x -= minX - p.pen/2
				}
			}
			p.w = maxX - minX + p.pen
		}
		if k > 0 && len(out) > 0 {
			x += w.gap + r.symmetric(0.06)
			if t.sym == '.' || t.sym == ',' || out[len(out)-1].tok.sym == '.' || out[len(out)-1].tok.sym == ',' {
				x += 0.03 + 0.05*r.float64()
			}
		}
		p.x += x
		out = append(out, p)
		x += p.w
	}
	return out, x
}

// glyph returns the writer's font glyph of sym, or nil to draw it by hand.
func (w *writer) glyph(sym byte) *glyph {
	if w.font == nil {
		return nil
	}
	return w.font.glyphs[sym]
}

// write draws the laid-out pieces with the pen's start at (x0, baseline)
// and returns their characters (boxes in the plane), the first being
// character first of the amount (for the canvas's owners).
func (w *writer) write(cv *canvas, pieces []piece, x0, baseline float64, first int) []CheckChar {
	h := w.h
	chars := make([]CheckChar, 0, len(pieces))
	for k, p := range pieces {
		cv.cur = int8(min(127, first+k))
		base := baseline + w.drift*(p.x*h)
		var box image.Rectangle
		if p.src != nil {
			box = cv.place(p.src, p.sw, p.sh, x0+p.x*h, base+p.y*h, p.w*h, p.h*h, w.slant, w.dark)
		} else {
			for _, s := range p.strokes {
				q := make([]pt, len(s))
				for k, v := range s {
					q[k] = pt{x0 + (p.x+v.x-w.slant*v.y)*h, base + v.y*h}
				}
				box = box.Union(cv.stroke(q, p.pen*h, w.dark))
			}
		}
		chars = append(chars, CheckChar{Symbol: string(p.tok.sym), Box: box})
	}
	return chars
}

// checkLayout is where a check's form puts things, in pixels.
type checkLayout struct {
	w, h  float64
	box   image.Rectangle // the amount box
	latin bool
}

// generate draws a check.
func (c *Checks) generate(r rng) *Check {
	cfg := c.cfg
	latin := cfg.Style == CheckLatin || cfg.Style == CheckMixed && r.float64() < 0.5
	dpi := cfg.MinDPI + r.intn(cfg.MaxDPI-cfg.MinDPI+1)
	fd := float64(dpi)
	W, H := math.Round((6+r.float64())*fd), math.Round((2.7+0.3*r.float64())*fd)
	toks, amount := amountTokens(&r, latin)
	ck := &Check{Text: tokensText(toks), Amount: amount, DPI: dpi, Style: CheckUS}
	if latin {
		ck.Style = CheckLatin
	}
	ck.Digits = AmountDigits(ck.Text)

	// The amount box.
	bh := (0.3 + 0.12*r.float64()) * fd
	var box image.Rectangle
	if latin {
		x0, y0 := (0.62+0.06*r.float64())*W, (0.08+0.05*r.float64())*H
		box = image.Rect(int(x0), int(y0), int(W*(0.94+0.02*r.float64())), int(y0+bh))
	} else {
		x0, y0 := (0.74+0.04*r.float64())*W, (0.33+0.05*r.float64())*H
		box = image.Rect(int(x0), int(y0), int(W*(0.94+0.02*r.float64())), int(y0+bh))
	}
	lay := checkLayout{w: W, h: H, box: box, latin: latin}
	hand := c.newWriter(&r, bh*(0.5+0.22*r.float64()))
	if hand.font != nil {
		ck.Font = hand.font.path
	}

	// The amount, drawn on its own canvas so that the field's box is known
	// before the window is chosen.
	bf := float64(box.Dy())
	acv := newCanvas(image.Rect(box.Min.X-int(0.7*bf), box.Min.Y-int(0.5*bf), box.Max.X+int(0.3*bf), box.Max.Y+int(0.4*bf)))
	acv.trackOwners()
	acv.cur = 0 // the printed "$", if any
	field := box
	var printedDollar *CheckChar
	startX := float64(box.Min.X) + (0.08+0.12*r.float64())*bf
	baseline := float64(box.Max.Y) - (0.14+0.1*r.float64())*bf
	if len(toks) > 0 && toks[0].printed {
		face := newFace(c.bold, 0.62*bf*(0.9+0.2*r.float64()), 72)
		_, adv := font.BoundString(face, "$")
		dx := float64(box.Min.X) - float64(adv)/64 - 0.08*bf
		if r.float64() < 0.4 || dx < 0 {
			dx = float64(box.Min.X) + 0.08*bf
			startX = dx + float64(adv)/64 + (0.1+0.1*r.float64())*bf
		}
		b, _ := acv.text(face, "$", dx, float64(box.Max.Y)-0.2*bf, 0.92)
		printedDollar = &CheckChar{Symbol: "$", Box: b, Printed: true}
		field = field.Union(b)
	}
	pieces, width := c.layout(&r, hand, toks)
	if room := float64(box.Max.X) - startX - 0.05*bf; width*hand.h > room && width > 0 {
		hand.h = math.Max(0.25*bf, room/width)
	}
	first := 0
	if printedDollar != nil {
		first = 1
	}
	chars := hand.write(acv, pieces, startX, baseline, first)
	if printedDollar != nil {
		chars = append([]CheckChar{*printedDollar}, chars...)
	}
	for _, ch := range chars {
		field = field.Union(ch.Box)
	}

	// Skew and the window to render.
	skew := r.symmetric(cfg.MaxSkew)
	th := skew * math.Pi / 180
	rot := rotation{cos: math.Cos(th), sin: math.Sin(th), cx: W / 2, cy: H / 2}
	paper := image.Rect(0, 0, int(W), int(H))
	out := paper
	if cfg.FieldOnly {
		f := rot.box(field)
		m := cfg.FieldMargin * float64(f.Dy())
		out = image.Rect(f.Min.X-2-int(m*r.float64()), f.Min.Y-2-int(m*r.float64()),
			f.Max.X+2+int(m*r.float64()), f.Max.Y+2+int(m*r.float64())).Intersect(paper)
	}
	cv := newCanvas(rot.inverseBox(out).Inset(-2))

	if !cfg.amountOnly {
		var pat pattern
		if r.float64() < cfg.Background {
			pat = newPattern(&r, fd)
		}
		clear := image.Rectangle{}
		if r.float64() < 0.5 {
			clear = box
		}
		pat.draw(cv, paper, clear)
		c.drawForm(cv, &r, lay, hand, amount)
		// The amount box: a frame, a rule under it, or nothing.
		lw := math.Max(1, fd/150)
		bx0, by0, bx1, by1 := float64(box.Min.X), float64(box.Min.Y), float64(box.Max.X), float64(box.Max.Y)
		switch pick(&r, 60, 25, 15) {
		case 0:
			cv.fill(bx0, by0, bx1, by0+lw, 0.85)
			cv.fill(bx0, by1-lw, bx1, by1, 0.85)
			cv.fill(bx0, by0, bx0+lw, by1, 0.85)
			cv.fill(bx1-lw, by0, bx1, by1, 0.85)
		case 1:
			cv.fill(bx0, by1-lw, bx1, by1, 0.85)
		}
	}
	// The amount's ink over the form.
	for y := max(acv.y0, cv.y0); y < min(acv.y0+acv.h, cv.y0+cv.h); y++ {
		for x := max(acv.x0, cv.x0); x < min(acv.x0+acv.w, cv.x0+cv.w); x++ {
			if v := acv.d[(y-acv.y0)*acv.w+x-acv.x0]; v > 0 {
				cv.put(x, y, v)
			}
		}
	}

	// The scan.
	ck.Skew = skew
	ck.Image = c.scan(&r, cv, rot, out)
	var ink image.Rectangle
	for _, ch := range chars {
		ink = ink.Union(ch.Box)
	}
	ck.Owner = owners(acv, ink.Inset(-2), rot, out)
	shift := func(b image.Rectangle) image.Rectangle {
		return rot.box(b).Sub(out.Min).Intersect(ck.Image.Rect)
	}
	ck.Field = shift(field)
	ck.Chars = chars
	for k := range ck.Chars {
		ck.Chars[k].Box = shift(ck.Chars[k].Box)
	}
	return ck
}

// owners maps the characters' owners of the amount's canvas to the
// pixels of the scan's window out; ink is the union of the characters'
// boxes in the plane.
func owners(acv *canvas, ink image.Rectangle, rot rotation, out image.Rectangle) []int8 {
	ow := out.Dx()
	own := make([]int8, ow*out.Dy())
	for i := range own {
		own[i] = -1
	}
	reg := rot.box(ink.Intersect(acv.rect())).Intersect(out)
	const off = 1 << 16 // keeps coordinates positive, so that conversion floors
	for v := reg.Min.Y; v < reg.Max.Y; v++ {
		px, py := rot.inverse(float64(reg.Min.X)+0.5, float64(v)+0.5)
		px += off - 0.5 - float64(acv.x0)
		py += off - 0.5 - float64(acv.y0)
		row := own[(v-out.Min.Y)*ow : (v-out.Min.Y+1)*ow]
		for u := reg.Min.X; u < reg.Max.X; u, px, py = u+1, px+rot.cos, py-rot.sin {
			// The owner with the most ink among the four pixels the scan
			// interpolates.
			x0, y0 := int(px)-off, int(py)-off
			if x0 < -1 || y0 < -1 || x0 >= acv.w || y0 >= acv.h {
				continue
			}
			best := float32(0.1)
			for y := max(0, y0); y <= min(acv.h-1, y0+1); y++ {
				for x := max(0, x0); x <= min(acv.w-1, x0+1); x++ {
					if i := y*acv.w + x; acv.ownV[i] > best {
						best = acv.ownV[i]
						row[u-out.Min.X] = acv.own[i]
					}
				}
			}
		}
	}
	return own
}

// rotation rotates the check's plane by an angle about (cx, cy).
type rotation struct{ cos, sin, cx, cy float64 }

// forward maps a point of the plane to the scan.
func (t rotation) forward(x, y float64) (float64, float64) {
	x, y = x-t.cx, y-t.cy
	return t.cx + t.cos*x - t.sin*y, t.cy + t.sin*x + t.cos*y
}

// inverse maps a point of the scan to the plane.
func (t rotation) inverse(x, y float64) (float64, float64) {
	x, y = x-t.cx, y-t.cy
	return t.cx + t.cos*x + t.sin*y, t.cy - t.sin*x + t.cos*y
}

func (t rotation) boxOf(r image.Rectangle, f func(x, y float64) (float64, float64)) image.Rectangle {
	if r.Empty() {
		return r
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range [4][2]int{{r.Min.X, r.Min.Y}, {r.Max.X, r.Min.Y}, {r.Min.X, r.Max.Y}, {r.Max.X, r.Max.Y}} {
		x, y := f(float64(p[0]), float64(p[1]))
		x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
	}
	return image.Rect(int(math.Floor(x0))-1, int(math.Floor(y0))-1, int(math.Ceil(x1))+1, int(math.Ceil(y1))+1)
}

// box returns the box in the scan of a box of the plane (one pixel more on
// each side for the resampling).
func (t rotation) box(r image.Rectangle) image.Rectangle { return t.boxOf(r, t.forward) }

// inverseBox returns the box of the plane that a box of the scan shows.
func (t rotation) inverseBox(r image.Rectangle) image.Rectangle { return t.boxOf(r, t.inverse) }

// scan resamples the window out of the rotated plane and adds paper tone,
// scanner noise and dust.
func (c *Checks) scan(r *rng, cv *canvas, rot rotation, out image.Rectangle) *image.Gray {
	ow, oh := out.Dx(), out.Dy()
	d := make([]float32, ow*oh)
	for v := range oh {
		qx, qy := float64(out.Min.X)+0.5, float64(out.Min.Y+v)+0.5
		px, py := rot.inverse(qx, qy)
		px -= float64(cv.x0) + 0.5
		py -= float64(cv.y0) + 0.5
		row := d[v*ow : (v+1)*ow]
		for u := range row {
			ix, iy := int(math.Floor(px)), int(math.Floor(py))
			if ix >= -1 && iy >= -1 && ix < cv.w && iy < cv.h {
				wx, wy := float32(px-float64(ix)), float32(py-float64(iy))
				if ix >= 0 && iy >= 0 && ix+1 < cv.w && iy+1 < cv.h {
					p := iy*cv.w + ix
					row[u] = (1-wy)*((1-wx)*cv.d[p]+wx*cv.d[p+1]) + wy*((1-wx)*cv.d[p+cv.w]+wx*cv.d[p+cv.w+1])
				} else {
					row[u] = (1-wy)*((1-wx)*cv.at(ix, iy)+wx*cv.at(ix+1, iy)) + wy*((1-wx)*cv.at(ix, iy+1)+wx*cv.at(ix+1, iy+1))
				}
			}
			px += rot.cos
			py -= rot.sin
		}
	}
	// Dust: a few dark specks, with the noise.
	for range r.intn(1+ow*oh/60000) * min(1, int(math.Ceil(c.cfg.Noise))) {
		x, y, s := r.intn(ow), r.intn(oh), 1+r.intn(2)
		dark := float32(0.3 + 0.5*r.float64())
		for yy := y; yy < min(oh, y+s); yy++ {
			for xx := x; xx < min(ow, x+s); xx++ {
				p := &d[yy*ow+xx]
				*p += dark - *p*dark
			}
		}
	}
	paperTone := 0.86 + 0.14*r.float64()
	sigma := float32(c.cfg.Noise * r.float64() * 255)
	im := image.NewGray(image.Rect(0, 0, ow, oh))
	scale := float32(255 * paperTone)
	var bits uint64
	for i, v := range d {
		g := scale * (1 - v)
		if sigma > 0 {
			if i%5 == 0 {
				bits = r.uint64()
			}
			g += sigma * c.normals[bits&4095]
			bits >>= 12
		}
		im.Pix[i] = uint8(min(255, max(0, g+0.5)))
	}
	return im
}

// pattern is a security background: two families of wavy lines
// (guilloche), a hatching, or a tint alone.
type pattern struct {
	kind                 int // 0 none, 1 guilloche, 2 hatching, 3 tint
	tint, dark           float32
	period, amp, wave    float64
	phase, period2, amp2 float64
	wave2, phase2, width float64
	slope                float64
}

func newPattern(r *rng, dpi float64) pattern {
	u := dpi / 200
	return pattern{
		kind: 1 + pick(r, 55, 25, 20), tint: float32(0.06 * r.float64()), dark: float32(0.08 + 0.14*r.float64()),
		period: (5 + 8*r.float64()) * u, amp: (2 + 10*r.float64()) * u, wave: (20 + 60*r.float64()) * u, phase: 2 * math.Pi * r.float64(),
		period2: (5 + 8*r.float64()) * u, amp2: (2 + 10*r.float64()) * u, wave2: (20 + 60*r.float64()) * u, phase2: 2 * math.Pi * r.float64(),
		width: (0.6 + 0.8*r.float64()) * u, slope: r.symmetric(1.5),
	}
}

// draw paints the pattern on the paper's part of the window, blank so
// far, leaving the clear box white.
func (p pattern) draw(cv *canvas, paper, clear image.Rectangle) {
	if p.kind == 0 {
		return
	}
	reg := paper.Intersect(cv.rect())
	if reg.Empty() {
		return
	}
	s1 := make([]float64, reg.Dx())
	s2 := make([]float64, reg.Dx())
	for x := range s1 {
		fx := float64(reg.Min.X + x)
		s1[x] = p.amp * math.Sin(2*math.Pi*fx/p.wave+p.phase)
		s2[x] = p.amp2 * math.Sin(2*math.Pi*fx/p.wave2+p.phase2)
	}
	line := func(v, period float64) float32 {
		v += 1 << 20 // positive, so that conversion truncates as Floor would
		f := v - float64(int64(v))
		return float32(max(0, min(1, p.width/2+0.5-min(f, 1-f)*period)))
	}
	for y := reg.Min.Y; y < reg.Max.Y; y++ {
		fy := float64(y) + 0.5
		inClearRows := y >= clear.Min.Y && y < clear.Max.Y
		for x := reg.Min.X; x < reg.Max.X; x++ {
			if inClearRows && x >= clear.Min.X && x < clear.Max.X {
				continue
			}
			v := p.tint
			switch p.kind {
			case 1:
				v += p.dark * max(line((fy+s1[x-reg.Min.X])/p.period, p.period), line((fy-s2[x-reg.Min.X])/p.period2, p.period2))
			case 2:
				v += p.dark * line((float64(x)+p.slope*fy)/p.period, p.period/math.Sqrt(1+p.slope*p.slope))
			case 3:
				v += p.dark * 0.3 * float32(0.5+0.5*math.Sin(s1[x-reg.Min.X]/p.amp*2+fy/p.wave))
			}
			if v > 0 {
				// The pattern is drawn first, on blank paper.
				cv.d[(y-cv.y0)*cv.w+x-cv.x0] = v
			}
		}
	}
}

// drawForm draws the printed form and the handwriting around the amount.
func (c *Checks) drawForm(cv *canvas, r *rng, lay checkLayout, hand *writer, amount string) {
	W, H := lay.w, lay.h
	fd := H / 2.85 // roughly the dpi; only proportions matter
	pts := func(p float64) float64 { return p * fd / 72 }
	regular := func(size float64) font.Face { return newFace(c.regular, pts(size), 72) }
	bold := func(size float64) font.Face { return newFace(c.bold, pts(size), 72) }
	ink := float32(0.8 + 0.15*r.float64())
	lw := math.Max(1, fd/200)
	rule := func(x0, x1, y float64) { cv.fill(x0, y, x1, y+lw, ink*0.9) }
	// Handwriting: the writer's font, another one, or Go Italic.
	hf := c.italic
	if hand.font != nil {
		hf = hand.font.font
	} else if len(c.fonts) > 0 && r.float64() < 0.85 {
		hf = c.fonts[r.intn(len(c.fonts))].font
	}
	hsize := (0.13 + 0.06*r.float64()) * 72 * fd / 72 // pixels per em
	handFace := newFace(hf, hsize/fd*72*1.6, fd/1.6*1)
	handText := func(s string, x, y float64) float64 {
		_, adv := cv.text(handFace, s, x, y, hand.dark)
		return adv
	}
	if r.float64() < 0.5 {
		in := 0.04 * fd
		cv.fill(in, in, W-in, in+lw, ink)
		cv.fill(in, H-in-lw, W-in, H-in, ink)
		cv.fill(in, in, in+lw, H-in, ink)
		cv.fill(W-in-lw, in, W-in, H-in, ink)
	}
	num := strconv.Itoa(100 + r.intn(9900))
	latin := lay.latin
	box := lay.box
	if !latin {
		// Holder, check number, date.
		name := oneOf(r, firstNames) + " " + oneOf(r, lastNames)
		cv.text(bold(10), strings.ToUpper(name), 0.05*W, 0.12*H, ink)
		cv.text(regular(8), strconv.Itoa(10+r.intn(9000))+" "+oneOf(r, usStreets), 0.05*W, 0.18*H, ink)
		cv.text(regular(8), oneOf(r, usCities), 0.05*W, 0.235*H, ink)
		cv.text(bold(11), num, 0.87*W, 0.12*H, ink)
		cv.text(regular(7), "DATE", 0.6*W, 0.27*H, ink)
		rule(0.65*W, 0.9*W, 0.27*H)
		handText(checkDate(r, false), 0.67*W, 0.26*H)
		// Payee.
		cv.text(regular(6.5), "PAY TO THE", 0.04*W, float64(box.Max.Y)-0.22*fd, ink)
		cv.text(regular(6.5), "ORDER OF", 0.04*W, float64(box.Max.Y)-0.08*fd, ink)
		rule(0.14*W, float64(box.Min.X)-0.35*fd, float64(box.Max.Y)-0.05*fd)
		handText(payee(r, false), 0.17*W, float64(box.Max.Y)-0.09*fd)
		// Legal amount.
		ly := float64(box.Max.Y) + 0.4*fd
		rule(0.04*W, 0.84*W, ly)
		cv.text(regular(8), "DOLLARS", 0.85*W, ly, ink)
		adv := handText(legalAmount(r, false, amount), 0.06*W, ly-0.03*fd)
		if r.float64() < 0.5 && 0.06*W+adv+0.2*fd < 0.82*W {
			y := ly - 0.08*fd
			cv.stroke([]pt{{0.06*W + adv + 0.1*fd, y}, {0.82 * W, y + r.symmetric(0.02*fd)}}, hand.pen*hand.h*0.6, hand.dark)
		}
		// Bank, memo, signature.
		cv.text(bold(9), oneOf(r, usBanks), 0.05*W, ly+0.3*fd, ink)
		cv.text(regular(7), oneOf(r, usCities), 0.05*W, ly+0.45*fd, ink)
		my := 0.86 * H
		cv.text(regular(7), "MEMO", 0.04*W, my, ink)
		rule(0.11*W, 0.48*W, my)
		if r.float64() < 0.6 {
			handText(oneOf(r, memos), 0.13*W, my-0.03*fd)
		}
		rule(0.55*W, 0.95*W, my)
	} else {
		cv.text(bold(11), oneOf(r, esBanks), 0.05*W, 0.14*H, ink)
		cv.text(regular(7), "CUENTA CORRIENTE", 0.05*W, 0.22*H, ink)
		cv.text(bold(9), "No "+num, 0.42*W, 0.14*H, ink)
		dy := float64(box.Max.Y) + 0.35*fd
		rule(0.4*W, 0.95*W, dy)
		handText(checkDate(r, true), 0.42*W, dy-0.04*fd)
		py := dy + 0.4*fd
		cv.text(regular(7), "PAGUESE A LA ORDEN DE", 0.04*W, py, ink)
		rule(0.26*W, 0.8*W, py)
		cv.text(regular(7), "O AL PORTADOR", 0.82*W, py, ink)
		handText(payee(r, true), 0.3*W, py-0.04*fd)
		ly := py + 0.4*fd
		cv.text(regular(7), "LA SUMA DE", 0.04*W, ly, ink)
		rule(0.16*W, 0.95*W, ly)
		handText(legalAmount(r, true, amount), 0.18*W, ly-0.04*fd)
		rule(0.55*W, 0.95*W, 0.86*H)
	}
	// Signature: a scribble.
	sx, sy := (0.58+0.05*r.float64())*W, 0.86*H-0.08*fd
	n := 8 + r.intn(8)
	sig := make([]pt, n)
	for k := range sig {
		sig[k] = pt{sx + float64(k)*0.3*W/float64(n) + r.symmetric(0.05*fd), sy + r.symmetric(0.15*fd)}
	}
	cv.stroke(catmullRom(sig, 6), math.Max(1, hand.pen*hand.h*0.5), hand.dark)
	// MICR line: routing ⑆...⑆, account ⑈, check number.
	micr := newFace(c.mono, pts(11), 72)
	my := H - 0.13*fd
	x := 0.1 * W
	bar := func() {
		cv.fill(x, my-0.1*fd, x+0.025*fd, my, ink)
		cv.fill(x+0.05*fd, my-0.06*fd, x+0.075*fd, my, ink)
		x += 0.12 * fd
	}
	bar()
	routing := make([]byte, 9)
	for k := range routing {
		routing[k] = byte('0' + r.intn(10))
	}
	_, adv := cv.text(micr, string(routing), x, my, ink)
	x += adv + 0.03*fd
	bar()
	x += 0.1 * fd
	account := strconv.FormatInt(int64(1e8+r.intn(9e8)), 10)
	_, adv = cv.text(micr, account, x, my, ink)
	x += adv + 0.03*fd
	bar()
	x += 0.1 * fd
	cv.text(micr, num, x, my, ink)
}

// CharImage is one character drawn alone as the amounts of checks write
// it (see Checks.Character).
type CharImage struct {
	Symbol        string
	Width, Height int
	// Ink holds one value per pixel, row by row: 0 for paper, 1 for ink.
	Ink []float32
	// Box is the character's ink box.
	Box image.Rectangle
	// Font is the handwriting font, "" for an MNIST digit or a drawn
	// symbol.
	Font string
}

// Character draws symbol (a digit or one of $ , . - / =) alone with the
// hands of the checks: an MNIST digit or a drawn symbol, or a font's
// glyph with probability FontShare, for pre-training a recognizer on
// isolated characters. height is the height of digits in pixels; the
// image spans the line (1.3 heights above the baseline, 0.4 below) and the
// character with a margin of a quarter height. The image is a function of
// (symbol, height, seed).
func (c *Checks) Character(symbol string, height int, seed uint64) (*CharImage, error) {
	if len(symbol) != 1 || !strings.Contains(amountSymbols, symbol) {
		return nil, fmt.Errorf("datasets: checks: character %q, want one of %q", symbol, amountSymbols)
	}
	if height < 6 || height > 400 {
		return nil, fmt.Errorf("datasets: checks: character height %d, want 6..400", height)
	}
	r := newRNG(mix(mix(c.seed, 0x63686172), seed)) // "char"
	w := c.newWriter(&r, float64(height))
	pieces, width := c.layout(&r, w, []token{{sym: symbol[0]}})
	h := float64(height)
	margin := math.Ceil(0.25 * h)
	cw := int(math.Ceil(width*h+math.Abs(w.slant)*1.5*h)) + 2*int(margin)
	ch := int(math.Ceil(1.7 * h))
	cv := newCanvas(image.Rect(0, 0, cw, ch))
	x0 := margin + math.Max(0, -w.slant)*0.5*h
	chars := w.write(cv, pieces, x0, 1.3*h, 0)
	im := &CharImage{Symbol: symbol, Width: cw, Height: ch, Ink: cv.d, Box: chars[0].Box.Intersect(cv.rect())}
	if w.font != nil {
		im.Font = w.font.path
	}
	return im, nil
}

// WriteChecks writes checks [from, to) of c to dir as grey PNG files
// named by their index (000042.png) and a labels file dir/labels.tsv: a
// header, then one line per check, `file text digits amount x0 y0 x1 y1
// style` separated by tabs (x0..y1: the field's box), sorted by file. The
// lines of other files already in dir/labels.tsv are kept, so that ranges
// (of one generator or several) can be written one after another. Every
// file is written atomically.
func WriteChecks(dir string, c *Checks, from, to int) error {
	if from < 0 || to > c.Len() || from > to {
		return fmt.Errorf("datasets: WriteChecks: range [%d,%d) outside [0,%d)", from, to, c.Len())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("datasets: WriteChecks: %w", err)
	}
	path := filepath.Join(dir, "labels.tsv")
	old, err := ReadCheckLabels(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("datasets: WriteChecks: %w", err)
	}
	lines := map[string]string{}
	for _, l := range old {
		lines[l.File] = l.line()
	}
	for i := from; i < to; i++ {
		ck := c.Check(i)
		name := fmt.Sprintf("%06d.png", i)
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, ck.Image); err != nil {
			return fmt.Errorf("datasets: WriteChecks: %s: %w", name, err)
		}
		if err := writeShared(filepath.Join(dir, name), buf.Bytes()); err != nil {
			return fmt.Errorf("datasets: WriteChecks: %w", err)
		}
		lines[name] = CheckLabel{File: name, Text: ck.Text, Digits: ck.Digits, Amount: ck.Amount, Style: ck.Style, Field: ck.Field}.line()
	}
	var labels strings.Builder
	labels.WriteString("file\ttext\tdigits\tamount\tx0\ty0\tx1\ty1\tstyle\n")
	for _, name := range slices.Sorted(maps.Keys(lines)) {
		labels.WriteString(lines[name])
	}
	if err := writeShared(path, []byte(labels.String())); err != nil {
		return fmt.Errorf("datasets: WriteChecks: %w", err)
	}
	return nil
}

// writeShared writes a data file atomically, readable by all (as
// os.WriteFile's 0644 would leave it).
func writeShared(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

// CheckLabel is a line of a labels file of WriteChecks.
type CheckLabel struct {
	File, Text, Digits, Amount, Style string
	Field                             image.Rectangle
}

// line returns the label as a line of a labels file.
func (l CheckLabel) line() string {
	f := l.Field
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", l.File, l.Text, l.Digits, l.Amount, f.Min.X, f.Min.Y, f.Max.X, f.Max.Y, l.Style)
}

// ReadCheckLabels reads a labels file written by WriteChecks.
func ReadCheckLabels(path string) ([]CheckLabel, error) {
	var out []CheckLabel
	err := forEachLabel(path, func(line int, text string) error {
		cols := strings.Split(text, "\t")
		if len(cols) < 8 {
			return fmt.Errorf("datasets: %s:%d: %d columns, want file text digits amount x0 y0 x1 y1 [style]", path, line, len(cols))
		}
		var b [4]int
		for k := range b {
			var err error
			if b[k], err = strconv.Atoi(cols[4+k]); err != nil {
				return fmt.Errorf("datasets: %s:%d: field box: %w", path, line, err)
			}
		}
		l := CheckLabel{File: cols[0], Text: cols[1], Digits: cols[2], Amount: cols[3], Field: image.Rect(b[0], b[1], b[2], b[3])}
		if len(cols) > 8 {
			l.Style = cols[8]
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
