package transformers

import (
	"fmt"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
)

// ZoneSegmentation is the segmentation of each candidate zone of a check:
// the zone graph whose arcs are the zones, each carrying its segmentation
// graph.
type ZoneSegmentation struct {
	Zones []Zone
	// Segs[i] is the segmentation of Zones[i].
	Segs []*Segmentation
	// Energy holds the zones' energies [len(Zones)] (a ZoneEnergy's
	// Forward); nil means zero.
	Energy *gtn.Var
}

// RecognizeZones is the recognition transformer of a check with several
// candidate amount zones: it runs net on the segments of every zone in
// one batch and returns the union of the zones' recognition graphs (see
// Recognize), each entered from a common start state through an epsilon
// arc whose energy is the zone's energy. A path reads one zone, so the
// best interpretation of the union chooses the zone as well as its
// segmentation and characters, and a loss on it trains the zone energy,
// the segmentation energies and net together. Zones without ink are left
// out; with none left the graph has no path.
func RecognizeZones(tp *gtn.Tape, net recognizers.Network, zs *ZoneSegmentation) (*gtn.GraphVar, error) {
	if len(zs.Segs) != len(zs.Zones) {
		return nil, fmt.Errorf("transformers: recognize zones: %d segmentations for %d zones", len(zs.Segs), len(zs.Zones))
	}
	if zs.Energy != nil && zs.Energy.Value.Len() != len(zs.Zones) {
		return nil, fmt.Errorf("transformers: recognize zones: %d energies for %d zones", zs.Energy.Value.Len(), len(zs.Zones))
	}
	classes := net.Classes()
	h, w := net.InputSize()
	// All the segments in one batch.
	n := 0
	for _, s := range zs.Segs {
		n += len(s.Segments)
		if len(s.Segments) == 0 {
			continue
		}
		if err := checkImages(s, net); err != nil {
			return nil, fmt.Errorf("transformers: recognize zones: %w", err)
		}
	}
	b := graphs.NewBuilder()
	b.AddStates(1)
	b.SetStart(0)
	if n == 0 {
		g, _, err := b.Build()
		if err != nil {
			return nil, err
		}
		return tp.Graph(g), nil
	}
	images := gtn.NewTensor(n, 1, h, w)
	k := 0
	for _, s := range zs.Segs {
		k += copy(images.Data[k:], s.Images.Data)
	}
	e, err := net.Forward(tp, tp.Const(images))
	if err != nil {
		return nil, fmt.Errorf("transformers: recognize zones: %w", err)
	}
	// Segmentation energies, then zone energies, after the class
	// energies: one tensor that the graph's arcs are bound to.
	var segE []*gtn.Var
	for _, s := range zs.Segs {
		if s.Energy != nil && len(s.Segments) > 0 {
			segE = append(segE, s.Energy)
		} else if len(s.Segments) > 0 {
			segE = append(segE, tp.Const(gtn.NewTensor(len(s.Segments))))
		}
	}
	if e, err = addRows(tp, e, concatVars(tp, segE...)); err != nil {
		return nil, err
	}
	ze := zs.Energy
	if ze == nil {
		ze = tp.Const(gtn.NewTensor(len(zs.Zones)))
	}
	all := concatVars(tp, e, ze)
	// States: 0 the start, then each zone's piece boundaries.
	var index []int32
	offsets := make([]int, len(zs.Segs))
	next := 1
	for i, s := range zs.Segs {
		offsets[i] = -1
		if len(s.Segments) == 0 {
			continue
		}
		offsets[i] = next
		next += s.NumPieces + 1
	}
	b.AddStates(next - 1)
	for i := range zs.Segs {
		if offsets[i] >= 0 {
			b.AddArc(0, offsets[i], 0, 0, 0)
			index = append(index, int32(n*classes+i))
		}
	}
	row0 := 0 // the zone's first segment in the batch
	for i, s := range zs.Segs {
		if offsets[i] < 0 {
			continue
		}
		index = segmentArcs(b, s, offsets[i], row0, classes, index)
		b.SetFinal(offsets[i]+s.NumPieces, 0)
		row0 += len(s.Segments)
	}
	for range next {
		index = append(index, -1)
	}
	template, _, err := b.Build()
	if err != nil {
		return nil, err
	}
	return tp.BindArcs(template, index, all)
}

// concatVars returns the elements of vs one after the other, as one
// vector, recorded on tp.
func concatVars(tp *gtn.Tape, vs ...*gtn.Var) *gtn.Var {
	n, grad := 0, false
	for _, v := range vs {
		n += v.Value.Len()
		grad = grad || v.Grad != nil
	}
	out := tp.NewVar(grad, n)
	k := 0
	for _, v := range vs {
		k += copy(out.Value.Data[k:], v.Value.Data)
	}
	if out.Grad != nil {
		tp.OnBackward(func() {
			k := 0
			for _, v := range vs {
				m := v.Value.Len()
				if v.Grad != nil {
					for i, g := range out.Grad.Data[k : k+m] {
						v.Grad.Data[i] += g
					}
				}
				k += m
			}
		})
	}
	return out
}
