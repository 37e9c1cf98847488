package pipelines

import (
	"fmt"
	"image"
	"image/color"

	"github.com/gotn/gotn/recognizers"
)

// Image is a grey-level document image as pipelines pass it: Ink holds the
// ink intensity of each pixel, row by row, 0 for paper and 1 for full ink,
// whatever the polarity of the file it came from.
type Image struct {
	Width, Height int
	Ink           []float32
	// File and Page say where the image came from (for records and
	// errors); Page counts from 0.
	File string
	Page int
}

// At returns the ink at (x, y); 0 outside the image.
func (im *Image) At(x, y int) float32 {
	if x < 0 || y < 0 || x >= im.Width || y >= im.Height {
		return 0
	}
	return im.Ink[y*im.Width+x]
}

// FromImage converts a decoded image to ink intensities. Luminance is
// mapped to ink so that the paper, the most common tone, is 0: dark ink on
// light paper and light ink on dark (as in MNIST) both become ink 1.
func FromImage(src image.Image, file string, page int) (*Image, error) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%s: empty image", file)
	}
	if w > 1<<15 || h > 1<<15 || w*h > 1<<28 {
		return nil, fmt.Errorf("%s: image of %d×%d pixels is too large", file, w, h)
	}
	im := &Image{Width: w, Height: h, Ink: make([]float32, w*h), File: file, Page: page}
	var hist [256]int
	for y := range h {
		for x := range w {
			g := color.GrayModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			hist[g]++
			im.Ink[y*w+x] = float32(g) / 255
		}
	}
	// The median luminance is the paper's: light paper means dark ink.
	half, acc, median := w*h/2, 0, 0
	for v, n := range hist {
		acc += n
		if acc > half {
			median = v
			break
		}
	}
	if median >= 128 {
		for i, v := range im.Ink {
			im.Ink[i] = 1 - v
		}
	}
	return im, nil
}

// NormalizeDigit maps a character image into a field×field frame the way
// MNIST was made: the ink's bounding box is scaled, keeping its aspect
// ratio, to fit a box×box square, then placed so that its centre of mass
// is at the frame's centre. An image that is already field×field is
// returned unchanged (MNIST digits are normalised this way already). An
// image without ink gives an empty frame.
func NormalizeDigit(im *Image, box, field int) *Image {
	out := &Image{Width: field, Height: field, Ink: make([]float32, field*field), File: im.File, Page: im.Page}
	if im.Width == field && im.Height == field {
		copy(out.Ink, im.Ink)
		return out
	}
	p, ok := recognizers.NormalizeInk(func(x, y int) float64 { return float64(im.Ink[y*im.Width+x]) }, im.Width, im.Height, box, field, field)
	if ok {
		p.Draw(func(x, y int, ink float64) { out.Ink[y*field+x] = float32(ink) }, field, field)
	}
	return out
}
