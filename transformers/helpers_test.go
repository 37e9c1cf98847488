package transformers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotn/gotn/recognizers"
)

// canvas is a hand-drawn string image with its ground truth: the owner of
// every inked pixel.
type canvas struct {
	w, h  int
	ink   []float32
	owner []int8
}

func newCanvas(w, h int) *canvas {
	c := &canvas{w: w, h: h, ink: make([]float32, w*h), owner: make([]int8, w*h)}
	for i := range c.owner {
		c.owner[i] = -1
	}
	return c
}

func (c *canvas) bitmap() Bitmap { return Bitmap{Width: c.w, Height: c.h, Ink: c.ink} }

// dot inks the disc of radius r around (x, y) for character id.
func (c *canvas) dot(x, y, r float64, id int) {
	for py := int(y - r - 1); py <= int(y+r+1); py++ {
		for px := int(x - r - 1); px <= int(x+r+1); px++ {
			if px < 0 || py < 0 || px >= c.w || py >= c.h {
				continue
			}
			d := math.Hypot(float64(px)+0.5-x, float64(py)+0.5-y)
			v := float32(math.Max(0, math.Min(1, r+0.5-d)))
			if v > c.ink[py*c.w+px] {
				c.ink[py*c.w+px] = v
				c.owner[py*c.w+px] = int8(id)
			}
		}
	}
}

// line draws a stroke of half-width r from (x0, y0) to (x1, y1).
func (c *canvas) line(x0, y0, x1, y1, r float64, id int) {
	n := int(math.Ceil(math.Hypot(x1-x0, y1-y0)*2)) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		c.dot(x0+t*(x1-x0), y0+t*(y1-y0), r, id)
	}
}

// ring draws an ellipse centred at (x, y) with radii rx, ry.
func (c *canvas) ring(x, y, rx, ry, r float64, id int) {
	for i := range 200 {
		a := 2 * math.Pi * float64(i) / 200
		c.dot(x+rx*math.Cos(a), y+ry*math.Sin(a), r, id)
	}
}

// tinyNet returns a small recognizer for frame×frame inputs (frame 12):
// two convolutions, a subsampling layer and a fully connected layer with
// log-softmax energies.
func tinyNet(t testing.TB, classes int, seed uint64) *recognizers.Sequential {
	rng := rand.New(rand.NewPCG(seed, 7))
	c1, err := recognizers.NewConv2D(recognizers.ConvConfig{Name: "c1", In: 1, Out: 4, KH: 5, KW: 5, Act: recognizers.ScaledTanh}, rng)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := recognizers.NewSubsample(recognizers.SubsampleConfig{Name: "s2", In: 4, Act: recognizers.ScaledTanh}, rng)
	if err != nil {
		t.Fatal(err)
	}
	c3, err := recognizers.NewConv2D(recognizers.ConvConfig{Name: "c3", In: 4, Out: 12, KH: 4, KW: 4, Act: recognizers.ScaledTanh}, rng)
	if err != nil {
		t.Fatal(err)
	}
	f, err := recognizers.NewLinear(recognizers.LinearConfig{Name: "f", In: 12, Out: classes}, rng)
	if err != nil {
		t.Fatal(err)
	}
	return recognizers.NewSequential("tiny", classes, 12, 12, c1, s2, c3, f, recognizers.LogSoftmax{})
}

// toyGlyph draws toy character k (0: a bar, 1: a ring, 2: a cross) in an
// 8-pixel-high box with its left edge at x; it returns the glyph's width.
func toyGlyph(c *canvas, k int, x, top float64, id int) float64 {
	switch k {
	case 0:
		c.line(x+1, top+0.5, x+1, top+7.5, 0.8, id)
		return 2
	case 1:
		c.ring(x+3, top+4, 2.5, 3.3, 0.7, id)
		return 6
	default:
		c.line(x+0.5, top+0.5, x+5.5, top+7.5, 0.7, id)
		c.line(x+5.5, top+0.5, x+0.5, top+7.5, 0.7, id)
		return 6
	}
}

// toyString draws n toy characters drawn from rng with gaps of 1-3 pixels
// and returns the canvas and the characters.
func toyString(rng *rand.Rand, n int) (*canvas, []int) {
	c := newCanvas(8*n+6, 14)
	chars := make([]int, n)
	x := 2.0
	for i := range chars {
		chars[i] = rng.IntN(3)
		x += toyGlyph(c, chars[i], x, 3+rng.Float64(), i) + 1 + 2*rng.Float64()
	}
	return c, chars
}
