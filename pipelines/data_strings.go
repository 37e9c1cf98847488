package pipelines

import (
	"fmt"
	"math"
	"strconv"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/recognizers"
	"github.com/gotn/gotn/transformers"
)

// JunkSymbol is the target of a segment that is not a character, in the
// digit-pieces data (grammars/digits-junk.syms gives it label 11).
const JunkSymbol = "#"

func stringDataSources() []*DataSource {
	return []*DataSource{digitStringsSource(), digitPiecesSource(), digitWindowsSource()}
}

// digitStringParams are the parameters of the generated digit strings.
func digitStringParams() []ParamSpec {
	d := datasets.DefaultDigitStrings()
	return []ParamSpec{
		{Name: "split", Kind: String, Default: "train", Choices: []string{"train", "test"}, Doc: "which MNIST digits: training strings are made of training digits only, test strings of test digits only"},
		{Name: "count", Kind: Int, Default: 10000, Doc: "number of strings"},
		{Name: "seed", Kind: Int, Default: 1, Doc: "seed: string i is a function of (seed, i)"},
		{Name: "min_len", Kind: Int, Default: d.MinLen, Doc: "fewest digits"},
		{Name: "max_len", Kind: Int, Default: d.MaxLen, Doc: "most digits"},
		{Name: "min_gap", Kind: Float, Default: d.MinGap, Doc: "smallest gap between the ink boxes of neighbours, pixels (negative: overlapping, touching)"},
		{Name: "max_gap", Kind: Float, Default: d.MaxGap, Doc: "largest gap, pixels"},
		{Name: "noise", Kind: Float, Default: d.Noise, Doc: "largest standard deviation of the added noise (ink in [0, 1])"},
		{Name: "fresh", Kind: Bool, Default: true, Doc: "in training, draw a new string for every example of every epoch (infinite data) instead of repeating the count strings"},
		{Name: "dir", Kind: File, Doc: "directory of the MNIST IDX files (default: $GTN_DATA/mnist, then the GoMNIST module)"},
	}
}

// openDigitStrings builds the generator described by digitStringParams.
func openDigitStrings(a *Args) (*datasets.DigitStrings, error) {
	dir, err := datasets.MNISTDir(a.Path("dir"))
	if err != nil {
		return nil, a.Errorf("dir", "%v", err)
	}
	m, err := datasets.LoadMNIST(dir, a.String("split"))
	if err != nil {
		return nil, a.Errorf("split", "%v", err)
	}
	cfg := datasets.DefaultDigitStrings()
	cfg.MinLen, cfg.MaxLen = a.Int("min_len"), a.Int("max_len")
	cfg.MinGap, cfg.MaxGap = a.Float("min_gap"), a.Float("max_gap")
	cfg.Noise = a.Float("noise")
	if a.Int("count") < 1 {
		return nil, a.Errorf("count", "count must be at least 1")
	}
	ds, err := datasets.NewDigitStrings(m, a.Int("count"), uint64(a.Int("seed")), cfg)
	if err != nil {
		return nil, a.Errorf("", "%v", err)
	}
	return ds, nil
}

func digitStringsSource() *DataSource {
	return &DataSource{
		Name:   "digit-strings",
		Doc:    "strings of 1-8 handwritten MNIST digits side by side, touching and interleaved (datasets.DigitStrings); one image input, the digits as target",
		Params: digitStringParams(),
		New: func(a *Args) (Dataset, error) {
			ds, err := openDigitStrings(a)
			if err != nil {
				return nil, err
			}
			return &digitStringsData{ds: ds, fresh: a.Bool("fresh")}, nil
		},
	}
}

type digitStringsData struct {
	ds    *datasets.DigitStrings
	fresh bool
}

func (d *digitStringsData) Len() int       { return d.ds.Len() }
func (d *digitStringsData) Inputs() []Type { return []Type{ImageType} }

func (d *digitStringsData) string(i int, augment uint64) (*datasets.DigitString, error) {
	if i < 0 || i >= d.ds.Len() {
		return nil, fmt.Errorf("digit strings: example %d out of range [0,%d)", i, d.ds.Len())
	}
	if !d.fresh {
		augment = 0
	}
	return d.ds.Variant(i, augment), nil
}

func (d *digitStringsData) Example(i int, augment uint64) (Example, error) {
	s, err := d.string(i, augment)
	if err != nil {
		return Example{}, err
	}
	return Example{Inputs: []any{stringImage(s, i)}, Target: digitTarget(s.Labels)}, nil
}

// stringImage wraps a generated string as a pipeline image.
func stringImage(s *datasets.DigitString, i int) *Image {
	return &Image{Width: s.Width, Height: s.Height, Ink: s.Ink, File: fmt.Sprintf("digit-string#%d", i)}
}

// digitTarget spells digits as the symbols of digits.syms.
func digitTarget(labels []int) []string {
	t := make([]string, len(labels))
	for k, l := range labels {
		t[k] = strconv.Itoa(l)
	}
	return t
}

func digitPiecesSource() *DataSource {
	return &DataSource{
		Name: "digit-pieces",
		Doc:  "segments of generated digit strings, cut by the heuristic over-segmenter (its default settings, or those given) and labelled from the ground truth: a digit, or the junk symbol # for pieces of digits and pairs of digits cut at wrong places; one image input (the segment in the recognizer's frame), one target symbol",
		Params: append(digitStringParams(),
			ParamSpec{Name: "junk", Kind: Float, Default: 0.5, Doc: "fraction of junk examples"},
			ParamSpec{Name: "frame", Kind: Int, Default: 32, Doc: "as hos-segment's frame"},
			ParamSpec{Name: "body", Kind: Int, Default: 24, Doc: "as hos-segment's body"},
			ParamSpec{Name: "max_span", Kind: Int, Default: 3, Doc: "as hos-segment's max_span"},
		),
		New: func(a *Args) (Dataset, error) {
			ds, err := openDigitStrings(a)
			if err != nil {
				return nil, err
			}
			cfg := transformers.DefaultHOS()
			cfg.Frame, cfg.Body, cfg.MaxSpan = a.Int("frame"), a.Int("body"), a.Int("max_span")
			hos, err := transformers.NewHOS(cfg)
			if err != nil {
				return nil, a.Errorf("", "%v", err)
			}
			junk := a.Float("junk")
			if junk < 0 || junk > 1 {
				return nil, a.Errorf("junk", "junk must be in [0, 1], got %g", junk)
			}
			return &digitPiecesData{strings: digitStringsData{ds: ds, fresh: a.Bool("fresh")}, hos: hos, junk: junk}, nil
		},
	}
}

type digitPiecesData struct {
	strings digitStringsData
	hos     *transformers.HOS
	junk    float64
}

func (d *digitPiecesData) Len() int       { return d.strings.Len() }
func (d *digitPiecesData) Inputs() []Type { return []Type{ImageType} }

// Example returns a segment of string i: a junk segment with probability
// junk (when the string has one), else a digit.
func (d *digitPiecesData) Example(i int, augment uint64) (Example, error) {
	// A string whose segments are all unsure (rare) is replaced by
	// another variant of it.
	var s *datasets.DigitString
	var seg *transformers.Segmentation
	var truth []int
	var chars, junk []int
	for try := uint64(0); len(chars)+len(junk) == 0; try++ {
		if try == 16 {
			return Example{}, fmt.Errorf("digit pieces: string %d has no usable segment", i)
		}
		variant := augment
		if try > 0 {
			variant = pieceHash(augment, try)
		}
		var err error
		if s, err = d.strings.string(i, variant); err != nil {
			return Example{}, err
		}
		if try > 0 && !d.strings.fresh {
			s = d.strings.ds.Variant(i, variant)
		}
		if seg, err = d.hos.Segment(transformers.Bitmap{Width: s.Width, Height: s.Height, Ink: s.Ink}); err != nil {
			return Example{}, err
		}
		truth = seg.Truth(s.Owner, s.Width, s.Height, len(s.Labels))
		for k, t := range truth {
			switch {
			case t >= 0:
				chars = append(chars, k)
			case t == transformers.TruthJunk:
				junk = append(junk, k)
			}
		}
	}
	h := pieceHash(uint64(i), augment)
	pick := chars
	if (float64(h>>11)*0x1p-53 < d.junk && len(junk) > 0) || len(chars) == 0 {
		pick = junk
	}
	k := pick[int((h&0xffffffff)%uint64(len(pick)))]
	f := d.hos.Config().Frame
	im := &Image{Width: f, Height: f, Ink: make([]float32, f*f), File: fmt.Sprintf("digit-string#%d/segment%d", i, k)}
	const bg, scale = recognizers.LeNetBackground, recognizers.LeNetInk - recognizers.LeNetBackground
	for p, v := range seg.Images.Data[k*f*f : (k+1)*f*f] {
		im.Ink[p] = (v - bg) / scale
	}
	target := JunkSymbol
	if t := truth[k]; t >= 0 {
		target = strconv.Itoa(s.Labels[t])
	}
	return Example{Inputs: []any{im}, Target: []string{target}}, nil
}

// pieceHash mixes an example's index and augment seed (SplitMix64).
func pieceHash(i, augment uint64) uint64 {
	z := i*0x9e3779b97f4a7c15 + augment + 0x632be59bd9b4e019
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func digitWindowsSource() *DataSource {
	return &DataSource{
		Name: "digit-windows",
		Doc:  "frame-wide windows of generated digit strings normalised as the sdnn node does (its default settings, or those given), with the neighbours' ink: centred on a digit (within ±stride/2 pixels, the digit as target) or far from every digit's centre (the junk symbol # as target); one image input, one target symbol",
		Params: append(digitStringParams(),
			ParamSpec{Name: "junk", Kind: Float, Default: 0.5, Doc: "fraction of junk examples"},
			ParamSpec{Name: "frame", Kind: Int, Default: 32, Doc: "the recognizer's input side"},
			ParamSpec{Name: "body", Kind: Int, Default: 24, Doc: "as sdnn's body"},
			ParamSpec{Name: "stride", Kind: Int, Default: 4, Doc: "the SDNN's stride: windows within stride/2 of a digit's centre are that digit"},
		),
		New: func(a *Args) (Dataset, error) {
			ds, err := openDigitStrings(a)
			if err != nil {
				return nil, err
			}
			f, body := a.Int("frame"), a.Int("body")
			if f < 8 || body < 4 || body > f {
				return nil, a.Errorf("body", "frame %d and body %d: want 8 <= frame, 4 <= body <= frame", f, body)
			}
			junk := a.Float("junk")
			if junk < 0 || junk > 1 {
				return nil, a.Errorf("junk", "junk must be in [0, 1], got %g", junk)
			}
			return &digitWindowsData{strings: digitStringsData{ds: ds, fresh: a.Bool("fresh")},
				norm:  transformers.NormalizeConfig{Height: f, Body: body, Pad: f / 2, Threshold: 0.3, MinSpeck: 4},
				junk:  junk,
				reach: max(1, a.Int("stride")/2)}, nil
		},
	}
}

type digitWindowsData struct {
	strings digitStringsData
	norm    transformers.NormalizeConfig
	junk    float64
	reach   int
}

func (d *digitWindowsData) Len() int       { return d.strings.Len() }
func (d *digitWindowsData) Inputs() []Type { return []Type{ImageType} }

// Example returns a window of string i: centred near a digit, or with
// probability junk at a column at least max(5, 0.4·width) pixels from
// every digit's centre.
func (d *digitWindowsData) Example(i int, augment uint64) (Example, error) {
	s, err := d.strings.string(i, augment)
	if err != nil {
		return Example{}, err
	}
	norm, tf, err := transformers.Normalize(transformers.Bitmap{Width: s.Width, Height: s.Height, Ink: s.Ink}, d.norm)
	if err != nil {
		return Example{}, err
	}
	// Digit centres and widths in the normalised image.
	centre := make([]float64, len(s.Labels))
	width := make([]float64, len(s.Labels))
	for k, b := range s.Boxes {
		centre[k] = (float64(b.X0+b.X1)/2-tf.SrcX)*tf.Scale + float64(tf.PadX)
		width[k] = float64(b.X1-b.X0) * tf.Scale
	}
	h := pieceHash(uint64(i), augment^0x77696e64)
	u := float64(h>>11) * 0x1p-53
	h = pieceHash(h, 1)
	target, x := "", 0
	if u < d.junk {
		// Columns far from every centre.
		var far []int
		for c := tf.PadX - d.norm.Height/4; c < norm.Width-tf.PadX+d.norm.Height/4; c++ {
			ok := true
			for k := range centre {
				if math.Abs(float64(c)+0.5-centre[k]) < math.Max(5, 0.4*width[k]) {
					ok = false
					break
				}
			}
			if ok {
				far = append(far, c)
			}
		}
		if len(far) > 0 {
			target, x = JunkSymbol, far[h%uint64(len(far))]
		}
	}
	if target == "" {
		k := int(h % uint64(len(centre)))
		off := int(pieceHash(h, 2)%uint64(2*d.reach+1)) - d.reach
		target, x = strconv.Itoa(s.Labels[k]), int(math.Floor(centre[k]))+off
	}
	f := d.norm.Height
	im := &Image{Width: f, Height: f, Ink: make([]float32, f*f), File: fmt.Sprintf("digit-string#%d@%d", i, x)}
	for y := range f {
		for c := range f {
			if sx := x - f/2 + c; sx >= 0 && sx < norm.Width {
				im.Ink[y*f+c] = norm.Ink[y*norm.Width+sx]
			}
		}
	}
	return Example{Inputs: []any{im}, Target: []string{target}}, nil
}
