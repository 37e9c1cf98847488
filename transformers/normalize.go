package transformers

import (
	"fmt"
	"math"
	"slices"

	"github.com/gotn/gotn/internal/area"
)

// Bitmap is a grey-level image as ink intensities: Ink holds one value per
// pixel, row by row, 0 for paper and 1 for full ink.
type Bitmap struct {
	Width, Height int
	Ink           []float32
}

// check reports a bitmap whose size and data disagree.
func (b *Bitmap) check() error {
	if b.Width < 0 || b.Height < 0 || len(b.Ink) != b.Width*b.Height {
		return fmt.Errorf("transformers: bitmap of %d×%d pixels holds %d values", b.Width, b.Height, len(b.Ink))
	}
	return nil
}

// Transform maps the coordinates of a normalised string image to those of
// the image it was made from: source x = SrcX + (x - PadX)/Scale and
// source y = SrcY + (y - Top)/Scale.
type Transform struct {
	Scale      float64
	SrcX, SrcY float64
	PadX, Top  int
}

// Source returns the source coordinates of the centre of normalised pixel
// (x, y).
func (t Transform) Source(x, y int) (float64, float64) {
	return t.SrcX + (float64(x)+0.5-float64(t.PadX))/t.Scale, t.SrcY + (float64(y)+0.5-float64(t.Top))/t.Scale
}

// NormalizeConfig says how a string image is normalised.
type NormalizeConfig struct {
	// Height is the height of the normalised image (the recognizer's
	// input height, 32 for LeNet-5).
	Height int
	// Body is the height the string's ink is scaled to; the ink box is
	// centred vertically (rows (Height-Body)/2 .. +Body).
	Body int
	// Pad is the number of blank columns on each side.
	Pad int
	// Threshold is the ink level above which a pixel counts as ink when
	// finding the string's ink box.
	Threshold float32
	// MinSpeck: connected groups of fewer ink pixels are ignored when
	// finding the ink box (noise).
	MinSpeck int
}

// Normalize scales a string image so that its ink box is Body pixels high
// and places it in an image of Height rows, with the box's top at row
// (Height-Body)/2 and Pad blank columns on each side, by area averaging
// (which both shrinks and enlarges). Every character keeps its size and
// position relative to the string's baseline. The ink box spans the
// string's band of rows, not ink above or below it, and ink that the top
// or bottom edge of the image cuts outside the band is erased (see
// inkBox): the writing of a line above a cropped field. An image without
// ink gives an empty image of width 2·Pad.
func Normalize(b Bitmap, cfg NormalizeConfig) (*Bitmap, Transform, error) {
	if err := b.check(); err != nil {
		return nil, Transform{}, err
	}
	if cfg.Height < 1 || cfg.Body < 1 || cfg.Body > cfg.Height || cfg.Pad < 0 {
		return nil, Transform{}, fmt.Errorf("transformers: normalize: height %d, body %d, pad %d", cfg.Height, cfg.Body, cfg.Pad)
	}
	top := (cfg.Height - cfg.Body) / 2
	x0, y0, x1, y1, labels, stray, ok := inkBox(b, cfg.Threshold, cfg.MinSpeck)
	if stray != nil {
		b = Bitmap{Width: b.Width, Height: b.Height, Ink: slices.Clone(b.Ink)}
		for p, l := range labels {
			if l >= 0 && stray[l] {
				b.Ink[p] = 0
			}
		}
	}
	if !ok {
		t := Transform{Scale: 1, PadX: cfg.Pad, Top: top}
		return &Bitmap{Width: 2 * cfg.Pad, Height: cfg.Height, Ink: make([]float32, 2*cfg.Pad*cfg.Height)}, t, nil
	}
	bh := float64(y1 - y0)
	// A very flat string (a dash alone) is not blown up beyond 3×.
	scale := math.Min(float64(cfg.Body)/bh, 3)
	// Centre the box vertically when the scale was clamped.
	srcY := float64(y0) - (float64(cfg.Body)/scale-bh)/2
	w := int(math.Ceil(float64(x1-x0)*scale)) + 2*cfg.Pad
	t := Transform{Scale: scale, SrcX: float64(x0), SrcY: srcY, PadX: cfg.Pad, Top: top}
	out := &Bitmap{Width: w, Height: cfg.Height, Ink: make([]float32, w*cfg.Height)}
	resample(out, b, t)
	return out, t, nil
}

// inkBox returns the box [x0,x1)×[y0,y1) that a string is scaled by,
// ignoring 8-connected groups of fewer than minSpeck pixels above
// threshold (noise). Vertically, it spans the string's band of rows: the
// rows of the component that is not a rule (more than four times wider
// than high, such as an underline) whose rows hold the most ink of the
// others, grown by every component lying at least half within them until
// none is left, and by the small marks touching them (a comma below the
// baseline), so that ink above or below the string (writing of a line
// above a field, leftovers of printed lines) does not set its height.
// Horizontally, it spans all the ink but the strays, which the caller
// erases (stray[label], nil when there is none): components outside the
// band that touch the top or bottom of the image, such as the handwriting
// of a line above a field that the field's crop cut through. An image of
// rules only gives the box of all its ink.
func inkBox(b Bitmap, threshold float32, minSpeck int) (x0, y0, x1, y1 int, labels []int32, stray []bool, ok bool) {
	w, h := b.Width, b.Height
	bin := make([]bool, w*h)
	for i, v := range b.Ink {
		bin[i] = v > threshold
	}
	labels, comps := components(bin, w, h)
	isRule := func(c comp) bool { return c.x1-c.x0 > 4*(c.y1-c.y0) }
	x0, y0, x1, y1 = w, h, 0, 0
	for _, c := range comps {
		if c.area >= minSpeck {
			x0, y0 = min(x0, c.x0), min(y0, c.y0)
			x1, y1 = max(x1, c.x1), max(y1, c.y1)
		}
	}
	// The seed: the component that is not a rule whose rows hold the most
	// ink of the others (half of each at least), so that neither the
	// writing of the line above, however large, nor a period is taken for
	// the string.
	seed, best := -1, -1
	for i, c := range comps {
		if c.area < minSpeck || isRule(c) {
			continue
		}
		votes := 0
		for _, o := range comps {
			if o.area >= minSpeck && !isRule(o) && 2*(min(c.y1, o.y1)-max(c.y0, o.y0)) >= o.y1-o.y0 {
				votes += o.area
			}
		}
		if votes > best || votes == best && c.area > comps[seed].area {
			seed, best = i, votes
		}
	}
	if seed < 0 {
		return x0, y0, x1, y1, labels, nil, x1 > x0
	}
	in := make([]bool, len(comps))
	in[seed] = true
	by0, by1 := comps[seed].y0, comps[seed].y1
	within := func(c comp) bool { return 2*(min(by1, c.y1)-max(by0, c.y0)) >= c.y1-c.y0 }
	for grown := true; grown; {
		grown = false
		for i, c := range comps {
			if !in[i] && c.area >= minSpeck && !isRule(c) && within(c) {
				in[i], grown = true, true
				by0, by1 = min(by0, c.y0), max(by1, c.y1)
			}
		}
	}
	// Marks that hang from the band (a comma below the baseline) extend
	// it, but do not grow it further.
	y0, y1 = by0, by1
	for i, c := range comps {
		if !in[i] && c.area >= minSpeck && !isRule(c) && c.y0 <= by1 && c.y1 >= by0 && 2*(c.y1-c.y0) <= by1-by0 {
			in[i] = true
			y0, y1 = min(y0, c.y0), max(y1, c.y1)
		}
	}
	x0, x1 = w, 0
	for i, c := range comps {
		switch {
		case c.area < minSpeck:
		case !in[i] && (c.y0 == 0 || c.y1 == h) && !within(c):
			if stray == nil {
				stray = make([]bool, len(comps))
			}
			stray[i] = true
		default:
			x0, x1 = min(x0, c.x0), max(x1, c.x1)
		}
	}
	return x0, y0, x1, y1, labels, stray, x1 > x0
}

// comp is a connected component: its bounding box and number of pixels.
type comp struct {
	x0, y0, x1, y1 int
	area           int
}

// components labels the 8-connected components of the true pixels of bin
// (w×h): labels[p] is the component of pixel p, or -1. Components are
// numbered in the order of their first pixel (row by row). It works on
// runs of pixels, merged with union-find.
func components(bin []bool, w, h int) ([]int32, []comp) {
	labels := make([]int32, len(bin))
	type run struct{ y, x0, x1 int32 } // [x0, x1) in row y
	var runs []run
	rowStart := make([]int32, h+1)
	for y := range h {
		rowStart[y] = int32(len(runs))
		row := bin[y*w : (y+1)*w]
		for x := 0; x < w; {
			if !row[x] {
				x++
				continue
			}
			x0 := x
			for x < w && row[x] {
				x++
			}
			runs = append(runs, run{int32(y), int32(x0), int32(x)})
		}
	}
	rowStart[h] = int32(len(runs))
	parent := make([]int32, len(runs))
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for y := 1; y < h; y++ {
		j, jEnd := rowStart[y-1], rowStart[y]
		for i := rowStart[y]; i < rowStart[y+1]; i++ {
			r := runs[i]
			// Runs of the row above that touch [x0-1, x1] (8-connected).
			for j < jEnd && runs[j].x1 < r.x0 {
				j++
			}
			for k := j; k < jEnd && runs[k].x0 <= r.x1; k++ {
				a, b := find(i), find(k)
				if a != b {
					if a < b {
						parent[b] = a
					} else {
						parent[a] = b
					}
				}
			}
		}
	}
	for i := range labels {
		labels[i] = -1
	}
	id := make([]int32, len(runs))
	var comps []comp
	for i, r := range runs {
		root := find(int32(i))
		if int(root) == i {
			id[i] = int32(len(comps))
			comps = append(comps, comp{x0: w, y0: h})
		} else {
			id[i] = id[root]
		}
		c := &comps[id[i]]
		c.area += int(r.x1 - r.x0)
		c.x0, c.x1 = min(c.x0, int(r.x0)), max(c.x1, int(r.x1))
		c.y0, c.y1 = min(c.y0, int(r.y)), max(c.y1, int(r.y)+1)
		row := labels[int(r.y)*w : int(r.y+1)*w]
		for x := r.x0; x < r.x1; x++ {
			row[x] = id[i]
		}
	}
	return labels, comps
}

// resample fills out by area averaging of src through t (separable: the
// rows are resampled, then the columns). Source pixels outside src are
// paper.
func resample(out *Bitmap, src Bitmap, t Transform) {
	cols := area.Axis[float32](out.Width, src.Width, t.SrcX, float64(t.PadX), t.Scale)
	rows := area.Axis[float32](out.Height, src.Height, t.SrcY, float64(t.Top), t.Scale)
	// Horizontal pass over the source rows that some output row needs.
	lo, hi := src.Height, 0
	for _, r := range rows {
		if len(r.Idx) > 0 {
			lo, hi = min(lo, int(r.Idx[0])), max(hi, int(r.Idx[len(r.Idx)-1])+1)
		}
	}
	if hi <= lo {
		return
	}
	tmp := make([]float32, (hi-lo)*out.Width)
	for sy := lo; sy < hi; sy++ {
		srow := src.Ink[sy*src.Width : (sy+1)*src.Width]
		trow := tmp[(sy-lo)*out.Width : (sy-lo+1)*out.Width]
		for x, c := range cols {
			var s float32
			for k, sx := range c.Idx {
				s += c.W[k] * srow[sx]
			}
			trow[x] = s
		}
	}
	for y, r := range rows {
		orow := out.Ink[y*out.Width : (y+1)*out.Width]
		for k, sy := range r.Idx {
			wk := r.W[k]
			trow := tmp[(int(sy)-lo)*out.Width : (int(sy)-lo+1)*out.Width]
			for x, v := range trow {
				orow[x] += wk * v
			}
		}
	}
}

// StringCleanWindow returns Clean's window for the image of a string of
// characters h pixels high (an amount field, or a zone cropped around one):
// half its height, and at least 9 pixels. The window must be wider than
// the strokes and than the filled loops of bold characters, which an
// opening over a narrower window takes for paper and erases; in a crop
// little higher than its characters, such a loop can be a third of the
// crop's height.
func StringCleanWindow(h int) int { return max(9, h/2) }

// Clean removes a textured or uneven paper background and stretches the
// contrast of the ink: the paper's level under every pixel is estimated by
// a grey opening (a minimum then a maximum of the ink over a square of
// side window rounded up to an odd number, wider than the strokes: see
// StringCleanWindow), subtracted, and the result is scaled so that the ink
// of the strokes (the 90th percentile of the pixels above Otsu's
// threshold) is 1 and the faint marks below 0.6·threshold are 0. Images
// of clean strings (generated ones) come out nearly unchanged.
func Clean(b Bitmap, window int) Bitmap {
	w, h := b.Width, b.Height
	if w == 0 || h == 0 || window < 2 {
		return b
	}
	r := window / 2
	// Opening: erosion (min) then dilation (max), separable.
	bg := minMax(minMax(b.Ink, w, h, r, true), w, h, r, false)
	out := Bitmap{Width: w, Height: h, Ink: make([]float32, w*h)}
	var hist [256]int
	for i, v := range b.Ink {
		d := v - bg[i]
		switch {
		case !(d > 0): // NaN too
			d = 0
		case d > 1:
			d = 1
		}
		out.Ink[i] = d
		hist[int(d*255)]++
	}
	t := otsu(hist[:])
	// The strokes' level: the 90th percentile above the threshold.
	above := 0
	for k := t + 1; k < 256; k++ {
		above += hist[k]
	}
	level, acc := 255, 0
	for k := 255; k > t; k-- {
		acc += hist[k]
		if acc >= above/10 {
			level = k
			break
		}
	}
	lo := 0.6 * float32(t) / 255
	hi := float32(level) / 255
	if hi <= lo {
		return out
	}
	for i, v := range out.Ink {
		out.Ink[i] = max(0, min(1, (v-lo)/(hi-lo)))
	}
	return out
}

// minMax filters x (w×h) with the minimum (or maximum) over squares of
// side 2r+1 (clipped at the edges), separably: rows, then columns, each
// with van Herk's and Gil and Werman's algorithm, three comparisons per
// pixel whatever r.
func minMax(x []float32, w, h, r int, isMin bool) []float32 {
	tmp := make([]float32, w*h)
	out := make([]float32, w*h)
	line := newExtremeFilter(max(w, h), r, isMin)
	for y := range h {
		line.filter(tmp[y*w:], x[y*w:], w, 1)
	}
	for c := range w {
		line.filter(out[c:], tmp[c:], h, w)
	}
	return out
}

// extremeFilter computes running minima (or maxima) over windows of 2r+1
// values along lines of up to n values, reusing its buffers.
type extremeFilter struct {
	r     int
	isMin bool
	pad   float32   // the identity: +Inf for the minimum, -Inf for the maximum
	v     []float32 // the line, with r identities on each side
	g, h  []float32 // extremes from the start of each block, and to its end
}

func newExtremeFilter(n, r int, isMin bool) *extremeFilter {
	pad := float32(math.Inf(1))
	if !isMin {
		pad = float32(math.Inf(-1))
	}
	m := n + 2*r
	return &extremeFilter{r: r, isMin: isMin, pad: pad, v: make([]float32, m), g: make([]float32, m), h: make([]float32, m)}
}

func (f *extremeFilter) pick(a, b float32) float32 {
	if f.isMin {
		return min(a, b)
	}
	return max(a, b)
}

// filter sets dst[i*stride] to the extreme of src[j*stride] over
// |j-i| <= r, for i in [0, n).
func (f *extremeFilter) filter(dst, src []float32, n, stride int) {
	k, m := 2*f.r+1, n+2*f.r
	v, g, h := f.v[:m], f.g[:m], f.h[:m]
	for i := range f.r {
		v[i], v[m-1-i] = f.pad, f.pad
	}
	for i := range n {
		v[f.r+i] = src[i*stride]
	}
	// Blocks of k values: g runs forward within each block, h backward.
	for i := range m {
		if i%k == 0 {
			g[i] = v[i]
		} else {
			g[i] = f.pick(g[i-1], v[i])
		}
	}
	for i := m - 1; i >= 0; i-- {
		if i == m-1 || (i+1)%k == 0 {
			h[i] = v[i]
		} else {
			h[i] = f.pick(h[i+1], v[i])
		}
	}
	// The window [i, i+k) of v spans at most two blocks.
	for i := range n {
		dst[i*stride] = f.pick(h[i], g[i+k-1])
	}
}

// otsu returns the threshold (a histogram bin) that maximises the
// between-class variance of a 256-bin histogram.
func otsu(hist []int) int {
	total, sum := 0, 0.0
	for k, n := range hist {
		total += n
		sum += float64(k * n)
	}
	best, bestVar := 0, -1.0
	wb, sb := 0, 0.0
	for k, n := range hist {
		wb += n
		if wb == 0 {
			continue
		}
		wf := total - wb
		if wf == 0 {
			break
		}
		sb += float64(k * n)
		mb, mf := sb/float64(wb), (sum-sb)/float64(wf)
		if v := float64(wb) * float64(wf) * (mb - mf) * (mb - mf); v > bestVar {
			best, bestVar = k, v
		}
	}
	return best
}
