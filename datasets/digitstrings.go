package datasets

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotn/gotn/internal/atomicfile"
)

// DigitStringConfig says how DigitStrings draws a string of handwritten
// digits: its length, the spacing of its digits, and their variation.
type DigitStringConfig struct {
	// MinLen and MaxLen bound the number of digits (uniform).
	MinLen, MaxLen int
	// MinGap and MaxGap bound the horizontal gap, in pixels, between the
	// ink boxes of consecutive digits (uniform). A negative gap overlaps
	// the boxes, so that digits touch or interleave.
	MinGap, MaxGap float64
	// Jitter is the largest vertical offset of a digit, in pixels (±).
	Jitter float64
	// MinScale and MaxScale bound the size factor of each digit (MNIST
	// digits fit a 20×20 box).
	MinScale, MaxScale float64
	// Stroke is the largest change of stroke width: strokes are thickened
	// by up to this fraction of a one-pixel grey dilation, or thinned by
	// up to half of it of an erosion.
	Stroke float64
	// Noise is the largest standard deviation of the Gaussian noise added
	// to a string image (each string draws its own in [0, Noise]).
	Noise float64
	// Margin is the blank border around the string, in pixels.
	Margin int
	// Distort applies the random affine and elastic distortions of MNIST
	// training (DefaultAffine, DefaultElastic) to every digit before it is
	// placed: for training sets.
	Distort bool
}

// DefaultDigitStrings returns the configuration of the digit-string task:
// 1 to 8 digits, gaps from -4 px (overlapping, touching and interleaved
// digits) to +8 px, ±2 px vertical jitter, sizes 0.85-1.15, stroke-width
// variation and noise.
func DefaultDigitStrings() DigitStringConfig {
	return DigitStringConfig{
		MinLen: 1, MaxLen: 8,
		MinGap: -4, MaxGap: 8,
		Jitter:   2,
		MinScale: 0.85, MaxScale: 1.15,
		Stroke: 0.8,
		Noise:  0.06,
		Margin: 4,
	}
}

// Check reports a configuration that cannot generate strings.
func (c DigitStringConfig) Check() error {
	switch {
	case c.MinLen < 1 || c.MaxLen < c.MinLen:
		return fmt.Errorf("datasets: digit strings: lengths %d..%d, want 1 <= min <= max", c.MinLen, c.MaxLen)
	case c.MaxGap < c.MinGap || c.MinGap < -12:
		return fmt.Errorf("datasets: digit strings: gaps %g..%g, want -12 <= min <= max", c.MinGap, c.MaxGap)
	case c.MinScale <= 0.2 || c.MaxScale < c.MinScale || c.MaxScale > 4:
		return fmt.Errorf("datasets: digit strings: scales %g..%g, want 0.2 < min <= max <= 4", c.MinScale, c.MaxScale)
	case c.Jitter < 0 || c.Stroke < 0 || c.Stroke > 1 || c.Noise < 0 || c.Margin < 0:
		return fmt.Errorf("datasets: digit strings: jitter %g, stroke %g, noise %g and margin %d must be non-negative (stroke at most 1)", c.Jitter, c.Stroke, c.Noise, c.Margin)
	}
	return nil
}

// DigitStrings generates images of strings of handwritten digits by
// placing digits of an MNIST split side by side. String i is a function of
// (seed, i) only: the same on every run and machine, whatever the order in
// which strings are asked for. Strings made from the MNIST training split
// use only training digits, those from the test split only test digits.
//
// A DigitStrings is safe for concurrent use.
type DigitStrings struct {
	src  *MNIST
	n    int
	seed uint64
	cfg  DigitStringConfig
	// crops[i] is the ink box of MNIST image i: x0, y0, x1, y1.
	crops [][4]uint8
	// distort is nil unless cfg.Distort.
	distort *Distorter
}

// NewDigitStrings returns a generator of n strings drawn from the digits
// of src.
func NewDigitStrings(src *MNIST, n int, seed uint64, cfg DigitStringConfig) (*DigitStrings, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if src == nil || src.Len() == 0 {
		return nil, fmt.Errorf("datasets: digit strings: no source digits")
	}
	if n < 0 {
		return nil, fmt.Errorf("datasets: digit strings: %d strings", n)
	}
	d := &DigitStrings{src: src, n: n, seed: seed, cfg: cfg, crops: make([][4]uint8, src.Len())}
	if cfg.Distort {
		var err error
		if d.distort, err = NewDistorter(src.Cols, src.Rows, DefaultAffine(), DefaultElastic()); err != nil {
			return nil, err
		}
	}
	for i := range d.crops {
		img := src.Image(i)
		x0, y0, x1, y1 := src.Cols, src.Rows, 0, 0
		for y := range src.Rows {
			for x, v := range img[y*src.Cols : (y+1)*src.Cols] {
				if v > 0 {
					x0, y0 = min(x0, x), min(y0, y)
					x1, y1 = max(x1, x+1), max(y1, y+1)
				}
			}
		}
		if x1 <= x0 { // a blank image: keep a one-pixel box
			x0, y0, x1, y1 = 0, 0, 1, 1
		}
		d.crops[i] = [4]uint8{uint8(x0), uint8(y0), uint8(x1), uint8(y1)}
	}
	return d, nil
}

// Len returns the number of strings.
func (d *DigitStrings) Len() int { return d.n }

// Config returns the generator's configuration.
func (d *DigitStrings) Config() DigitStringConfig { return d.cfg }

// Box is a rectangle of pixels, [X0, X1) × [Y0, Y1).
type Box struct{ X0, Y0, X1, Y1 int }

// DigitString is one generated string image with its ground truth.
type DigitString struct {
	Width, Height int
	// Ink holds the ink of each pixel, row by row, 0 for paper and 1 for
	// full ink (MNIST's polarity, scaled to [0, 1]).
	Ink []float32
	// Labels are the digits, left to right.
	Labels []int
	// Boxes are the ink boxes of the digits, in the order of Labels.
	Boxes []Box
	// Owner gives, for each pixel, the index (in Labels) of the digit that
	// put the most ink there, or -1 where no digit has ink.
	Owner []int8
}

// Text returns the digits as a string, "3572".
func (s *DigitString) Text() string {
	var b strings.Builder
	for _, l := range s.Labels {
		b.WriteByte(byte('0' + l))
	}
	return b.String()
}

// String returns string i (0 <= i < Len()).
func (d *DigitStrings) String(i int) *DigitString {
	return d.generate(newRNG(mix(mix(d.seed, 0x73747273), uint64(i)))) // "strs"
}

// Variant returns a new string drawn from (seed, i, variant): the fresh
// strings of a training run that never shows the same string twice (pass
// SampleSeed(runSeed, epoch, i) as variant). Variant 0 is String(i).
func (d *DigitStrings) Variant(i int, variant uint64) *DigitString {
	if variant == 0 {
		return d.String(i)
	}
	return d.generate(newRNG(mix(mix(mix(d.seed, 0x73747273), uint64(i)), variant)))
}

// digit is one digit of a string being drawn.
type digit struct {
	label  int
	ink    []float32 // w×h
	w, h   int
	x, y   int // top-left corner on the canvas
	stroke float64
}

func (d *DigitStrings) generate(r rng) *DigitString {
	c := d.cfg
	n := c.MinLen + r.intn(c.MaxLen-c.MinLen+1)
	digits := make([]digit, n)
	height := int(math.Ceil(20*c.MaxScale+2*c.Jitter)) + 2*c.Margin
	x := float64(c.Margin)
	for k := range digits {
		g := &digits[k]
		idx := r.intn(d.src.Len())
		g.label = int(d.src.Labels[idx])
		scale := c.MinScale + (c.MaxScale-c.MinScale)*r.float64()
		// Thinning erodes MNIST's 2-3 pixel strokes fast: half as far.
		if g.stroke = r.symmetric(c.Stroke); g.stroke < 0 {
			g.stroke /= 2
		}
		jitter := r.symmetric(c.Jitter)
		if k > 0 {
			x += c.MinGap + (c.MaxGap-c.MinGap)*r.float64()
		}
		d.render(g, idx, scale, r.uint64())
		g.x = int(math.Round(x))
		g.y = int(math.Round(float64(height)/2 + jitter - float64(g.h)/2))
		g.y = max(0, min(height-g.h, g.y))
		x = float64(g.x + g.w)
	}
	minX := 0
	for _, g := range digits {
		minX = min(minX, g.x)
	}
	width := int(x) + c.Margin - minX
	s := &DigitString{
		Width: width, Height: height,
		Ink:    make([]float32, width*height),
		Labels: make([]int, n),
		Boxes:  make([]Box, n),
		Owner:  make([]int8, width*height),
	}
	for i := range s.Owner {
		s.Owner[i] = -1
	}
	for k, g := range digits {
		s.Labels[k] = g.label
		ox := g.x - minX
		b := Box{X0: width, Y0: height}
		for yy := range g.h {
			for xx := range g.w {
				v := g.ink[yy*g.w+xx]
				if v <= 0 {
					continue
				}
				p := (g.y+yy)*width + ox + xx
				if v > s.Ink[p] {
					s.Ink[p] = v
					s.Owner[p] = int8(k)
				}
				if v > 0.1 {
					b.X0, b.Y0 = min(b.X0, ox+xx), min(b.Y0, g.y+yy)
					b.X1, b.Y1 = max(b.X1, ox+xx+1), max(b.Y1, g.y+yy+1)
				}
			}
		}
		if b.X1 <= b.X0 {
			b = Box{ox, g.y, ox + g.w, g.y + g.h}
		}
		s.Boxes[k] = b
	}
	if c.Noise > 0 {
		sigma := c.Noise * r.float64()
		noise := make([]float64, len(s.Ink))
		r.normals(noise)
		for i, v := range s.Ink {
			s.Ink[i] = float32(math.Max(0, math.Min(1, float64(v)+sigma*noise[i])))
		}
	}
	return s
}

// render draws MNIST image idx, distorted (when configured) as drawn from
// seed, cropped to its ink, scaled by scale (area resampling) and with its
// strokes thickened or thinned, into g.
func (d *DigitStrings) render(g *digit, idx int, scale float64, seed uint64) {
	rows, cols := d.src.Rows, d.src.Cols
	img := make([]float32, rows*cols)
	for i, v := range d.src.Image(idx) {
		img[i] = float32(v) / 255
	}
	cr := d.crops[idx]
	x0, y0, x1, y1 := int(cr[0]), int(cr[1]), int(cr[2]), int(cr[3])
	if d.distort != nil {
		src := img
		img = make([]float32, rows*cols)
		d.distort.Distort(img, src, 0, seed)
		x0, y0, x1, y1 = cols, rows, 0, 0
		for y := range rows {
			for x, v := range img[y*cols : (y+1)*cols] {
				if v > 0.05 {
					x0, y0 = min(x0, x), min(y0, y)
					x1, y1 = max(x1, x+1), max(y1, y+1)
				}
			}
		}
		if x1 <= x0 {
			x0, y0, x1, y1 = 0, 0, 1, 1
		}
	}
	bw, bh := x1-x0, y1-y0
	// One pixel of margin so that dilation has room.
	g.w = max(1, int(math.Round(float64(bw)*scale))) + 2
	g.h = max(1, int(math.Round(float64(bh)*scale))) + 2
	g.ink = make([]float32, g.w*g.h)
	sx, sy := float64(bw)/float64(g.w-2), float64(bh)/float64(g.h-2)
	for y := 1; y < g.h-1; y++ {
		fy0, fy1 := float64(y-1)*sy, float64(y)*sy
		for x := 1; x < g.w-1; x++ {
			fx0, fx1 := float64(x-1)*sx, float64(x)*sx
			var sum, wsum float64
			for py := int(fy0); float64(py) < fy1 && py < bh; py++ {
				wy := math.Min(fy1, float64(py+1)) - math.Max(fy0, float64(py))
				if wy <= 0 {
					continue
				}
				for px := int(fx0); float64(px) < fx1 && px < bw; px++ {
					wx := math.Min(fx1, float64(px+1)) - math.Max(fx0, float64(px))
					if wx <= 0 {
						continue
					}
					sum += float64(img[(y0+py)*cols+x0+px]) * wx * wy
					wsum += wx * wy
				}
			}
			if wsum > 0 {
				g.ink[y*g.w+x] = float32(sum / wsum)
			}
		}
	}
	if g.stroke != 0 {
		morph(g.ink, g.w, g.h, g.stroke)
	}
}

// morph thickens (amount > 0) or thins (amount < 0) strokes: a blend of
// the image with its grey dilation or erosion over the 4-neighbourhood.
func morph(ink []float32, w, h int, amount float64) {
	src := append([]float32(nil), ink...)
	at := func(x, y int) float32 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 0
		}
		return src[y*w+x]
	}
	a := float32(math.Abs(amount))
	for y := range h {
		for x := range w {
			v := src[y*w+x]
			m := v
			for _, n := range [4]float32{at(x-1, y), at(x+1, y), at(x, y-1), at(x, y+1)} {
				if amount > 0 {
					m = max(m, n)
				} else {
					m = min(m, n)
				}
			}
			ink[y*w+x] = v + a*(m-v)
		}
	}
}

// Gray returns the string as an 8-bit image of dark ink on white paper.
func (s *DigitString) Gray() *image.Gray {
	im := image.NewGray(image.Rect(0, 0, s.Width, s.Height))
	for i, v := range s.Ink {
		im.Pix[i] = uint8(math.Round(255 * (1 - float64(max(0, min(1, v))))))
	}
	return im
}

// WriteDigitStrings writes strings [from, to) of d to dir as PNG files
// (dark ink on white paper) named by their index (000042.png), and a
// labels file dir/labels.tsv with one line `file<TAB>digits` per image,
// after a header line: the layout of ORAND-CAR-A, which LoadStringImages
// and gtn's batch and data commands read.
func WriteDigitStrings(dir string, d *DigitStrings, from, to int) error {
	if from < 0 || to > d.Len() || from > to {
		return fmt.Errorf("datasets: WriteDigitStrings: range [%d,%d) outside [0,%d)", from, to, d.Len())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("datasets: WriteDigitStrings: %w", err)
	}
	var labels strings.Builder
	labels.WriteString("file\tdigits\n")
	for i := from; i < to; i++ {
		s := d.String(i)
		name := fmt.Sprintf("%06d.png", i)
		var buf bytes.Buffer
		if err := png.Encode(&buf, s.Gray()); err != nil {
			return fmt.Errorf("datasets: WriteDigitStrings: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("datasets: WriteDigitStrings: %w", err)
		}
		fmt.Fprintf(&labels, "%s\t%s\n", name, s.Text())
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "labels.tsv"), []byte(labels.String())); err != nil {
		return fmt.Errorf("datasets: WriteDigitStrings: %w", err)
	}
	return nil
}
