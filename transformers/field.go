package transformers

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"

	"github.com/gotn/gotn/gtn"
)

// FieldConfig configures the amount-field locator.
type FieldConfig struct {
	// WorkHeight is the height the check is analysed at (the layout
	// analysis runs on a copy scaled down to about this height).
	WorkHeight int
	// Threshold is the ink level (after the paper's texture is removed)
	// of the pixels that make components.
	Threshold float32
	// MaxZones is the most candidate zones kept (those of lowest energy).
	MaxZones int
	// Gap is the widest blank between two components of one zone, in
	// heights of the taller.
	Gap float64
	// Margin is the blank added around a zone's crop, in zone heights.
	Margin float64
}

// DefaultField returns the locator's default configuration.
func DefaultField() FieldConfig {
	return FieldConfig{WorkHeight: 300, Threshold: 0.5, MaxZones: 6, Gap: 1.2, Margin: 0.15}
}

// The features of a candidate zone (Zone.Features); positions and sizes
// are fractions of the check's width (x) and height (y).
const (
	ZoneBias        = iota // 1
	ZoneX                  // centre x
	ZoneY                  // centre y
	ZoneX2                 // centre x squared
	ZoneY2                 // centre y squared
	ZoneWidth              // width
	ZoneHeight             // height
	ZoneAspect             // log(width/height), in pixels
	ZoneDensity            // fraction of the zone's box that is ink
	ZoneParts              // number of components / 10
	ZoneBoxed              // 1 if the zone is a printed box (or lies in one)
	ZoneRule               // 1 if a printed rule runs under the zone
	ZoneJoined             // 1 if the zone joins a line to lines on its left (a "$" apart)
	ZoneTall               // height over the check's median text height / 4
	NumZoneFeatures        // the number of features
)

// DefaultZoneWeights returns the zone energy's initial weights (see
// ZoneEnergy): a logistic regression of "this zone holds the amount's
// digits" on the features of the candidates (with DefaultField) of 150
// generated checks (datasets.NewChecks, MNIST training digits, mixed
// styles, seed 11), fitted by FitZoneWeights (30,000 epochs, rate 1,
// L2 1e-5); the energy is minus the logit. On the next 150 checks the
// field is among the 6 zones of lowest energy for 147 (98%), first for
// 119. Global training refines them.
func DefaultZoneWeights() [NumZoneFeatures]float32 {
	return [NumZoneFeatures]float32{
		13.3183, -18.7659, -10.9305, 7.2174, 21.3651, -9.7460, -27.5507,
		0.1824, 2.0342, 0.5646, -0.2261, -1.3593, 0.7079, -1.1822,
	}
}

// Zone is a candidate amount field.
type Zone struct {
	// Box is the zone in the check's pixels (its crop, margin included).
	Box image.Rectangle
	// Features are the zone's features (see NumZoneFeatures).
	Features [NumZoneFeatures]float32
	// Ink is the crop of the check's ink.
	Ink Bitmap
}

// FieldLocator finds candidate amount fields on check images by ink layout
// analysis. It is safe for concurrent use.
type FieldLocator struct{ cfg FieldConfig }

// NewFieldLocator returns a locator with the given configuration.
func NewFieldLocator(cfg FieldConfig) (*FieldLocator, error) {
	switch {
	case cfg.WorkHeight < 32:
		return nil, fmt.Errorf("transformers: field locator: work height %d, want at least 32", cfg.WorkHeight)
	case !(cfg.Threshold > 0 && cfg.Threshold < 1):
		return nil, fmt.Errorf("transformers: field locator: threshold %v, want (0, 1)", cfg.Threshold)
	case cfg.MaxZones < 1:
		return nil, fmt.Errorf("transformers: field locator: max zones %d, want at least 1", cfg.MaxZones)
	case !(cfg.Gap > 0) || !(cfg.Margin >= 0):
		return nil, fmt.Errorf("transformers: field locator: gap %v and margin %v, want gap > 0 and margin >= 0", cfg.Gap, cfg.Margin)
	}
	return &FieldLocator{cfg}, nil
}

// Config returns the locator's configuration.
func (f *FieldLocator) Config() FieldConfig { return f.cfg }

// part is a connected component of the work image.
type part struct {
	x0, y0, x1, y1 int
	area           int
}

func (p part) w() int { return p.x1 - p.x0 }
func (p part) h() int { return p.y1 - p.y0 }

// candidate is a zone being built, in work pixels.
type candidate struct {
	x0, y0, x1, y1 int
	parts, ink     int
	boxed, joined  bool
}

// Candidates returns the candidate amount fields of a check image b: the
// lines of ink (components close to each other on a row), each line
// joined to the lines left of it on its row, one after the other, up to
// maxJoins of them (a "$" written apart, an amount written in pieces), and
// the printed boxes with what they hold and the line left of them. Each zone
// comes with its features and its crop of b. An image without ink has no
// candidates.
func (f *FieldLocator) Candidates(b Bitmap) ([]Zone, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	if b.Width == 0 || b.Height == 0 {
		return nil, nil
	}
	cfg := f.cfg
	// Scale down by an integer factor to about WorkHeight rows.
	k := max(1, int(math.Round(float64(b.Height)/float64(cfg.WorkHeight))))
	if b.Width < k {
		return nil, nil // a sliver narrower than one work pixel holds no field
	}
	ww, wh := max(1, b.Width/k), max(1, b.Height/k)
	work := Bitmap{Width: ww, Height: wh, Ink: make([]float32, ww*wh)}
	// Each work pixel takes the darkest of its k×k pixels, so that thin
	// strokes survive.
	for y := range wh {
		for x := range ww {
			var s float32
			for dy := range k {
				row := b.Ink[(y*k+dy)*b.Width+x*k : (y*k+dy)*b.Width+x*k+k]
				for _, v := range row {
					s = max(s, v)
				}
			}
			work.Ink[y*ww+x] = s
		}
	}
	work = Clean(work, max(9, wh/20))
	bin := make([]bool, ww*wh)
	for i, v := range work.Ink {
		bin[i] = v > cfg.Threshold
	}
	_, comps := components(bin, ww, wh)
	frame := verticalRules(comps, wh)
	// Sort the components: rules, boxes, text.
	var rules, boxes, text []part
	for i, c := range comps {
		p := part(c)
		switch {
		case c.area < 3 || frame[i]:
		case p.w() >= 8*p.h() && p.w() >= ww/25:
			rules = append(rules, p)
		case p.w() >= ww/10 && p.h() >= wh/12 && float64(c.area) < 0.15*float64(p.w()*p.h()):
			boxes = append(boxes, p)
		case p.h() > wh/3 || p.w() > ww/3:
			// Too big to be a character: a drawing, a logo.
		default:
			text = append(text, p)
		}
	}
	if len(text) == 0 && len(boxes) == 0 {
		return nil, nil
	}
	heights := make([]int, len(text))
	for i, p := range text {
		heights[i] = p.h()
	}
	slices.Sort(heights)
	medianH := 8
	if len(heights) > 0 {
		medianH = max(2, heights[len(heights)/2])
	}
	lines := groupLines(text, cfg.Gap, medianH)
	var cands []candidate
	seen := map[[4]int]bool{}
	add := func(c candidate) {
		key := [4]int{c.x0, c.y0, c.x1, c.y1}
		if c.x1-c.x0 < 2 || c.y1-c.y0 < 2 || seen[key] {
			return
		}
		seen[key] = true
		cands = append(cands, c)
	}
	for i, l := range lines {
		add(l)
		// The lines just left of it on the same row, one after the other
		// ("$  1,234.56", "$2.  700.-").
		c, j := l, i
		for range maxJoins {
			if j = leftNeighbour(lines, j, 3); j < 0 {
				break
			}
			c = union(lines[j], c, true)
			add(c)
		}
	}
	for _, bx := range boxes {
		c := candidate{x0: bx.x0, y0: bx.y0, x1: bx.x1, y1: bx.y1, parts: 1, ink: bx.area, boxed: true}
		var left *candidate
		for i := range lines {
			l := &lines[i]
			// The lines centred in the box, and those reaching into it
			// by a quarter of their width, level with it (the box may be
			// a broken one's part).
			cx, cy := (l.x0+l.x1)/2, (l.y0+l.y1)/2
			inside := cx >= bx.x0 && cx < bx.x1 && cy >= bx.y0 && cy < bx.y1
			if inside || overlap(l.x0, l.x1, bx.x0, bx.x1) >= 0.25*float64(l.x1-l.x0) && overlap(l.y0, l.y1, bx.y0, bx.y1) >= 0.5*float64(l.y1-l.y0) {
				c = union(c, *l, false)
				continue
			}
			// A line ending just left of the box (or reaching into it by
			// less than the above), level with it: the "$".
			if l.x0 < bx.x0 && l.x1 < bx.x1 && bx.x0-l.x1 < 2*bx.h() && overlap(l.y0, l.y1, bx.y0, bx.y1) > 0.5*float64(l.y1-l.y0) {
				if left == nil || l.x1 > left.x1 {
					left = l
				}
			}
		}
		add(c)
		if left != nil {
			add(union(*left, c, true))
		}
	}
	// Features, then crops.
	zones := make([]Zone, 0, len(cands))
	for _, c := range cands {
		var z Zone
		fw, fh := float64(ww), float64(wh)
		cx, cy := float64(c.x0+c.x1)/2/fw, float64(c.y0+c.y1)/2/fh
		w, h := float64(c.x1-c.x0), float64(c.y1-c.y0)
		ft := &z.Features
		ft[ZoneBias] = 1
		ft[ZoneX], ft[ZoneY] = float32(cx), float32(cy)
		ft[ZoneX2], ft[ZoneY2] = float32(cx*cx), float32(cy*cy)
		ft[ZoneWidth], ft[ZoneHeight] = float32(w/fw), float32(h/fh)
		ft[ZoneAspect] = float32(math.Log(w / h))
		ft[ZoneDensity] = float32(float64(c.ink) / (w * h))
		ft[ZoneParts] = float32(c.parts) / 10
		if c.boxed || insideBox(c, boxes) {
			ft[ZoneBoxed] = 1
		}
		if ruleUnder(c, rules) {
			ft[ZoneRule] = 1
		}
		if c.joined {
			ft[ZoneJoined] = 1
		}
		ft[ZoneTall] = float32(h / float64(medianH) / 4)
		// The crop, with a margin, in the check's pixels.
		m := cfg.Margin * h
		r := image.Rect(int((float64(c.x0)-m)*float64(k)), int((float64(c.y0)-m)*float64(k)),
			int(math.Ceil((float64(c.x1)+m)*float64(k))), int(math.Ceil((float64(c.y1)+m)*float64(k))))
		r = r.Intersect(image.Rect(0, 0, b.Width, b.Height))
		if r.Empty() {
			continue
		}
		z.Box = r
		z.Ink = Bitmap{Width: r.Dx(), Height: r.Dy(), Ink: make([]float32, r.Dx()*r.Dy())}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			copy(z.Ink.Ink[(y-r.Min.Y)*r.Dx():(y-r.Min.Y+1)*r.Dx()], b.Ink[y*b.Width+r.Min.X:y*b.Width+r.Max.X])
		}
		zones = append(zones, z)
	}
	return zones, nil
}

// verticalRules reports which components are pieces of vertical printed
// rules (the sides of the check's frame or of a box, which the paper's
// texture and the threshold break into dashes): thin upright components
// (at least 6 times as high as wide) whose heights, alone or lined up
// within 2 pixels with others of their kind, sum to a quarter of the
// check's height h.
// Left among the text, a dash of the frame beside a line of writing joins
// it to the lines above and below.
func verticalRules(comps []comp, h int) []bool {
	var thin []int
	for i, c := range comps {
		if w := c.x1 - c.x0; c.y1-c.y0 >= 6*w && c.y1-c.y0 >= 4 {
			thin = append(thin, i)
		}
	}
	centre := func(i int) int { return comps[i].x0 + comps[i].x1 }
	slices.SortFunc(thin, func(a, b int) int { return centre(a) - centre(b) })
	rule := make([]bool, len(comps))
	for start := 0; start < len(thin); {
		// A run of thin components whose centres lie within 2 pixels of
		// the first's.
		end, height := start, 0
		for end < len(thin) && centre(thin[end])-centre(thin[start]) <= 4 {
			height += comps[thin[end]].y1 - comps[thin[end]].y0
			end++
		}
		if 4*height >= h {
			for _, i := range thin[start:end] {
				rule[i] = true
			}
		}
		start = end
	}
	return rule
}

// groupLines groups text components into lines: two components are in
// one line when they overlap vertically by at least a third of the
// shorter (or a small one lies within the other's rows: a point, a dash)
// and the blank between them is at most gap times the taller's height.
func groupLines(text []part, gap float64, medianH int) []candidate {
	n := len(text)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return text[a].x0 - text[b].x0 })
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	maxGap := gap * float64(3*medianH)
	for a := range n {
		p := text[order[a]]
		for b := a + 1; b < n; b++ {
			q := text[order[b]]
			if float64(q.x0-p.x1) > maxGap {
				break // sorted by x0: the others are farther
			}
			hp, hq := p.h(), q.h()
			tall := max(hp, hq)
			if float64(q.x0-p.x1) > gap*float64(max(tall, medianH)) {
				continue
			}
			ov := overlap(p.y0, p.y1, q.y0, q.y1)
			if ov >= float64(min(hp, hq))/3 && (hp <= 3*hq && hq <= 3*hp || ov >= float64(min(hp, hq))*0.9) {
				ra, rb := find(order[a]), find(order[b])
				if ra != rb {
					parent[rb] = ra
				}
			}
		}
	}
	byRoot := map[int]int{}
	var lines []candidate
	for _, i := range order {
		p := text[i]
		r := find(i)
		li, ok := byRoot[r]
		if !ok {
			li = len(lines)
			byRoot[r] = li
			lines = append(lines, candidate{x0: p.x0, y0: p.y0, x1: p.x1, y1: p.y1})
		}
		l := &lines[li]
		l.x0, l.y0, l.x1, l.y1 = min(l.x0, p.x0), min(l.y0, p.y0), max(l.x1, p.x1), max(l.y1, p.y1)
		l.parts++
		l.ink += p.area
	}
	return lines
}

// maxJoins is the most lines on its left that a line is joined to (the
// field-locate node's doc and docs/ARCHITECTURE.md say three).
const maxJoins = 3

// leftNeighbour returns the line nearest to the left of line i on the
// same row, within gap heights of it, or -1.
func leftNeighbour(lines []candidate, i int, gap float64) int {
	l := lines[i]
	h := float64(l.y1 - l.y0)
	best, bestD := -1, math.Inf(1)
	for j, m := range lines {
		if j == i || m.x1 > l.x0 {
			continue
		}
		d := float64(l.x0 - m.x1)
		mh := float64(m.y1 - m.y0)
		if d <= gap*h && d < bestD && overlap(l.y0, l.y1, m.y0, m.y1) >= 0.4*math.Min(h, mh) {
			best, bestD = j, d
		}
	}
	return best
}

func union(a, b candidate, joined bool) candidate {
	return candidate{min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1),
		a.parts + b.parts, a.ink + b.ink, a.boxed || b.boxed, joined || a.joined || b.joined}
}

// overlap returns the length of [a0,a1) ∩ [b0,b1).
func overlap(a0, a1, b0, b1 int) float64 { return float64(max(0, min(a1, b1)-max(a0, b0))) }

func insideBox(c candidate, boxes []part) bool {
	for _, b := range boxes {
		if c.x0 >= b.x0 && c.x1 <= b.x1 && c.y0 >= b.y0 && c.y1 <= b.y1 {
			return true
		}
	}
	return false
}

// ruleUnder reports whether a rule runs under c (within half its height
// of its bottom, under at least half of its width).
func ruleUnder(c candidate, rules []part) bool {
	h := c.y1 - c.y0
	for _, r := range rules {
		if r.y0 >= c.y1-h/3 && r.y0 <= c.y1+h/2 && overlap(c.x0, c.x1, r.x0, r.x1) >= 0.5*float64(c.x1-c.x0) {
			return true
		}
	}
	return false
}

// ZoneEnergy is the trainable energy of a candidate zone: a linear
// function of its features, E = Σ_k W[k]·f_k, lower for zones more like
// an amount field.
type ZoneEnergy struct {
	W *gtn.Param // [NumZoneFeatures]
}

// NewZoneEnergy returns a zone energy with the default weights
// (DefaultZoneWeights); its parameter is named name.
func NewZoneEnergy(name string) *ZoneEnergy {
	z := &ZoneEnergy{W: gtn.NewParam(name, NumZoneFeatures)}
	w := DefaultZoneWeights()
	copy(z.W.Value.Data, w[:])
	return z
}

// Params returns the energy's parameter.
func (z *ZoneEnergy) Params() []*gtn.Param { return []*gtn.Param{z.W} }

// Energies returns the zones' energies with the current weights, without
// recording anything (to rank candidates).
func (z *ZoneEnergy) Energies(zones []Zone) []float64 {
	e := make([]float64, len(zones))
	for i, zn := range zones {
		for k, f := range zn.Features {
			e[i] += float64(z.W.Value.Data[k]) * float64(f)
		}
	}
	return e
}

// Forward returns the zones' energies [len(zones)], recorded on tp so
// that gradients reach W.
func (z *ZoneEnergy) Forward(tp *gtn.Tape, zones []Zone) *gtn.Var {
	wv := tp.Param(z.W)
	e := tp.NewVar(wv.Grad != nil, len(zones))
	for i, en := range z.Energies(zones) {
		e.Value.Data[i] = float32(en)
	}
	if e.Grad != nil {
		tp.OnBackward(func() {
			for i, g := range e.Grad.Data {
				if g == 0 {
					continue
				}
				for k, f := range zones[i].Features {
					wv.Grad.Data[k] += g * f
				}
			}
		})
	}
	return e
}

// Locate returns the candidate zones of b, at most MaxZones of them, those
// of lowest energy under ze (nil: all energies 0, the first candidates),
// in order of energy.
func (f *FieldLocator) Locate(b Bitmap, ze *ZoneEnergy) ([]Zone, error) {
	zones, err := f.Candidates(b)
	if err != nil || len(zones) == 0 {
		return zones, err
	}
	if ze != nil {
		e := ze.Energies(zones)
		idx := make([]int, len(zones))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case e[a] < e[b]:
				return -1
			case e[a] > e[b]:
				return 1
			}
			return 0
		})
		sorted := make([]Zone, len(zones))
		for i, j := range idx {
			sorted[i] = zones[j]
		}
		zones = sorted
	}
	return zones[:min(len(zones), f.cfg.MaxZones)], nil
}

// FitZoneWeights fits zone energy weights by logistic regression: feats
// are candidates' features, field says which candidates are the amount
// field. The energy is minus the logit, so the field's zones get low
// energies. It runs epochs of full-batch gradient descent with an L2
// penalty l2 and returns the weights and the final mean log loss.
func FitZoneWeights(feats [][NumZoneFeatures]float32, field []bool, epochs int, rate, l2 float64) ([NumZoneFeatures]float32, float64, error) {
	switch {
	case len(feats) == 0:
		return [NumZoneFeatures]float32{}, 0, errors.New("transformers: FitZoneWeights: no candidates")
	case len(field) != len(feats):
		return [NumZoneFeatures]float32{}, 0, fmt.Errorf("transformers: FitZoneWeights: %d labels for %d candidates", len(field), len(feats))
	}
	var w [NumZoneFeatures]float64
	n := float64(len(feats))
	var loss float64
	// Weight the two classes equally: fields are few among candidates.
	pos := 0
	for _, y := range field {
		if y {
			pos++
		}
	}
	wPos, wNeg := 0.5*n/math.Max(1, float64(pos)), 0.5*n/math.Max(1, n-float64(pos))
	for range epochs {
		var g [NumZoneFeatures]float64
		loss = 0
		for i, f := range feats {
			var z float64
			for k, v := range f {
				z += w[k] * float64(v)
			}
			p := 1 / (1 + math.Exp(-z))
			y, cw := 0.0, wNeg
			if field[i] {
				y, cw = 1, wPos
			}
			loss -= cw * (y*math.Log(math.Max(p, 1e-12)) + (1-y)*math.Log(math.Max(1-p, 1e-12)))
			for k, v := range f {
				g[k] += cw * (p - y) * float64(v)
			}
		}
		for k := range w {
			w[k] -= rate * (g[k]/n + l2*w[k])
		}
		loss /= n
	}
	var out [NumZoneFeatures]float32
	for k, v := range w {
		out[k] = float32(-v)
	}
	return out, loss, nil
}
