package transformers

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// TestRecognizeZonesGradient checks the gradients of a check reader with
// several candidate zones (zone energy, segmentation energy, recognizer,
// union of the zones' recognition graphs, grammar, loss) against finite
// differences.
func TestRecognizeZonesGradient(t *testing.T) {
	h := toyHOS(t)
	net := tinyNet(t, 4, 3)
	se := NewSegmentEnergy("seg")
	ze := NewZoneEnergy("zone")
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range se.W.Value.Data {
		se.W.Value.Data[i] = float32(rng.NormFloat64() * 0.3)
	}
	for i := range ze.W.Value.Data {
		ze.W.Value.Data[i] = float32(rng.NormFloat64() * 0.5)
	}
	grammar := lengthGrammar(t, 3, 5)
	// Three zones: the one with the target string and two others.
	var zones []Zone
	var chars []int
	for k := range 3 {
		c, ch := toyString(rng, 2+k%2)
		if k == 1 {
			chars = ch
		}
		z := Zone{Ink: c.bitmap()}
		for f := range z.Features {
			z.Features[f] = float32(rng.Float64())
		}
		z.Features[ZoneBias] = 1
		zones = append(zones, z)
	}
	lossFn := func(tp *gtn.Tape) (*gtn.Var, error) {
		zs := &ZoneSegmentation{Zones: zones, Energy: ze.Forward(tp, zones)}
		for _, z := range zones {
			seg, err := h.Segment(z.Ink)
			if err != nil {
				return nil, err
			}
			if err := se.Forward(tp, seg); err != nil {
				return nil, err
			}
			zs.Segs = append(zs.Segs, seg)
		}
		rg, err := RecognizeZones(tp, net, zs)
		if err != nil {
			return nil, err
		}
		interp, err := tp.Compose(rg, tp.Graph(grammar))
		if err != nil {
			return nil, err
		}
		loss, _ := gtn.ParseLoss("nll", gtn.LossOptions{})
		return tp.GraphLoss(interp, labelsOf(chars), loss)
	}
	params := append(append(ze.Params(), se.Params()...), net.Params()...)
	checkGradients(t, params, lossFn)
}

// TestRecognizeZonesUnion checks the structure of the zone graph: its
// free energy is that of the union of the zones' recognition graphs with
// the zones' energies added, each zone's best path is that of its own
// recognition graph (its arcs bound to its own segments' energies), and a
// check without zones has no path.
func TestRecognizeZonesUnion(t *testing.T) {
	h := toyHOS(t)
	net := tinyNet(t, 4, 5)
	rng := rand.New(rand.NewPCG(1, 2))
	tp := gtn.NewTape(nil)
	var zones []Zone
	var segs []*Segmentation
	for range 2 {
		c, _ := toyString(rng, 2)
		zones = append(zones, Zone{Ink: c.bitmap()})
		seg, err := h.Segment(c.bitmap())
		if err != nil {
			t.Fatal(err)
		}
		segs = append(segs, seg)
	}
	energies := []float32{0.5, 2}
	ev := tp.Const(&gtn.Tensor{Shape: []int{2}, Data: energies})
	g, err := RecognizeZones(tp, net, &ZoneSegmentation{Zones: zones, Segs: segs, Energy: ev})
	if err != nil {
		t.Fatal(err)
	}
	_, fAll, err := tp.FreeEnergy(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	// exp(-F) = Σ_k exp(-(E_k + F_k)).
	var sum float64
	for k, seg := range segs {
		rg, err := Recognize(tp, net, seg)
		if err != nil {
			t.Fatal(err)
		}
		_, fk, err := tp.FreeEnergy(rg, 1)
		if err != nil {
			t.Fatal(err)
		}
		sum += math.Exp(-(float64(energies[k]) + fk))
	}
	if want := -math.Log(sum); fAll < want-1e-4 || fAll > want+1e-4 {
		t.Errorf("free energy of the zone graph %.6f, want %.6f", fAll, want)
	}
	// The free energies above do not see which segment an arc reads (each
	// segment's classes sum to one): the best paths do.
	for k, seg := range segs {
		shut := []float32{100, 100}
		shut[k] = 0
		g, err := RecognizeZones(tp, net, &ZoneSegmentation{Zones: zones, Segs: segs, Energy: tp.Const(&gtn.Tensor{Shape: []int{2}, Data: shut})})
		if err != nil {
			t.Fatal(err)
		}
		rg, err := Recognize(tp, net, seg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := graphs.Viterbi(g.G)
		if err != nil {
			t.Fatal(err)
		}
		want, err := graphs.Viterbi(rg.G)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Energy-want.Energy) > 1e-4 {
			t.Errorf("zone %d alone: best path energy %.6f, want its recognition graph's %.6f", k, got.Energy, want.Energy)
		}
	}
	empty, err := RecognizeZones(tp, net, &ZoneSegmentation{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tp.FreeEnergy(empty, 1); err == nil {
		t.Error("a check without zones has a path")
	}
}

// TestFitZoneWeights fits the zone energy on candidates that one feature
// separates: the fields must get the lower energies; bad input is an
// error.
func TestFitZoneWeights(t *testing.T) {
	var feats [][NumZoneFeatures]float32
	var field []bool
	for i := range 40 {
		var f [NumZoneFeatures]float32
		f[0] = 1 // a bias feature
		f[3] = float32(i%4) / 4
		isField := i%4 == 3
		if isField {
			f[5] = 1
		}
		feats = append(feats, f)
		field = append(field, isField)
	}
	w, loss, err := FitZoneWeights(feats, field, 2000, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if loss > 0.1 {
		t.Errorf("final log loss %.3f on separable candidates, want < 0.1", loss)
	}
	energy := func(f [NumZoneFeatures]float32) (e float32) {
		for k := range f {
			e += w[k] * f[k]
		}
		return e
	}
	for i, f := range feats {
		if field[i] != (energy(f) < 0) {
			t.Errorf("candidate %d (field %v): energy %.3f", i, field[i], energy(f))
		}
	}
	if _, _, err := FitZoneWeights(nil, nil, 10, 1, 0); err == nil {
		t.Error("no candidates: no error")
	}
	if _, _, err := FitZoneWeights(feats, field[:3], 10, 1, 0); err == nil {
		t.Error("3 labels for 40 candidates: no error")
	}
}

// TestVerticalRules: dashes of a printed vertical rule are found when they
// line up over a quarter of the check's height, as is an unbroken side that
// long; a tall 1, two 1s one above the other, and thin strokes in different
// columns are not rules.
func TestVerticalRules(t *testing.T) {
	dash := func(x, y0, y1 int) comp { return comp{x0: x, y0: y0, x1: x + 1, y1: y1, area: y1 - y0} }
	one := func(x, y int) comp { return comp{x0: x, y0: y, x1: x + 3, y1: y + 25, area: 60} }
	tests := []struct {
		name  string
		comps []comp
		want  []bool
	}{
		{"frame side in dashes", []comp{dash(200, 10, 50), dash(201, 60, 100), dash(200, 120, 160)}, []bool{true, true, true}},
		{"an unbroken side", []comp{dash(200, 10, 90)}, []bool{true}},
		{"a 1", []comp{one(100, 100)}, []bool{false}},
		{"a 1 above a 1", []comp{one(100, 60), one(101, 120)}, []bool{false, false}},
		{"dashes in different columns", []comp{dash(200, 10, 50), dash(210, 60, 100), dash(220, 120, 160)}, []bool{false, false, false}},
		{"a 1 beside the frame", []comp{dash(200, 10, 60), one(185, 70), dash(200, 70, 120)}, []bool{true, false, true}},
	}
	for _, tc := range tests {
		got := verticalRules(tc.comps, 300)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRecognizeBadImages checks that both recognition transformers report
// segment images the network cannot take, instead of panicking.
func TestRecognizeBadImages(t *testing.T) {
	h := toyHOS(t)
	net := tinyNet(t, 4, 5)
	c, _ := toyString(rand.New(rand.NewPCG(3, 4)), 2)
	good, err := h.Segment(c.bitmap())
	if err != nil {
		t.Fatal(err)
	}
	n := len(good.Segments)
	if n < 2 {
		t.Fatalf("the toy string has %d segments, want at least 2", n)
	}
	fh, fw := net.InputSize()
	for _, tc := range []struct {
		name   string
		images *gtn.Tensor
		want   string
	}{
		{"no images", nil, "without a"},
		{"one image short", gtn.NewTensor(n-1, 1, fh, fw), "without a"},
		{"two channels", gtn.NewTensor(n, 2, fh, fw), "without a"},
		{"no data", &gtn.Tensor{Shape: []int{n, 1, fh, fw}}, "without a"},
		{"wrong size", gtn.NewTensor(n, 1, fh+1, fw), "takes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seg := *good
			seg.Images = tc.images
			tp := gtn.NewTape(nil)
			if _, err := Recognize(tp, net, &seg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Recognize: error %v, want one containing %q", err, tc.want)
			}
			// A bad zone after a good one and an empty one.
			zones := []Zone{{Ink: c.bitmap()}, {}, {Ink: c.bitmap()}}
			zs := &ZoneSegmentation{Zones: zones, Segs: []*Segmentation{good, {}, &seg}}
			if _, err := RecognizeZones(tp, net, zs); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("RecognizeZones: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestJoinedLines: an amount written in pieces farther apart than the
// gap within a line ("$2.  700  .-") is one candidate zone, up to
// maxJoins+1 pieces on a row, and so is every run of pieces ending at one
// of them ("$2.  700" without its ".-"); pieces too far apart, or on other
// rows, are not joined.
func TestJoinedLines(t *testing.T) {
	// piece draws n upright strokes 20 pixels high, 8 apart, from x, and
	// returns its ink's right end.
	piece := func(c *canvas, x, y, n int) (x1 int) {
		for i := range n {
			c.line(float64(x+8*i), float64(y), float64(x+8*i), float64(y+20), 1.2, 0)
		}
		return x + 8*(n-1) + 3
	}
	tests := []struct {
		name  string
		gaps  []int // blanks between the pieces, in pixels (the pieces are 20 high)
		rowDY int   // vertical shift of the last piece
		want  bool  // a zone spans every piece
	}{
		{"one piece", nil, 0, true},
		{"three pieces", []int{40, 45}, 0, true},
		{"four pieces", []int{40, 45, 50}, 0, true},
		{"five pieces, one too many", []int{40, 45, 50, 40}, 0, false},
		{"a blank of four heights", []int{40, 80}, 0, false},
		{"the last piece on the next row", []int{40, 45}, 40, false},
	}
	loc, err := NewFieldLocator(DefaultField())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCanvas(900, 300)
			// A line of writing elsewhere, so that the check has more than one.
			piece(c, 100, 220, 12)
			const y0 = 100
			x0, y := 300, y0
			starts := []int{x0}
			x := piece(c, x0, y, 3)
			for k, g := range tc.gaps {
				if k == len(tc.gaps)-1 {
					y += tc.rowDY
				}
				starts = append(starts, x+g)
				x = piece(c, x+g, y, 3)
			}
			zones, err := loc.Candidates(c.bitmap())
			if err != nil {
				t.Fatal(err)
			}
			// zoneFrom reports whether a zone starts at xs (its margin
			// before it) and holds every piece from there to the last.
			zoneFrom := func(xs int) bool {
				for _, z := range zones {
					if z.Box.Min.X > xs-8 && z.Box.Min.X <= xs-1 && z.Box.Max.X >= x && z.Box.Min.Y <= y0 && z.Box.Max.Y >= y+20 {
						return true
					}
				}
				return false
			}
			if got := zoneFrom(x0); got != tc.want {
				t.Errorf("a zone spans the pieces: %v, want %v (zones %v)", got, tc.want, zoneBoxes(zones))
			}
			if !tc.want {
				return
			}
			// Every run of pieces that ends at the last one is a zone of its
			// own, without the pieces left of it.
			for _, xs := range starts[1:] {
				if !zoneFrom(xs) {
					t.Errorf("no zone from x = %d to the last piece (zones %v)", xs, zoneBoxes(zones))
				}
			}
		})
	}
}

// zoneBoxes returns the zones' boxes, for messages.
func zoneBoxes(zones []Zone) []string {
	var s []string
	for _, z := range zones {
		s = append(s, z.Box.String())
	}
	return s
}
