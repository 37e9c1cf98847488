package transformers

import (
	"math"
	"slices"
)

// ruleGap is the longest break (in pixels) a printed rule may have and
// still count as one line: scanned rules are often broken.
const ruleGap = 2

// RemoveRules erases the printed lines of a document field, the
// underline of an amount or the box drawn around it, and keeps the
// handwriting that touches or crosses them. A rule is a straight run of
// ink (pixels above threshold, breaks of up to two pixels allowed) at
// least as long as the image is high and a third as long as it is wide,
// along the field's skew (estimated between -4 and 4 degrees from the
// projection profiles); no stroke of a character is that long. The
// vertical sides of a box are straight runs at an end of the rules whose
// two ends touch rules. Only the pixels where the line is at most two
// pixels thicker than it usually is are erased (with their grey edges), so
// a stroke that crosses or sits on a rule keeps its ink. Without rules, b comes back unchanged (the same pixels,
// a new bitmap).
//
// The body height of a string is found from its ink box, which a box
// around the field would set: removing the box first is what lets the
// segmenter scale the characters, not their frame, to its body height.
func RemoveRules(b Bitmap, threshold float32) Bitmap {
	w, h := b.Width, b.Height
	out := Bitmap{Width: w, Height: h, Ink: slices.Clone(b.Ink)}
	if w < 4 || h < 4 || len(b.Ink) != w*h {
		return out
	}
	bin := make([]bool, w*h)
	for i, v := range b.Ink {
		bin[i] = v > threshold
	}
	slope := skewSlope(bin, w, h)
	minLen := max(h, w/3)
	// Runs are looked for in bands three pixels wide (the ink of the
	// neighbouring row or column counts), so that a thin line a little off
	// the estimated skew, or bent by the scanner, stays one run.
	bandH, bandV := make([]bool, w*h), make([]bool, w*h)
	for p, on := range bin {
		if !on {
			continue
		}
		x, y := p%w, p/w
		for d := -1; d <= 1; d++ {
			if y+d >= 0 && y+d < h {
				bandH[p+d*w] = true
			}
			if x+d >= 0 && x+d < w {
				bandV[p+d] = true
			}
		}
	}

	// Horizontal rules: runs along the rows of the skew.
	horiz := make([]bool, w*h)
	found := false
	span := int(math.Ceil(math.Abs(slope) * float64(w)))
	for r := -span; r < h+span; r++ {
		found = markRuns(minLen, w, func(x int) int {
			y := r - int(math.Round(slope*float64(x)))
			if y < 0 || y >= h {
				return -1
			}
			return y*w + x
		}, bandH, bin, horiz) || found
	}
	if !found {
		return out
	}
	// Vertical sides: runs across the rows (perpendicular to the skew),
	// at an end of the rules, whose two ends touch rules.
	thick := lineThickness(b.Ink, horiz, w, h, true)
	reach := thick + ruleGap + 1
	nearRule := func(x, y int) bool {
		for dy := -reach; dy <= reach; dy++ {
			for dx := -reach; dx <= reach; dx++ {
				nx, ny := x+dx, y+dy
				if nx >= 0 && ny >= 0 && nx < w && ny < h && horiz[ny*w+nx] {
					return true
				}
			}
		}
		return false
	}
	// Columns across the skew: pixel (x, y) is in column x - slope·y. The
	// sides stand at the ends of the rules, so a stroke that spans the box
	// from rule to rule (a tall 1) is not taken for one.
	c0, c1 := w, -w
	for p, m := range horiz {
		if m {
			c := p%w - int(math.Round(slope*float64(p/w)))
			c0, c1 = min(c0, c), max(c1, c)
		}
	}
	vert := make([]bool, w*h)
	span = int(math.Ceil(math.Abs(slope) * float64(h)))
	for c := -span; c < w+span; c++ {
		if c > c0+reach && c < c1-reach {
			continue
		}
		at := func(y int) int {
			x := c + int(math.Round(slope*float64(y)))
			if x < 0 || x >= w {
				return -1
			}
			return y*w + x
		}
		forRuns(h, at, bandV, func(y0, y1 int) {
			if y1-y0 < h/4 || !nearRule(at(y0)%w, y0) || !nearRule(at(y1-1)%w, y1-1) {
				return
			}
			for y := y0; y < y1; y++ {
				if p := at(y); p >= 0 && bin[p] {
					vert[p] = true
				}
			}
		})
	}
	// The sides first, measured without the rules they join, so that the
	// corners go with them; then the rules, measured without the sides.
	masked := slices.Clone(b.Ink)
	for p, m := range horiz {
		if m {
			masked[p] = 0
		}
	}
	erase(out.Ink, masked, vert, w, h, false)
	erase(out.Ink, slices.Clone(out.Ink), horiz, w, h, true)
	return out
}

// skewSlope returns the slope (dy per dx) in [-tan 4°, tan 4°] of the
// rows of bin along which the ink lines up best: the slope whose sheared
// horizontal projection has the tallest peak (a rule's length).
func skewSlope(bin []bool, w, h int) float64 {
	const steps, maxDeg = 16, 4.0
	var ink [][2]int32 // the ink pixels' (x, y)
	for p, on := range bin {
		if on {
			ink = append(ink, [2]int32{int32(p % w), int32(p / w)})
		}
	}
	best, bestPeak := 0.0, -1
	maxSpan := int(math.Ceil(math.Tan(maxDeg*math.Pi/180) * float64(w)))
	count := make([]int, h+2*maxSpan)
	for k := 0; k <= 2*steps; k++ {
		// 0, then ±0.25°, ±0.5°, ...: ties keep the smallest angle.
		deg := float64((k+1)/2) * maxDeg / steps
		if k%2 == 1 {
			deg = -deg
		}
		slope := math.Tan(deg * math.Pi / 180)
		clear(count)
		peak := 0
		for _, q := range ink {
			r := int(q[1]) + int(math.Round(slope*float64(q[0]))) + maxSpan
			count[r]++
			peak = max(peak, count[r])
		}
		if peak > bestPeak {
			best, bestPeak = slope, peak
		}
	}
	return best
}

// forRuns calls f with every run [i0, i1) of positions 0..n-1 whose
// pixels (at(i), -1 when outside the image) are set in bin, breaks of up
// to ruleGap pixels included.
func forRuns(n int, at func(int) int, bin []bool, f func(i0, i1 int)) {
	start, last := -1, -1
	for i := range n {
		if p := at(i); p < 0 || !bin[p] {
			continue
		}
		if start >= 0 && i-last > ruleGap+1 {
			f(start, last+1)
			start = -1
		}
		if start < 0 {
			start = i
		}
		last = i
	}
	if start >= 0 {
		f(start, last+1)
	}
}

// markRuns marks in mark the ink pixels (bin) of the runs of band along
// one line of the image (x = 0..w-1, pixel at(x)) at least minLen long,
// and reports whether there was one.
func markRuns(minLen, w int, at func(int) int, band, bin, mark []bool) bool {
	found := false
	forRuns(w, at, band, func(x0, x1 int) {
		if x1-x0 < minLen {
			return
		}
		found = true
		for x := x0; x < x1; x++ {
			if p := at(x); p >= 0 && bin[p] {
				mark[p] = true
			}
		}
	})
	return found
}

// inkRun returns the extent [a, b) of the ink (above 0.05, the grey edge
// included) through pixel p, down the column (vertical) or along the row.
func inkRun(ink []float32, p, w, h int, vertical bool) (a, b int) {
	x, y := p%w, p/w
	i, n := y, h
	if !vertical {
		i, n = x, w
	}
	at := func(k int) float32 {
		if vertical {
			return ink[k*w+x]
		}
		return ink[y*w+k]
	}
	a, b = i, i+1
	for a > 0 && at(a-1) > 0.05 {
		a--
	}
	for b < n && at(b) > 0.05 {
		b++
	}
	return a, b
}

// lineThickness returns the median thickness of the marked line pixels:
// the ink across them (down the column for a horizontal line).
func lineThickness(ink []float32, mark []bool, w, h int, horizontal bool) int {
	var th []int
	for p, m := range mark {
		if m {
			a, b := inkRun(ink, p, w, h, horizontal)
			th = append(th, b-a)
		}
	}
	if len(th) == 0 {
		return 0
	}
	slices.Sort(th)
	return th[len(th)/2]
}

// erase clears in out the ink across every marked pixel of a line
// (horizontal: the column's ink through it), where that ink is no more
// than two pixels thicker than the line usually is: where it is thicker, a
// stroke crosses or touches the line and keeps its ink.
func erase(out, ink []float32, mark []bool, w, h int, horizontal bool) {
	limit := lineThickness(ink, mark, w, h, horizontal) + 2
	for p, m := range mark {
		if !m {
			continue
		}
		a, b := inkRun(ink, p, w, h, horizontal)
		if b-a > limit {
			continue
		}
		for k := a; k < b; k++ {
			if horizontal {
				out[k*w+p%w] = 0
			} else {
				out[(p/w)*w+k] = 0
			}
		}
	}
}
