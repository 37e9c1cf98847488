package pipelines

import (
	"fmt"
	"image"
	"image/color"
	"math"
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

// inkBox returns the bounding box of the pixels with ink above threshold,
// and false if there are none.
func (im *Image) inkBox(threshold float32) (x0, y0, x1, y1 int, ok bool) {
	x0, y0, x1, y1 = im.Width, im.Height, -1, -1
	for y := range im.Height {
		for x, v := range im.Ink[y*im.Width : (y+1)*im.Width] {
			if v > threshold {
				x0, y0 = min(x0, x), min(y0, y)
				x1, y1 = max(x1, x), max(y1, y)
			}
		}
	}
	return x0, y0, x1 + 1, y1 + 1, x1 >= 0
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
	x0, y0, x1, y1, ok := im.inkBox(0.05)
	if !ok {
		return out
	}
	bw, bh := x1-x0, y1-y0
	scale := float64(box) / float64(max(bw, bh))
	nw, nh := max(1, int(math.Round(float64(bw)*scale))), max(1, int(math.Round(float64(bh)*scale)))
	// Resample the box into nw×nh by area averaging (box filter), which
	// both shrinks and enlarges without aliasing.
	small := make([]float32, nw*nh)
	for y := range nh {
		sy0, sy1 := float64(y)/scale+float64(y0), float64(y+1)/scale+float64(y0)
		for x := range nw {
			sx0, sx1 := float64(x)/scale+float64(x0), float64(x+1)/scale+float64(x0)
			small[y*nw+x] = im.area(sx0, sy0, sx1, sy1)
		}
	}
	// Centre of mass of the resampled ink.
	var mx, my, m float64
	for y := range nh {
		for x := range nw {
			v := float64(small[y*nw+x])
			mx, my, m = mx+v*(float64(x)+0.5), my+v*(float64(y)+0.5), m+v
		}
	}
	ox, oy := float64(field-nw)/2, float64(field-nh)/2
	if m > 0 {
		ox, oy = float64(field)/2-mx/m, float64(field)/2-my/m
	}
	dx, dy := int(math.Round(ox)), int(math.Round(oy))
	for y := range nh {
		for x := range nw {
			fx, fy := x+dx, y+dy
			if fx >= 0 && fy >= 0 && fx < field && fy < field {
				out.Ink[fy*field+fx] = small[y*nw+x]
			}
		}
	}
	return out
}

// area returns the mean ink over the rectangle [x0,x1)×[y0,y1) in pixel
// coordinates, weighting partly covered pixels by their coverage.
func (im *Image) area(x0, y0, x1, y1 float64) float32 {
	var sum, weight float64
	for y := int(math.Floor(y0)); float64(y) < y1; y++ {
		wy := math.Min(y1, float64(y+1)) - math.Max(y0, float64(y))
		if wy <= 0 {
			continue
		}
		for x := int(math.Floor(x0)); float64(x) < x1; x++ {
			wx := math.Min(x1, float64(x+1)) - math.Max(x0, float64(x))
			if wx <= 0 {
				continue
			}
			sum += float64(im.At(x, y)) * wx * wy
			weight += wx * wy
		}
	}
	if weight == 0 {
		return 0
	}
	return float32(sum / weight)
}
