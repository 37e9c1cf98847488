package transformers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
)

// SDNN is a space displacement neural network (LeCun et al. 1998, section
// VII): a character recognizer replicated convolutionally over the whole
// width of a string image, computed in one pass. Its convolution and
// subsampling layers run on the wide image as they are; fully connected
// layers become convolutions with the same weights; the result is one
// vector of class energies per position, every Stride pixels, each from
// the recognizer's view of a Frame-wide window. The weights are the
// recognizer's own (shared, not copied), so an SDNN is trained by training
// its recognizer and starts from any recognizer trained on characters.
type SDNN struct {
	net    *recognizers.Sequential
	frame  int // the recognizer's input side
	stride int // input pixels per output position
	norm   NormalizeConfig
	// stages: the layers, with fully connected ones replaced by
	// convolutions until the maps are one row high, then the rest.
	conv []recognizers.Layer
	rows []recognizers.Layer
}

// NewSDNN replicates net (a recognizers.Sequential of convolutions,
// subsampling or pooling, activations and fully connected layers, ending
// in rows of class energies, such as LeNet-5) over string images
// normalised as norm says: norm.Height must be net's input height. Pad
// columns on each side let windows centre on the first and last
// characters.
func NewSDNN(net recognizers.Network, norm NormalizeConfig) (*SDNN, error) {
	seq, ok := net.(*recognizers.Sequential)
	if !ok {
		return nil, fmt.Errorf("transformers: SDNN: %s is not a sequential network", net.Arch())
	}
	h, w := seq.InputSize()
	if h != w || norm.Height != h {
		return nil, fmt.Errorf("transformers: SDNN: the recognizer takes %d×%d inputs, the strings are normalised to height %d", h, w, norm.Height)
	}
	s := &SDNN{net: seq, frame: h, norm: norm, stride: 1}
	// Follow the shapes of a frame through the layers to find the
	// stride and where the maps become one row high.
	c, ht, wd := 1, h, w
	i := 0
	for ; i < len(seq.Layers) && ht > 1; i++ {
		switch l := seq.Layers[i].(type) {
		case *recognizers.Conv2D:
			cfg := l.Config()
			if cfg.Pad != 0 {
				return nil, fmt.Errorf("transformers: SDNN: padded convolution %s cannot be replicated", cfg.Name)
			}
			c, ht, wd = cfg.Out, ht-cfg.KH+1, wd-cfg.KW+1
			s.conv = append(s.conv, l)
		case *recognizers.Subsample:
			cfg := l.Config()
			c, ht, wd = cfg.Out, ht/cfg.Size, wd/cfg.Size
			s.stride *= cfg.Size
			s.conv = append(s.conv, l)
		case recognizers.MaxPool:
			ht, wd = ht/l.Size, wd/l.Size
			s.stride *= l.Size
			s.conv = append(s.conv, l)
		case recognizers.AvgPool:
			ht, wd = ht/l.Size, wd/l.Size
			s.stride *= l.Size
			s.conv = append(s.conv, l)
		case recognizers.Act:
			s.conv = append(s.conv, l)
		case *recognizers.Linear:
			cfg := l.Config()
			if cfg.In != c*ht*wd {
				return nil, fmt.Errorf("transformers: SDNN: layer %s takes %d inputs, the maps give %d×%d×%d", cfg.Name, cfg.In, c, ht, wd)
			}
			conv, err := recognizers.NewConv2D(recognizers.ConvConfig{Name: cfg.Name, In: c, Out: cfg.Out, KH: ht, KW: wd, Act: cfg.Act}, rand.New(rand.NewPCG(0, 0)))
			if err != nil {
				return nil, err
			}
			conv.Weight, conv.Bias = l.Weight, l.Bias // shared
			c, ht, wd = cfg.Out, 1, 1
			s.conv = append(s.conv, conv)
		default:
			return nil, fmt.Errorf("transformers: SDNN: cannot replicate layer %T before the maps are one row high", l)
		}
	}
	if ht != 1 || wd != 1 {
		return nil, fmt.Errorf("transformers: SDNN: %s does not reduce a frame to one position (%d×%d)", net.Arch(), ht, wd)
	}
	s.rows = seq.Layers[i:]
	return s, nil
}

// Net returns the replicated recognizer.
func (s *SDNN) Net() recognizers.Network { return s.net }

// Stride returns the distance in pixels, in the normalised image, between
// consecutive output positions; position p sees columns [p·Stride,
// p·Stride+Frame).
func (s *SDNN) Stride() int { return s.stride }

// Normalize returns the normalised image the SDNN reads for b.
func (s *SDNN) Normalize(b Bitmap) (*Bitmap, Transform, error) {
	return Normalize(b, s.norm)
}

// Forward runs the SDNN on the string image b and returns the class
// energies of every position, [positions, classes].
func (s *SDNN) Forward(tp *gtn.Tape, b Bitmap) (*gtn.Var, error) {
	norm, _, err := s.Normalize(b)
	if err != nil {
		return nil, err
	}
	return s.ForwardNormalized(tp, norm)
}

// ForwardNormalized runs the SDNN on an image already normalised (as
// Normalize does).
func (s *SDNN) ForwardNormalized(tp *gtn.Tape, norm *Bitmap) (*gtn.Var, error) {
	if norm.Height != s.frame {
		return nil, fmt.Errorf("transformers: SDNN: image of height %d, want %d", norm.Height, s.frame)
	}
	w := max(norm.Width, s.frame)
	x := tp.Tensor(1, 1, s.frame, w)
	const bg, scale = recognizers.LeNetBackground, recognizers.LeNetInk - recognizers.LeNetBackground
	for i := range x.Data {
		x.Data[i] = bg
	}
	for y := range s.frame {
		for c, v := range norm.Ink[y*norm.Width : (y+1)*norm.Width] {
			x.Data[y*w+c] = bg + scale*v
		}
	}
	v := tp.Const(x)
	var err error
	for _, l := range s.conv {
		if v, err = l.Forward(tp, v); err != nil {
			return nil, fmt.Errorf("transformers: SDNN: %w", err)
		}
	}
	v = mapsToRows(tp, v)
	for _, l := range s.rows {
		if v, err = l.Forward(tp, v); err != nil {
			return nil, fmt.Errorf("transformers: SDNN: %w", err)
		}
	}
	return v, nil
}

// mapsToRows turns [1, C, 1, P] maps into [P, C] rows.
func mapsToRows(tp *gtn.Tape, x *gtn.Var) *gtn.Var {
	c, p := x.Value.Shape[1], x.Value.Shape[3]
	y := tp.NewVar(x.Grad != nil, p, c)
	for i := range c {
		for j, v := range x.Value.Data[i*p : (i+1)*p] {
			y.Value.Data[j*c+i] = v
		}
	}
	if y.Grad != nil {
		tp.OnBackward(func() {
			for i := range c {
				g := x.Grad.Data[i*p : (i+1)*p]
				for j := range g {
					g[j] += y.Grad.Data[j*c+i]
				}
			}
		})
	}
	return y
}

// PositionGraph turns energies [positions, classes] into the SDNN's output
// graph: a chain of positions+1 states with, between states p and p+1, one
// arc per class c labelled c+1 whose energy is bound to energies[p][c].
func PositionGraph(tp *gtn.Tape, energies *gtn.Var) (*gtn.GraphVar, error) {
	rows, classes := energies.Value.Rows()
	b := graphs.NewBuilder()
	b.AddStates(rows + 1)
	b.SetStart(0)
	b.SetFinal(rows, 0)
	index := make([]int32, 0, rows*classes+rows+1)
	for r := range rows {
		for c := range classes {
			b.AddArc(r, r+1, int32(c+1), int32(c+1), 0)
			index = append(index, int32(r*classes+c))
		}
	}
	for range rows + 1 {
		index = append(index, -1)
	}
	template, _, err := b.Build()
	if err != nil {
		return nil, err
	}
	return tp.BindArcs(template, index, energies)
}

// CharacterModel returns the transducer that reads an SDNN's output
// sequence (labels 1..chars for the characters, chars+1 for junk: no
// character centred in the window) and writes characters (labels
// 1..chars): a character is one or more consecutive detections of it,
// before and after which come junk or another character. Repeated
// detections and junk write nothing, so that a run "3 3 3 junk 3 3" reads
// "33" and "5 5 7" reads "57". State 0 is between characters; state c is
// "inside character c"; all states are final, and every energy is 0.
func CharacterModel(chars int) (*graphs.Graph, error) {
	if chars < 1 {
		return nil, fmt.Errorf("transformers: character model: %d characters", chars)
	}
	junk := int32(chars + 1)
	b := graphs.NewBuilder()
	b.AddStates(chars + 1)
	b.SetStart(0)
	for s := range chars + 1 {
		b.SetFinal(s, 0)
		b.AddArc(s, 0, junk, graphs.Epsilon, 0)
		for c := 1; c <= chars; c++ {
			if c == s {
				b.AddArc(s, c, int32(c), graphs.Epsilon, 0)
			} else {
				b.AddArc(s, c, int32(c), int32(c), 0)
			}
		}
	}
	g, _, err := b.Build()
	return g, err
}
