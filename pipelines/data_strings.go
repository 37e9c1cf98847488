package pipelines

import (
	"fmt"
	"math"
	"strconv"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
	"github.com/gotn/gotn/transformers"
)

// JunkSymbol is the target of a segment that is not a character, in the
// digit-pieces data (grammars/digits-junk.syms gives it label 11).
const JunkSymbol = "#"

// MarkSymbol is the target of a segment that holds a mark rather than a
// character (punctuation, a rule), in the orand-pieces data
// (grammars/digits-marks.syms gives it label 12).
const MarkSymbol = "."

func stringDataSources() []*DataSource {
	return []*DataSource{digitStringsSource(), digitPiecesSource(), digitWindowsSource(), stringImagesSource(), orandSource(), orandPiecesSource()}
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
		{Name: "distort", Kind: Bool, Default: false, Doc: "distort every digit as MNIST training does (random affine and elastic distortions) before placing it"},
		{Name: "fresh", Kind: Bool, Default: true, Doc: "in training, draw a new string for every example of every epoch (infinite data) instead of repeating the count strings"},
		{Name: "dir", Kind: File, Doc: "directory of the MNIST IDX files (default: $GTN_DATA/mnist, then the GoMNIST module)"},
	}
}

// openDigitStrings builds the generator described by digitStringParams.
func openDigitStrings(a *Args) (*datasets.DigitStrings, error) {
	m, err := loadMNISTParams(a)
	if err != nil {
		return nil, err
	}
	cfg := datasets.DefaultDigitStrings()
	cfg.MinLen, cfg.MaxLen = a.Int("min_len"), a.Int("max_len")
	cfg.MinGap, cfg.MaxGap = a.Float("min_gap"), a.Float("max_gap")
	cfg.Noise = a.Float("noise")
	cfg.Distort = a.Bool("distort")
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
		Params: append(append(digitStringParams(),
			ParamSpec{Name: "junk", Kind: Float, Default: 0.5, Doc: "fraction of junk examples"}),
			pieceSourceParams()...),
		New: func(a *Args) (Dataset, error) {
			ds, err := openDigitStrings(a)
			if err != nil {
				return nil, err
			}
			hos, err := pieceSegmenter(a)
			if err != nil {
				return nil, err
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
			case t == transformers.TruthJunk || t == transformers.TruthMark:
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
	im := frameImage(seg.Images.Data[k*f*f:(k+1)*f*f], f, fmt.Sprintf("digit-string#%d/segment%d", i, k))
	target := JunkSymbol
	if t := truth[k]; t >= 0 {
		target = strconv.Itoa(s.Labels[t])
	}
	return Example{Inputs: []any{im}, Target: []string{target}}, nil
}

// frameImage turns a segment's f×f frame, at LeNet's levels (as the
// segmenters normalise it), into an image with ink in [0, 1].
func frameImage(frame []float32, f int, name string) *Image {
	im := &Image{Width: f, Height: f, Ink: make([]float32, f*f), File: name}
	const bg, scale = recognizers.LeNetBackground, recognizers.LeNetInk - recognizers.LeNetBackground
	for q, v := range frame {
		im.Ink[q] = (v - bg) / scale
	}
	return im
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

// stringImagesData serves labelled string images (datasets.StringImages).
type stringImagesData struct {
	images []*datasets.StringImage
	// distort, when set, draws a random affine distortion of the whole
	// image for every training example (its Draw; the translation is
	// ignored).
	distort *datasets.Distorter
}

// stringDistortion is the affine distortion of whole string images in
// training (distort: true): slant, rotation and aspect as handwriting
// varies, no translation (the reader normalises the ink's position).
var stringDistortion = datasets.Affine{Scale: 0.1, Squeeze: 0.15, Shear: 0.25, Rotate: 4}

// newStringDistorter returns the distorter of whole string images, or nil
// when distort is false.
func newStringDistorter(distort bool) *datasets.Distorter {
	if !distort {
		return nil
	}
	d, err := datasets.NewDistorter(1, 1, stringDistortion, datasets.Elastic{})
	if err != nil {
		panic(err) // stringDistortion is valid
	}
	return d
}

func (d *stringImagesData) Len() int       { return len(d.images) }
func (d *stringImagesData) Inputs() []Type { return []Type{ImageType} }

func (d *stringImagesData) Example(i int, augment uint64) (Example, error) {
	if i < 0 || i >= len(d.images) {
		return Example{}, fmt.Errorf("string images: example %d out of range [0,%d)", i, len(d.images))
	}
	im := d.images[i]
	target := make([]string, 0, len(im.Label))
	for _, r := range im.Label {
		target = append(target, string(r))
	}
	ink := im.Ink
	if augment != 0 && d.distort != nil {
		p := d.distort.Draw(augment)
		p.DX, p.DY = 0, 0
		ink = make([]float32, len(im.Ink))
		datasets.WarpAffine(ink, im.Ink, im.Width, im.Height, 0, p)
	}
	return Example{Inputs: []any{&Image{Width: im.Width, Height: im.Height, Ink: ink, File: im.File}}, Target: target}, nil
}

// openStringImages loads a directory of labelled string images and keeps
// the split asked for.
func openStringImages(a *Args, dir string) ([]*datasets.StringImage, error) {
	s, err := datasets.LoadStringImages(dir)
	if err != nil {
		return nil, a.Errorf("dir", "%v", err)
	}
	images := s.Images
	switch a.String("split") {
	case "train":
		images = s.Split(false)
	case "test":
		images = s.Split(true)
	}
	if n := a.Int("limit"); n > 0 && n < len(images) {
		images = images[:n]
	}
	if len(images) == 0 {
		return nil, a.Errorf("split", "no images in split %s of %s", a.String("split"), dir)
	}
	return images, nil
}

var splitParams = []ParamSpec{
	{Name: "split", Kind: String, Default: "all", Choices: []string{"train", "test", "all"}, Doc: "test is the held-out fifth (the FNV-1a hash of the file name is 0 modulo 5), train the other four fifths"},
	{Name: "limit", Kind: Int, Default: 0, Doc: "use only the first N images (0: all)"},
	{Name: "distort", Kind: Bool, Default: false, Doc: "in training, distort every example anew each epoch: whole images by a random slant, rotation and aspect (segments: the same, smaller, plus a shift)"},
}

func stringImagesSource() *DataSource {
	return &DataSource{
		Name:   "string-images",
		Doc:    "a directory of string images (PNG or JPEG) with labels.tsv (a header, then file<TAB>label lines), as datasets.WriteDigitStrings writes; one image input, the label's characters as target",
		Params: append([]ParamSpec{{Name: "dir", Kind: File, Required: true, Doc: "the directory"}}, splitParams...),
		New: func(a *Args) (Dataset, error) {
			images, err := openStringImages(a, a.Path("dir"))
			if err != nil {
				return nil, err
			}
			return &stringImagesData{images: images, distort: newStringDistorter(a.Bool("distort"))}, nil
		},
	}
}

func orandSource() *DataSource {
	return &DataSource{
		Name:   "orand-car-a",
		Doc:    "ORAND-CAR-A, 1,080 courtesy amounts of real bank checks with their digit strings (dir, default $GTN_DATA/orand-car-a); one image input, the digits as target",
		Params: append([]ParamSpec{{Name: "dir", Kind: File, Doc: "the directory (default: $GTN_DATA/orand-car-a)"}}, splitParams...),
		New: func(a *Args) (Dataset, error) {
			dir, err := datasets.ORANDDir(a.Path("dir"))
			if err != nil {
				return nil, a.Errorf("dir", "%v", err)
			}
			images, err := openStringImages(a, dir)
			if err != nil {
				return nil, err
			}
			return &stringImagesData{images: images, distort: newStringDistorter(a.Bool("distort"))}, nil
		},
	}
}

func orandPiecesSource() *DataSource {
	return &DataSource{
		Name: "orand-pieces",
		Doc:  "segments of the ORAND-CAR-A images that have digit boxes, cut by the heuristic over-segmenter (on cleaned images) and labelled from the boxes: a digit, a mark . (punctuation, rules: no digit ink) or the junk symbol # (pieces of digits, pairs); one image input, one target symbol. The boxes serve only this pre-training",
		Params: append([]ParamSpec{
			{Name: "dir", Kind: File, Doc: "the directory (default: $GTN_DATA/orand-car-a)"},
			{Name: "junk", Kind: Float, Default: 0.5, Doc: "fraction of junk examples"},
			{Name: "marks", Kind: Bool, Default: true, Doc: "segments with (almost) no digit ink (punctuation, rules, marks) are the mark symbol . (else junk)"},
			rulesParam,
		}, append(pieceSourceParams(), splitParams...)...),
		New: func(a *Args) (Dataset, error) {
			dir, err := datasets.ORANDDir(a.Path("dir"))
			if err != nil {
				return nil, a.Errorf("dir", "%v", err)
			}
			images, err := openStringImages(a, dir)
			if err != nil {
				return nil, err
			}
			hos, err := pieceSegmenter(a)
			if err != nil {
				return nil, err
			}
			d := &orandPiecesData{junk: a.Float("junk"), frame: hos.Config().Frame, marks: a.Bool("marks")}
			prep := preparation{clean: true, rules: a.Bool("rules")}
			if a.Bool("distort") {
				if d.distort, err = datasets.NewDistorter(d.frame, d.frame, pieceDistortion, datasets.Elastic{}); err != nil {
					return nil, a.Errorf("distort", "%v", err)
				}
			}
			// Segment every annotated image once: the examples are
			// (image, segment) pairs.
			if d.chars, d.junks, err = segmentORAND(hos, images, prep, d.marks); err != nil {
				return nil, err
			}
			if len(d.chars) == 0 {
				return nil, a.Errorf("dir", "no annotated images in %s", dir)
			}
			return d, nil
		},
	}
}

// segmentORAND cuts the annotated images (those with a box per character)
// as hos does, prepared as prep says, and labels the segments from the
// boxes: characters (and, with marks, segments without digit ink as the
// mark symbol) and junk.
func segmentORAND(hos *transformers.HOS, images []*datasets.StringImage, prep preparation, marks bool) (chars, junks []orandPiece, err error) {
	for _, im := range images {
		if len(im.Boxes) == 0 || len(im.Boxes) != len(im.Label) {
			continue
		}
		b := bitmapOf(&Image{Width: im.Width, Height: im.Height, Ink: im.Ink}, prep)
		seg, err := hos.Segment(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", im.File, err)
		}
		truth := seg.Truth(boxOwners(b, im.Boxes), im.Width, im.Height, len(im.Boxes))
		for k, t := range truth {
			switch {
			case t >= 0:
				chars = append(chars, orandPiece{seg.Images, k, im.Chars[t]})
			case t == transformers.TruthJunk:
				junks = append(junks, orandPiece{seg.Images, k, JunkSymbol[0]})
			case t == transformers.TruthMark && marks:
				chars = append(chars, orandPiece{seg.Images, k, MarkSymbol[0]})
			}
		}
	}
	return chars, junks, nil
}

// junkSample returns how many junk segments go with chars character
// segments for a fraction junk of junk examples (at most the junks there
// are).
func junkSample(chars, junks int, junk float64) int {
	if junks == 0 || junk >= 1 {
		return 0
	}
	return min(junks, int(float64(chars)*junk/(1-junk)))
}

// pickPiece returns example i of characters then a sample of junk: the
// character i, or a junk segment, a different one for each augment
// (augment 0: the first ones, in order); and its index in its list.
func pickPiece(chars, junks []orandPiece, i int, augment uint64) (orandPiece, int) {
	if i < len(chars) {
		return chars[i], i
	}
	j := i - len(chars)
	if augment != 0 {
		j = int(pieceHash(uint64(j), augment) % uint64(len(junks)))
	}
	return junks[j], j
}

// boxOwners gives each inked pixel (ink above 0.2) the index of the box
// that holds it (the box whose centre is nearest when several do), or -1.
func boxOwners(b transformers.Bitmap, boxes []datasets.Box) []int8 {
	owner := make([]int8, b.Width*b.Height)
	for p := range owner {
		owner[p] = -1
		if b.Ink[p] <= 0.2 {
			continue
		}
		x, y := p%b.Width, p/b.Width
		best := math.Inf(1)
		for k, bx := range boxes {
			if x < bx.X0 || x >= bx.X1 || y < bx.Y0 || y >= bx.Y1 {
				continue
			}
			if d := math.Abs(float64(2*x+1-bx.X0-bx.X1)) / 2; d < best {
				best, owner[p] = d, int8(k)
			}
		}
	}
	return owner
}

type orandPiece struct {
	images *gtn.Tensor
	k      int
	char   byte
}

type orandPiecesData struct {
	chars, junks []orandPiece
	junk         float64
	frame        int
	marks        bool
	distort      *datasets.Distorter // nil: none
}

// pieceDistortion is the affine distortion of segments in training
// (distort: true): a pixel of shift, slant, rotation and size.
var pieceDistortion = datasets.Affine{Translate: 1, Scale: 0.08, Squeeze: 0.1, Shear: 0.2, Rotate: 6}

// Len is the number of digit segments, and as many more as the junk
// fraction asks for.
func (d *orandPiecesData) Len() int {
	return len(d.chars) + junkSample(len(d.chars), len(d.junks), d.junk)
}

func (d *orandPiecesData) Inputs() []Type { return []Type{ImageType} }

// Example i < the number of digit segments is digit segment i; the others
// are junk segments, a different sample of them each epoch.
func (d *orandPiecesData) Example(i int, augment uint64) (Example, error) {
	if i < 0 || i >= d.Len() {
		return Example{}, fmt.Errorf("orand pieces: example %d out of range [0,%d)", i, d.Len())
	}
	p, _ := pickPiece(d.chars, d.junks, i, augment)
	f := d.frame
	im := frameImage(p.images.Data[p.k*f*f:(p.k+1)*f*f], f, fmt.Sprintf("orand-piece#%d", i))
	if augment != 0 && d.distort != nil {
		src := im.Ink
		im.Ink = make([]float32, f*f)
		d.distort.Distort(im.Ink, src, 0, augment)
	}
	return Example{Inputs: []any{im}, Target: []string{string(p.char)}}, nil
}
