package transformers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
)

// SegmentEnergy is the trainable segmentation energy: a linear function
// of a segment's features (see NumFeatures), E = Σ_k W[k]·f_k, that the
// recognition transformer adds to every class energy of the segment.
// With W = 0 (the initial value) segmentation is left to the recognizer.
type SegmentEnergy struct {
	W *gtn.Param // [NumFeatures]
}

// NewSegmentEnergy returns a segmentation energy with zero weights; its
// parameter is named name.
func NewSegmentEnergy(name string) *SegmentEnergy {
	return &SegmentEnergy{W: gtn.NewParam(name, NumFeatures)}
}

// Params returns the energy's parameter.
func (s *SegmentEnergy) Params() []*gtn.Param { return []*gtn.Param{s.W} }

// Forward sets seg.Energy to the segmentation energies of seg's segments,
// recorded on tp so that gradients reach W.
func (s *SegmentEnergy) Forward(tp *gtn.Tape, seg *Segmentation) error {
	n := len(seg.Segments)
	if seg.Features == nil || seg.Features.Len() != n*NumFeatures {
		return fmt.Errorf("transformers: segment energy: features for %d segments of %d features expected", n, NumFeatures)
	}
	wv := tp.Param(s.W)
	e := tp.NewVar(wv.Grad != nil, n)
	w := s.W.Value.Data
	f := seg.Features.Data
	for i := range n {
		var v float32
		for k, fk := range f[i*NumFeatures : (i+1)*NumFeatures] {
			v += w[k] * fk
		}
		e.Value.Data[i] = v
	}
	if e.Grad != nil {
		tp.OnBackward(func() {
			for i, g := range e.Grad.Data {
				if g == 0 {
					continue
				}
				for k, fk := range f[i*NumFeatures : (i+1)*NumFeatures] {
					wv.Grad.Data[k] += g * fk
				}
			}
		})
	}
	seg.Energy = e
	return nil
}

// Recognize is the recognition transformer: it runs net on the images of
// all of seg's segments in one batch and returns the recognition graph,
// whose states are seg's (piece boundaries 0..NumPieces, start 0, final
// NumPieces) and which has, for each segment and each class c of net, an
// arc labelled c+1 (input and output) whose energy is net's energy of c on
// the segment plus the segment's segmentation energy. The energies are
// bound to the tensors (gtn.Tape.BindArcs), so a loss on any graph made
// from this one trains net and the segmentation energy.
func Recognize(tp *gtn.Tape, net recognizers.Network, seg *Segmentation) (*gtn.GraphVar, error) {
	n := len(seg.Segments)
	classes := net.Classes()
	b := graphs.NewBuilder()
	b.AddStates(seg.NumPieces + 1)
	b.SetStart(0)
	b.SetFinal(seg.NumPieces, 0)
	if n == 0 {
		g, _, err := b.Build()
		if err != nil {
			return nil, err
		}
		return tp.Graph(g), nil
	}
	if err := checkImages(seg, net); err != nil {
		return nil, fmt.Errorf("transformers: recognize: %w", err)
	}
	e, err := net.Forward(tp, tp.Const(seg.Images))
	if err != nil {
		return nil, fmt.Errorf("transformers: recognize: %w", err)
	}
	if seg.Energy != nil {
		if e, err = addRows(tp, e, seg.Energy); err != nil {
			return nil, err
		}
	}
	index := segmentArcs(b, seg, 0, 0, classes, make([]int32, 0, n*classes+seg.NumPieces+1))
	for range seg.NumPieces + 1 {
		index = append(index, -1)
	}
	template, _, err := b.Build()
	if err != nil {
		return nil, err
	}
	return tp.BindArcs(template, index, e)
}

// checkImages reports segment images that net cannot take: seg.Images
// must be [len(seg.Segments), 1, h, w], with its data, for net's input
// size h×w.
func checkImages(seg *Segmentation, net recognizers.Network) error {
	n := len(seg.Segments)
	im := seg.Images
	if im == nil || len(im.Shape) != 4 || im.Shape[0] != n || im.Shape[1] != 1 || len(im.Data) != n*im.Shape[2]*im.Shape[3] {
		return fmt.Errorf("%d segments without a [%d, 1, h, w] tensor of their images", n, n)
	}
	if h, w := net.InputSize(); im.Shape[2] != h || im.Shape[3] != w {
		return fmt.Errorf("segment images are %d×%d, %s takes %d×%d", im.Shape[2], im.Shape[3], net.Arch(), h, w)
	}
	return nil
}

// segmentArcs adds to b, for each segment j of seg and each class c, an
// arc labelled c+1 from state state0+From to state0+To, and appends to
// index the element of the [N, classes] energies it is bound to: row
// row0+j, column c.
func segmentArcs(b *graphs.Builder, seg *Segmentation, state0, row0, classes int, index []int32) []int32 {
	for j, sg := range seg.Segments {
		for c := range classes {
			b.AddArc(state0+sg.From, state0+sg.To, int32(c+1), int32(c+1), 0)
			index = append(index, int32((row0+j)*classes+c))
		}
	}
	return index
}

// addRows returns x [N, C] with r[i] [N] added to every element of row i.
func addRows(tp *gtn.Tape, x, r *gtn.Var) (*gtn.Var, error) {
	n, c := x.Value.Rows()
	if r.Value.Len() != n {
		return nil, fmt.Errorf("transformers: %d row energies for %d rows", r.Value.Len(), n)
	}
	y := tp.NewVar(x.Grad != nil || r.Grad != nil, n, c)
	for i := range n {
		ri := r.Value.Data[i]
		yi, xi := y.Value.Data[i*c:(i+1)*c], x.Value.Data[i*c:(i+1)*c]
		for j, v := range xi {
			yi[j] = v + ri
		}
	}
	if y.Grad != nil {
		tp.OnBackward(func() {
			for i := range n {
				gi := y.Grad.Data[i*c : (i+1)*c]
				if x.Grad != nil {
					xg := x.Grad.Data[i*c : (i+1)*c]
					for j, g := range gi {
						xg[j] += g
					}
				}
				if r.Grad != nil {
					var s float32
					for _, g := range gi {
						s += g
					}
					r.Grad.Data[i] += s
				}
			}
		})
	}
	return y, nil
}

// NewRecognizer returns a network of the named architecture (see
// recognizers.Archs) for classes classes, initialised from seed.
func NewRecognizer(arch string, classes int, seed uint64) (recognizers.Network, error) {
	return recognizers.New(arch, classes, rand.New(rand.NewPCG(seed, 0x6c656e6574)))
}
