package transformers

import (
	"fmt"
	"math"
	"slices"

	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/internal/area"
	"github.com/gotn/gotn/recognizers"
)

// HOSConfig configures the heuristic over-segmenter.
type HOSConfig struct {
	// Frame is the side of the recognizer's square input (32 for LeNet-5);
	// the string is normalised to this height.
	Frame int
	// Body is the height the string's ink box is scaled to (20: the
	// size of an MNIST digit), its top at row (Frame-Body)/2.
	Body int
	// Threshold is the ink level above which a pixel is ink for the
	// connected components and the cuts.
	Threshold float32
	// MaxSpan is the largest number of consecutive pieces one segment
	// (one character) may hold.
	MaxSpan int
	// MaxWidth is the widest segment of several pieces, in bodies.
	MaxWidth float64
	// CutWidth: components at least this wide (in bodies) are cut.
	CutWidth float64
	// MinPiece is the smallest number of ink pixels of a piece; smaller
	// components are noise, and cuts that leave less are not made.
	MinPiece int
	// MaxLinks is the largest number of 8-connections between ink pixels
	// a cut may sever (a stroke t pixels thick crossing a cut has about
	// 3t-2).
	MaxLinks int
	// MaxPieces bounds the number of pieces of a string (the smallest
	// components beyond it are dropped as noise).
	MaxPieces int
}

// DefaultHOS returns the segmenter's default configuration: LeNet-5's
// 32×32 frame, ink normalised to 24 pixels high, segments of up to 4
// pieces and 1.5 bodies wide.
func DefaultHOS() HOSConfig {
	return HOSConfig{
		Frame: 32, Body: 24, Threshold: 0.3,
		MaxSpan: 4, MaxWidth: 1.5, CutWidth: 0.45,
		MinPiece: 4, MaxLinks: 40, MaxPieces: 64,
	}
}

// HOS is the heuristic over-segmenter. It is safe for concurrent use.
type HOS struct{ cfg HOSConfig }

// NewHOS returns a segmenter with the given configuration.
func NewHOS(cfg HOSConfig) (*HOS, error) {
	switch {
	case cfg.Frame < 8 || cfg.Body < 4 || cfg.Body > cfg.Frame:
		return nil, fmt.Errorf("transformers: HOS: frame %d and body %d: want 8 <= frame, 4 <= body <= frame", cfg.Frame, cfg.Body)
	case cfg.MaxSpan < 1 || cfg.MaxSpan > 8:
		return nil, fmt.Errorf("transformers: HOS: max span %d, want 1..8", cfg.MaxSpan)
	case !(cfg.Threshold > 0 && cfg.Threshold < 1):
		return nil, fmt.Errorf("transformers: HOS: threshold %v, want (0, 1)", cfg.Threshold)
	case cfg.MaxWidth <= 0 || cfg.CutWidth <= 0 || cfg.MinPiece < 1 || cfg.MaxLinks < 1 || cfg.MaxPieces < 1:
		return nil, fmt.Errorf("transformers: HOS: max width, cut width, min piece, max links and max pieces must be positive")
	}
	return &HOS{cfg: cfg}, nil
}

// Config returns the segmenter's configuration.
func (h *HOS) Config() HOSConfig { return h.cfg }

// The segmentation features of a segment (Segmentation.Features), all in
// units of the body height where they are lengths.
const (
	FeatBias     = iota // 1
	FeatWidth           // width of the segment's ink
	FeatWidth2          // its square
	FeatHeight          // height of the segment's ink
	FeatPieces          // number of pieces - 1
	FeatGap             // widest blank gap between its pieces
	FeatCutLeft         // 1 if its left edge is a cut through ink
	FeatCutRight        // 1 if its right edge is a cut through ink
	FeatLinks           // ink connections severed by its edge cuts / 10
	FeatNarrow          // max(0, 0.3 - width): very thin segments
	NumFeatures         // the number of features
)

// Segment is one arc of a segmentation graph: pieces From..To-1 taken as
// one character.
type Segment struct {
	// From and To are the graph states (piece boundaries) the arc joins.
	From, To int
	// X0, X1, Y0, Y1 are the segment's ink box in the normalised image.
	X0, X1, Y0, Y1 int
}

// Segmentation is the segmentation graph of a string image: states 0 to
// NumPieces (the boundaries between consecutive pieces of ink, in reading
// order), one arc per segment, and for each segment its image in the
// recognizer's frame and its features.
type Segmentation struct {
	NumPieces int
	Segments  []Segment
	// Images holds the segments' ink in the recognizer's frame at LeNet
	// levels, [len(Segments), 1, Frame, Frame].
	Images *gtn.Tensor
	// Features holds the segments' features, [len(Segments), NumFeatures].
	Features *gtn.Tensor
	// Energy, when set (by a SegmentEnergy), holds the segmentation energy
	// of each segment, [len(Segments)]; nil means zero.
	Energy *gtn.Var

	// Norm is the normalised string image the pieces were cut from, and
	// Piece gives for each of its pixels the piece (in reading order) it
	// belongs to, or -1.
	Norm      *Bitmap
	Piece     []int16
	Transform Transform
}

// piece is a piece of ink being built.
type piece struct {
	x0, x1, y0, y1 int
	area           int     // ink pixels
	mass, mx       float64 // ink and its first moment in x
	cutL, cutR     bool    // edges that are cuts through ink
	linksL, linksR int     // connections the edge cuts sever
}

// mask is the ink of one component, for fast lookups.
type mask struct {
	x0, y0, w, h int
	on           []bool
}

func newMask(labels []int32, ci int32, c comp, w int) *mask {
	m := &mask{x0: c.x0, y0: c.y0, w: c.x1 - c.x0, h: c.y1 - c.y0}
	m.on = make([]bool, m.w*m.h)
	for y := range m.h {
		row := labels[(c.y0+y)*w+c.x0 : (c.y0+y)*w+c.x1]
		for x, l := range row {
			m.on[y*m.w+x] = l == ci
		}
	}
	return m
}

// at reports whether (x, y), in image coordinates, is ink of the
// component.
func (m *mask) at(x, y int) bool {
	x, y = x-m.x0, y-m.y0
	return x >= 0 && y >= 0 && x < m.w && y < m.h && m.on[y*m.w+x]
}

// cut is a cut through a component: in row y (y0 <= y < y0+len(b)),
// pixel x lies right of it when x >= b[y-y0].
type cut struct {
	y0    int
	b     []int32
	links int     // ink connections the cut severs
	cost  float64 // see strokeCost
}

func (c *cut) boundary(y int) int {
	i := max(0, min(len(c.b)-1, y-c.y0))
	return int(c.b[i])
}

// Segment over-segments a string image: it normalises it, cuts its ink
// into pieces and returns the segmentation graph with the segments'
// images and features.
func (h *HOS) Segment(b Bitmap) (*Segmentation, error) {
	cfg := h.cfg
	norm, tf, err := Normalize(b, NormalizeConfig{Height: cfg.Frame, Body: cfg.Body, Pad: 2, Threshold: cfg.Threshold, MinSpeck: cfg.MinPiece})
	if err != nil {
		return nil, err
	}
	w, ht := norm.Width, norm.Height
	bin := make([]bool, w*ht)
	for i, v := range norm.Ink {
		bin[i] = v > cfg.Threshold
	}
	labels, comps := components(bin, w, ht)
	// Noise: components too small, or beyond MaxPieces by size.
	keep := make([]bool, len(comps))
	order := make([]int, 0, len(comps))
	for i, c := range comps {
		if c.area >= cfg.MinPiece {
			order = append(order, i)
		}
	}
	if len(order) > cfg.MaxPieces {
		slices.SortFunc(order, func(a, b int) int { return comps[b].area - comps[a].area })
		order = order[:cfg.MaxPieces]
	}
	for _, i := range order {
		keep[i] = true
	}
	// Grey pixels next to a kept component join it (two rounds), so that
	// the pieces keep the anti-aliased edges of their strokes.
	owner := make([]int32, w*ht)
	for p, l := range labels {
		owner[p] = -1
		if l >= 0 && keep[l] {
			owner[p] = l
		}
	}
	for range 2 {
		var add []int32
		for p, o := range owner {
			if o >= 0 || norm.Ink[p] <= 0.05 {
				continue
			}
			x, y := p%w, p/w
		near:
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx >= 0 && ny >= 0 && nx < w && ny < ht && owner[ny*w+nx] >= 0 {
						add = append(add, int32(p), owner[ny*w+nx])
						break near
					}
				}
			}
		}
		for k := 0; k < len(add); k += 2 {
			owner[add[k]] = add[k+1]
		}
	}
	// Cut the wide components into pieces.
	pieceOf := make([]int32, w*ht) // piece index (before ordering) or -1
	for i := range pieceOf {
		pieceOf[i] = -1
	}
	var pieces []piece
	compPixels := make([][]int32, len(comps))
	for p, o := range owner {
		if o >= 0 {
			compPixels[o] = append(compPixels[o], int32(p))
		}
	}
	for ci, c := range comps {
		if !keep[ci] {
			continue
		}
		var cuts []*cut
		if float64(c.x1-c.x0) >= cfg.CutWidth*float64(cfg.Body) {
			cuts = h.cuts(labels, int32(ci), c, w)
		}
		base := len(pieces)
		for range len(cuts) + 1 {
			pieces = append(pieces, piece{x0: w, y0: ht, x1: -1, y1: -1})
		}
		for k := range cuts {
			pieces[base+k].cutR, pieces[base+k].linksR = true, cuts[k].links
			pieces[base+k+1].cutL, pieces[base+k+1].linksL = true, cuts[k].links
		}
		for _, p := range compPixels[ci] {
			x, y := int(p)%w, int(p)/w
			k := 0
			for k < len(cuts) && x >= cuts[k].boundary(y) {
				k++
			}
			pc := &pieces[base+k]
			pieceOf[p] = int32(base + k)
			v := float64(norm.Ink[p])
			pc.mass += v
			pc.mx += v * (float64(x) + 0.5)
			if bin[p] && labels[p] == int32(ci) {
				pc.area++
			}
			pc.x0, pc.x1 = min(pc.x0, x), max(pc.x1, x+1)
			pc.y0, pc.y1 = min(pc.y0, y), max(pc.y1, y+1)
		}
	}
	// Reading order: by centre of mass.
	idx := make([]int, 0, len(pieces))
	for i, pc := range pieces {
		if pc.mass > 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ca, cb := pieces[a].mx/pieces[a].mass, pieces[b].mx/pieces[b].mass
		switch {
		case ca < cb:
			return -1
		case ca > cb:
			return 1
		}
		return pieces[a].x0 - pieces[b].x0
	})
	rank := make([]int16, len(pieces))
	for i := range rank {
		rank[i] = -1
	}
	ordered := make([]piece, len(idx))
	for r, i := range idx {
		rank[i] = int16(r)
		ordered[r] = pieces[i]
	}
	seg := &Segmentation{NumPieces: len(ordered), Norm: norm, Piece: make([]int16, w*ht), Transform: tf}
	for p, pi := range pieceOf {
		seg.Piece[p] = -1
		if pi >= 0 {
			seg.Piece[p] = rank[pi]
		}
	}
	h.segments(seg, ordered)
	h.images(seg)
	return seg, nil
}

// cuts returns the cuts of component ci (bounding box c), left to right.
// Candidate cuts start at the minima of the number of ink connections
// between adjacent columns and at the valleys of the upper and lower
// contours; from each, a cut is the path from the top to the bottom of the
// component that crosses the least ink (dynamic programming, one column
// of drift per row at most, within ±6 columns of its start), so that cuts
// follow the gap between interleaved characters. The cheapest candidates
// are kept first, if they are far enough from the others, do not cross
// them, and leave pieces of at least MinPiece pixels on both sides.
func (h *HOS) cuts(labels []int32, ci int32, c comp, w int) []*cut {
	cfg := h.cfg
	cw := c.x1 - c.x0
	in := newMask(labels, ci, c, w)
	lc := newLinkCosts(in)
	// links[k]: 8-connections between columns c.x0+k-1 and c.x0+k.
	links := make([]int, cw+1)
	top := make([]int, cw)
	bot := make([]int, cw)
	for k := range cw {
		x := c.x0 + k
		top[k], bot[k] = -1, -1
		for y := c.y0; y < c.y1; y++ {
			if !in.at(x, y) {
				continue
			}
			if top[k] < 0 {
				top[k] = y
			}
			bot[k] = y
			for dy := -1; dy <= 1; dy++ {
				if in.at(x-1, y+dy) {
					links[k]++
				}
			}
		}
	}
	const margin = 3
	var cand []*cut
	try := func(k, y, band int) {
		if k < margin || k > cw-margin {
			return
		}
		if ct := h.pathCut(lc, c.x0+k, y-c.y0, band); ct.links <= cfg.MaxLinks {
			ct.y0 = c.y0
			cand = append(cand, ct)
		}
	}
	// Minima of the connections between columns that are real dips (some
	// column within 4 has more): free cuts near them.
	for k := margin; k <= cw-margin; k++ {
		l := links[k]
		if l > links[k-1] || (k+1 <= cw && l > links[k+1]) {
			continue
		}
		most := 0
		for j := max(0, k-4); j <= min(cw, k+4); j++ {
			most = max(most, links[j])
		}
		if l < most {
			try(k, -1, 3)
		}
	}
	// Valleys of the upper contour (local maxima of the top row) and of
	// the lower contour (local minima of the bottom row), at least 2
	// pixels deep within ±5 columns: cuts through the valley's floor.
	for k := 1; k < cw-1; k++ {
		if top[k] < 0 {
			continue
		}
		lo, hi := top[k], bot[k]
		for j := max(0, k-5); j <= min(cw-1, k+5); j++ {
			if top[j] >= 0 {
				lo, hi = min(lo, top[j]), max(hi, bot[j])
			}
		}
		if top[k]-lo >= 2 && (top[k-1] < 0 || top[k] >= top[k-1]) && (top[k+1] < 0 || top[k] > top[k+1]) {
			try(k, top[k], 6)
		}
		if hi-bot[k] >= 2 && (bot[k-1] < 0 || bot[k] <= bot[k-1]) && (bot[k+1] < 0 || bot[k] < bot[k+1]) {
			try(k, bot[k], 6)
		}
	}
	slices.SortStableFunc(cand, func(a, b *cut) int {
		switch {
		case a.cost < b.cost:
			return -1
		case a.cost > b.cost:
			return 1
		}
		return 0
	})
	var chosen []*cut
	maxCuts := max(1, int(math.Round(float64(cw)/(0.4*float64(cfg.Body)))))
	for _, ct := range cand {
		if len(chosen) >= maxCuts {
			break
		}
		ok := true
		for _, o := range chosen {
			if tooClose(ct, o, c) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		trial := append(append([]*cut(nil), chosen...), ct)
		sortCuts(trial, c)
		if h.piecesBigEnough(in, trial, c) {
			chosen = trial
		}
	}
	sortCuts(chosen, c)
	return chosen
}

// linkCosts are the ink connections a cut through a component severs: a
// cut is a boundary b(y) per row (pixels x < b(y) on its left), and it
// severs the 8-connections between ink pixels on either side of it.
type linkCosts struct {
	b0, nb int     // boundaries b0 .. b0+nb-1
	rows   int     // the component's rows
	h      []uint8 // [row][b]: the horizontal link (b-1, y)-(b, y)
	t      []uint8 // [row][b][d+1]: links between row y-1 (boundary b+d) and row y (boundary b)
}

func newLinkCosts(in *mask) *linkCosts {
	lc := &linkCosts{b0: in.x0, nb: in.w + 1, rows: in.h}
	lc.h = make([]uint8, lc.rows*lc.nb)
	lc.t = make([]uint8, lc.rows*lc.nb*3)
	for r := range lc.rows {
		y := in.y0 + r
		for i := range lc.nb {
			b := lc.b0 + i
			if in.at(b-1, y) && in.at(b, y) {
				lc.h[r*lc.nb+i] = 1
			}
			if r == 0 {
				continue
			}
			for d := -1; d <= 1; d++ {
				bp := b + d // boundary in row y-1
				n := uint8(0)
				for x1 := min(b, bp) - 2; x1 <= max(b, bp)+1; x1++ {
					if !in.at(x1, y-1) {
						continue
					}
					for x2 := x1 - 1; x2 <= x1+1; x2++ {
						if in.at(x2, y) && (x1 < bp) != (x2 < b) {
							n++
						}
					}
				}
				lc.t[(r*lc.nb+i)*3+d+1] = n
			}
		}
	}
	return lc
}

// The cost of a cut: each stroke it crosses (a run of consecutive rows in
// which it severs ink connections) costs strokeCost, and each row in which
// it severs connections one more, so that a cut through the single
// contact of two touching characters, however long, is cheaper than one
// through the two arcs of a loop.
const strokeCost = 10

// pathCut returns the cheapest cut through the component (see
// strokeCost), its boundary drifting at most one column per row and at
// most band columns from x (small penalties prefer straight cuts near x).
// With y >= 0 the cut's boundary must be x in row y (a valley of a
// contour); otherwise it may start and end anywhere in the band.
func (h *HOS) pathCut(lc *linkCosts, x, y, band int) *cut {
	lo, hi := max(lc.b0+1, x-band), min(lc.b0+lc.nb-2, x+band)
	n := hi - lo + 1
	rows := lc.rows
	ct := &cut{b: make([]int32, rows)}
	if n < 1 {
		for r := range ct.b {
			ct.b[r] = int32(x)
		}
		return ct
	}
	// severs reports whether boundary i in row r, after boundary i+d in
	// the row before, severs a connection.
	severs := func(r, i, d int) bool {
		k := r*lc.nb + lo + i - lc.b0
		return lc.h[k] > 0 || (r > 0 && lc.t[k*3+d+1] > 0)
	}
	// cost[(r*n+i)*2+s]: the cheapest cut of rows 0..r ending at boundary
	// i, s = 1 if it severs in row r. from: the predecessor (d, s').
	// Anchored cuts allow only boundary x in row y.
	anchored := y >= 0 && y < rows && x >= lo && x <= hi
	allowed := func(r, i int) bool { return !anchored || r != y || i == x-lo }
	inf := math.Inf(1)
	cost := make([]float64, rows*n*2)
	from := make([]int8, rows*n*2)
	for i := range n {
		cost[i*2], cost[i*2+1] = inf, inf
		switch {
		case !allowed(0, i):
		case severs(0, i, 0):
			cost[i*2+1] = strokeCost + 1 + 0.02*float64(abs(lo+i-x))
		default:
			cost[i*2] = 0.02 * float64(abs(lo+i-x))
		}
	}
	for r := 1; r < rows; r++ {
		for i := range n {
			c0, c1 := inf, inf
			var f0, f1 int8
			for d := -1; d <= 1 && allowed(r, i); d++ {
				j := i + d
				if j < 0 || j >= n {
					continue
				}
				pen := 0.1*float64(abs(d)) + 0.02*float64(abs(lo+i-x))
				sv := severs(r, i, d)
				for sp := range 2 {
					prev := cost[((r-1)*n+j)*2+sp]
					if math.IsInf(prev, 1) {
						continue
					}
					code := int8((d+1)*2 + sp)
					if sv {
						v := prev + pen + 1
						if sp == 0 {
							v += strokeCost
						}
						if v < c1 {
							c1, f1 = v, code
						}
					} else if v := prev + pen; v < c0 {
						c0, f0 = v, code
					}
				}
			}
			k := (r*n + i) * 2
			cost[k], cost[k+1], from[k], from[k+1] = c0, c1, f0, f1
		}
	}
	return h.finishCut(lc, lo, n, rows, cost, from)
}

// finishCut backtracks the cheapest complete cut and counts the
// connections it severs.
func (h *HOS) finishCut(lc *linkCosts, lo, n, rows int, cost []float64, from []int8) *cut {
	ct := &cut{b: make([]int32, rows)}
	best, bi, bs := math.Inf(1), 0, 0
	for i := range n {
		for sp := range 2 {
			if v := cost[((rows-1)*n+i)*2+sp]; v < best {
				best, bi, bs = v, i, sp
			}
		}
	}
	if math.IsInf(best, 1) {
		ct.links = math.MaxInt32
		return ct
	}
	i, sp := bi, bs
	for r := rows - 1; r >= 0; r-- {
		ct.b[r] = int32(lo + i)
		if r > 0 {
			code := from[(r*n+i)*2+sp]
			d, p := int(code)/2-1, int(code)%2
			i, sp = i+d, p
		}
	}
	for r, b := range ct.b {
		ct.links += int(lc.h[r*lc.nb+int(b)-lc.b0])
		if r > 0 {
			ct.links += int(lc.t[(r*lc.nb+int(b)-lc.b0)*3+int(ct.b[r-1]-b)+1])
		}
	}
	ct.cost = best
	return ct
}

// minCutGap is the least distance between two cuts of a component.
const minCutGap = 4

// tooClose reports whether two cuts come within minCutGap pixels of each
// other in the component's rows, or cross.
func tooClose(a, b *cut, c comp) bool {
	sign := 0
	for y := c.y0; y < c.y1; y++ {
		d := a.boundary(y) - b.boundary(y)
		if abs(d) < minCutGap {
			return true
		}
		s := 1
		if d < 0 {
			s = -1
		}
		if sign != 0 && s != sign {
			return true
		}
		sign = s
	}
	return false
}

// sortCuts sorts cuts left to right (by their boundary at mid-height).
func sortCuts(cuts []*cut, c comp) {
	mid := (c.y0 + c.y1) / 2
	slices.SortFunc(cuts, func(a, b *cut) int { return a.boundary(mid) - b.boundary(mid) })
}

// piecesBigEnough reports whether cuts (sorted) leave at least MinPiece
// ink pixels in every piece of the component.
func (h *HOS) piecesBigEnough(in *mask, cuts []*cut, c comp) bool {
	count := make([]int, len(cuts)+1)
	for y := c.y0; y < c.y1; y++ {
		for x := c.x0; x < c.x1; x++ {
			if !in.at(x, y) {
				continue
			}
			k := 0
			for k < len(cuts) && x >= cuts[k].boundary(y) {
				k++
			}
			count[k]++
		}
	}
	for _, n := range count {
		if n < 3*h.cfg.MinPiece {
			return false
		}
	}
	return true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// segments makes the arcs of the segmentation graph and their features.
func (h *HOS) segments(seg *Segmentation, ps []piece) {
	cfg := h.cfg
	body := float64(cfg.Body)
	var feats []float32
	for i := range ps {
		x0, x1, y0, y1 := ps[i].x0, ps[i].x1, ps[i].y0, ps[i].y1
		for j := i; j < len(ps) && j < i+cfg.MaxSpan; j++ {
			if j > i {
				x0, x1 = min(x0, ps[j].x0), max(x1, ps[j].x1)
				y0, y1 = min(y0, ps[j].y0), max(y1, ps[j].y1)
				if float64(x1-x0) > cfg.MaxWidth*body {
					break
				}
			}
			seg.Segments = append(seg.Segments, Segment{From: i, To: j + 1, X0: x0, X1: x1, Y0: y0, Y1: y1})
			var f [NumFeatures]float32
			wd := float64(x1-x0) / body
			f[FeatBias] = 1
			f[FeatWidth] = float32(wd)
			f[FeatWidth2] = float32(wd * wd)
			f[FeatHeight] = float32(float64(y1-y0) / body)
			f[FeatPieces] = float32(j - i)
			f[FeatGap] = float32(maxGap(ps[i:j+1]) / body)
			if ps[i].cutL {
				f[FeatCutLeft] = 1
			}
			if ps[j].cutR {
				f[FeatCutRight] = 1
			}
			f[FeatLinks] = float32(ps[i].linksL+ps[j].linksR) / 10
			f[FeatNarrow] = float32(math.Max(0, 0.3-wd))
			feats = append(feats, f[:]...)
		}
	}
	seg.Features = &gtn.Tensor{Shape: []int{len(seg.Segments), NumFeatures}, Data: feats}
	if feats == nil {
		seg.Features.Data = []float32{}
	}
}

// maxGap returns the widest horizontal blank between pieces (in pixels),
// 0 if they overlap or touch.
func maxGap(ps []piece) float64 {
	if len(ps) < 2 {
		return 0
	}
	type span struct{ a, b int }
	spans := make([]span, len(ps))
	for i, p := range ps {
		spans[i] = span{p.x0, p.x1}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.a - b.a })
	gap, reach := 0, spans[0].b
	for _, s := range spans[1:] {
		gap = max(gap, s.a-reach)
		reach = max(reach, s.b)
	}
	return float64(gap)
}

// images draws every segment's ink into the recognizer's frame: the
// string's rows as they are (so that the position relative to the
// baseline is kept), the segment's centre of mass in the middle column,
// and segments wider than the frame (less a 2-pixel margin on each side)
// squeezed horizontally to fit.
func (h *HOS) images(seg *Segmentation) {
	f := h.cfg.Frame
	n := len(seg.Segments)
	seg.Images = gtn.NewTensor(n, 1, f, f)
	norm := seg.Norm
	w := norm.Width
	const bg, scale = recognizers.LeNetBackground, recognizers.LeNetInk - recognizers.LeNetBackground
	for i := range seg.Images.Data {
		seg.Images.Data[i] = bg
	}
	// The pixels of each piece, and each piece's ink moments.
	np := seg.NumPieces
	start := make([]int32, np+2)
	for _, r := range seg.Piece {
		if r >= 0 {
			start[r+2]++
		}
	}
	for r := 2; r < len(start); r++ {
		start[r] += start[r-1]
	}
	pix := make([]int32, start[np+1])
	mass := make([]float64, np)
	mx := make([]float64, np)
	for p, r := range seg.Piece {
		if r >= 0 {
			pix[start[r+1]] = int32(p)
			start[r+1]++
			v := float64(norm.Ink[p])
			mass[r] += v
			mx[r] += v * (float64(p%w) + 0.5)
		}
	}
	fit := f - 4
	var buf []float32
	for s, sg := range seg.Segments {
		bw := sg.X1 - sg.X0
		if bw <= 0 {
			continue
		}
		dst := seg.Images.Data[s*f*f : (s+1)*f*f]
		if bw <= fit {
			var m, x float64
			for r := sg.From; r < sg.To; r++ {
				m, x = m+mass[r], x+mx[r]
			}
			off := (f-bw)/2 - sg.X0
			if m > 0 {
				off = int(math.Round(float64(f)/2 - x/m))
			}
			off = max(-sg.X0, min(f-sg.X1, off))
			for _, p := range pix[start[sg.From]:start[sg.To]] {
				y, x := int(p)/w, int(p)%w
				dst[y*f+x+off] = bg + scale*norm.Ink[p]
			}
			continue
		}
		// Too wide: squeeze the segment's ink, then centre it.
		buf = slices.Grow(buf[:0], bw*f)[:bw*f]
		clear(buf)
		for _, p := range pix[start[sg.From]:start[sg.To]] {
			y, x := int(p)/w, int(p)%w
			buf[y*bw+x-sg.X0] = norm.Ink[p]
		}
		src := squeeze(buf, bw, f, fit)
		var m, x float64
		for y := range f {
			for c, v := range src[y*fit : (y+1)*fit] {
				m += float64(v)
				x += float64(v) * (float64(c) + 0.5)
			}
		}
		off := (f - fit) / 2
		if m > 0 {
			off = max(0, min(f-fit, int(math.Round(float64(f)/2-x/m))))
		}
		for y := range f {
			for c, v := range src[y*fit : (y+1)*fit] {
				if v != 0 {
					dst[y*f+c+off] = bg + scale*v
				}
			}
		}
	}
}

// squeeze resamples a w×h image to nw columns by area averaging.
func squeeze(src []float32, w, h, nw int) []float32 {
	cols := area.Axis[float32](nw, w, 0, 0, float64(nw)/float64(w))
	out := make([]float32, nw*h)
	for y := range h {
		row := src[y*w : (y+1)*w]
		for x, c := range cols {
			var s float32
			for k, sx := range c.Idx {
				s += c.W[k] * row[sx]
			}
			out[y*nw+x] = s
		}
	}
	return out
}
