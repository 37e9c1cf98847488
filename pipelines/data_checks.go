package pipelines

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/transformers"
)

// checkDataSources are the data sources of the check reader: generated
// checks and the isolated characters of their amounts.
func checkDataSources() []*DataSource {
	return []*DataSource{checksSource(), checkPiecesSource()}
}

// checksParams are the parameters of generated checks.
func checksParams(field bool) []ParamSpec {
	d := datasets.DefaultChecks()
	return []ParamSpec{
		{Name: "split", Kind: String, Default: "train", Choices: []string{"train", "test"}, Doc: "which MNIST digits write the amounts: training checks use training digits only, test checks test digits only"},
		{Name: "count", Kind: Int, Default: 10000, Doc: "number of checks"},
		{Name: "seed", Kind: Int, Default: 1, Doc: "seed: check i is a function of (seed, i)"},
		{Name: "style", Kind: String, Default: datasets.CheckMixed, Choices: []string{datasets.CheckUS, datasets.CheckLatin, datasets.CheckMixed}, Doc: "us: $1,234.56, $75 50/100, $1,000.--; latin: 1.234.-, 15.500=; mixed: half of each"},
		{Name: "field", Kind: Bool, Default: field, Doc: "only the amount field, cropped with a random margin (else the full check)"},
		{Name: "dpi", Kind: Int, Default: d.MinDPI, Doc: "scanning resolution, dots per inch"},
		{Name: "max_dpi", Kind: Int, Default: 0, Doc: "if above dpi, each check draws its resolution in [dpi, max_dpi]"},
		{Name: "skew", Kind: Float, Default: d.MaxSkew, Doc: "largest rotation of the scan, degrees"},
		{Name: "noise", Kind: Float, Default: d.Noise, Doc: "largest standard deviation of the scanner noise (grey levels in [0, 1])"},
		{Name: "background", Kind: Float, Default: d.Background, Doc: "probability of a security background pattern"},
		{Name: "margin", Kind: Float, Default: d.FieldMargin, Doc: "largest margin around a field crop, in field heights"},
		{Name: "fonts", Kind: Float, Default: d.FontShare, Doc: "share of amounts written with a handwriting font (the others: MNIST digits and drawn symbols); 0 without the fonts"},
		{Name: "font_files", Kind: Strings, Doc: "handwriting fonts (default: fonts-dkg-handwriting and fonts-kristi under /usr/share/fonts/truetype)"},
		{Name: "fresh", Kind: Bool, Default: true, Doc: "in training, draw a new check for every example of every epoch (infinite data) instead of repeating the count checks"},
		{Name: "dir", Kind: File, Doc: "directory of the MNIST IDX files (default: $GTN_DATA/mnist, then the GoMNIST module)"},
	}
}

// openChecks builds the generator described by checksParams.
func openChecks(a *Args) (*datasets.Checks, error) {
	m, err := loadMNISTParams(a)
	if err != nil {
		return nil, err
	}
	cfg := datasets.DefaultChecks()
	cfg.Style = a.String("style")
	cfg.FieldOnly = a.Bool("field")
	cfg.MinDPI = a.Int("dpi")
	cfg.MaxDPI = max(cfg.MinDPI, a.Int("max_dpi"))
	cfg.MaxSkew, cfg.Noise, cfg.Background = a.Float("skew"), a.Float("noise"), a.Float("background")
	cfg.FieldMargin, cfg.FontShare = a.Float("margin"), a.Float("fonts")
	if a.Has("font_files") {
		cfg.Fonts = nil
		for _, f := range a.Strings("font_files") {
			if !filepath.IsAbs(f) {
				f = filepath.Join(a.dir, f)
			}
			cfg.Fonts = append(cfg.Fonts, f)
		}
	}
	if a.Int("count") < 1 {
		return nil, a.Errorf("count", "count must be at least 1")
	}
	c, err := datasets.NewChecks(m, a.Int("count"), uint64(a.Int("seed")), cfg)
	if err != nil {
		return nil, a.Errorf("", "%v", err)
	}
	return c, nil
}

// checkImage wraps a check's scan as a pipeline image (ink = 1 −
// luminance).
func checkImage(ck *datasets.Check, name string) *Image {
	g := ck.Image
	w, h := g.Rect.Dx(), g.Rect.Dy()
	im := &Image{Width: w, Height: h, Ink: make([]float32, w*h), File: name}
	for y := range h {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for x, v := range row {
			im.Ink[y*w+x] = 1 - float32(v)/255
		}
	}
	return im
}

// amountTarget spells a written amount as the symbols of amount.syms:
// its characters, spaces left out; digits only when digits is set.
func amountTarget(text string, digits bool) []string {
	if digits {
		// The denominator of "50/100" is not part of the amount's digits.
		text = datasets.AmountDigits(text)
	}
	t := make([]string, 0, len(text))
	for _, r := range text {
		if r != ' ' {
			t = append(t, string(r))
		}
	}
	return t
}

func checksSource() *DataSource {
	return &DataSource{
		Name: "checks",
		Doc:  "generated bank checks (datasets.Checks): full US or Latin checks, or their amount fields, the amount written with MNIST digits and drawn symbols or with handwriting fonts; one image input, the amount as written as target (the symbols of grammars/amount.syms: $1,234.56 gives $ 1 , 2 3 4 . 5 6; spaces are left out), or its digits only",
		Params: append(checksParams(false),
			ParamSpec{Name: "target", Kind: String, Default: "text", Choices: []string{"text", "digits"}, Doc: "text: every written character; digits: the amount's digits only (as ORAND-CAR-A labels)"}),
		New: func(a *Args) (Dataset, error) {
			c, err := openChecks(a)
			if err != nil {
				return nil, err
			}
			return &checksData{checks: c, fresh: a.Bool("fresh"), digits: a.String("target") == "digits"}, nil
		},
	}
}

type checksData struct {
	checks *datasets.Checks
	fresh  bool
	digits bool
}

func (d *checksData) Len() int       { return d.checks.Len() }
func (d *checksData) Inputs() []Type { return []Type{ImageType} }

func (d *checksData) check(i int, augment uint64) (*datasets.Check, error) {
	if i < 0 || i >= d.checks.Len() {
		return nil, fmt.Errorf("checks: example %d out of range [0,%d)", i, d.checks.Len())
	}
	if !d.fresh {
		augment = 0
	}
	return d.checks.Variant(i, augment), nil
}

func (d *checksData) Example(i int, augment uint64) (Example, error) {
	ck, err := d.check(i, augment)
	if err != nil {
		return Example{}, err
	}
	return Example{Inputs: []any{checkImage(ck, fmt.Sprintf("check#%d", i))}, Target: amountTarget(ck.Text, d.digits)}, nil
}

func checkPiecesSource() *DataSource {
	params := checksParams(true)
	for k := range params {
		if params[k].Name == "margin" {
			params[k].Default = 0.25
		}
	}
	return &DataSource{
		Name: "check-pieces",
		Doc:  "isolated characters of amounts for pre-training the check reader's recognizer (17 classes, grammars/amount.syms): segments of generated amount fields cut by the heuristic over-segmenter (on cleaned images) and labelled from the generator's ink owners, a digit or a symbol $ , . - / = (MNIST digits, drawn and font symbols) or the junk symbol # (pieces and pairs of characters, rules, specks, background); with orand, also the segments of the ORAND-CAR-A images of the split (the training four fifths, or the held-out fifth for test) labelled from their digit boxes, when $GTN_DATA holds them. One image input (the segment in the recognizer's frame), one target symbol",
		Params: append(append(params,
			ParamSpec{Name: "junk", Kind: Float, Default: 0.4, Doc: "fraction of junk examples"},
			ParamSpec{Name: "symbols", Kind: Float, Default: 0.4, Doc: "fraction of the character examples that are symbols ($ , . - / =) when the field has one"},
			ParamSpec{Name: "orand", Kind: Bool, Default: true, Doc: "add the ORAND-CAR-A digit segments of the split (none when ORAND-CAR-A is not found)"},
			ParamSpec{Name: "orand_dir", Kind: File, Doc: "ORAND-CAR-A's directory (default: $GTN_DATA/orand-car-a)"},
			ParamSpec{Name: "clean", Kind: Bool, Default: true, Doc: cleanParam.Doc},
			rulesParam,
		), pieceSourceParams()...),
		New: func(a *Args) (Dataset, error) {
			c, err := openChecks(a)
			if err != nil {
				return nil, err
			}
			hos, err := pieceSegmenter(a)
			if err != nil {
				return nil, err
			}
			d := &checkPiecesData{checks: checksData{checks: c, fresh: a.Bool("fresh")}, hos: hos, frame: hos.Config().Frame,
				prep: preparationOf(a), junk: a.Float("junk"), symbols: a.Float("symbols")}
			if d.junk < 0 || d.junk >= 1 {
				return nil, a.Errorf("junk", "junk must be in [0, 1), got %g", d.junk)
			}
			if d.symbols < 0 || d.symbols > 1 {
				return nil, a.Errorf("symbols", "symbols must be in [0, 1], got %g", d.symbols)
			}
			if a.Bool("orand") {
				if err := d.addORAND(a); err != nil {
					return nil, err
				}
			}
			return d, nil
		},
	}
}

type checkPiecesData struct {
	checks         checksData
	hos            *transformers.HOS
	frame          int
	prep           preparation
	junk, symbols  float64
	orandChars     []orandPiece
	orandJunk      []orandPiece
	orandJunkCount int
}

// addORAND segments the annotated ORAND-CAR-A images of the split, if
// ORAND-CAR-A is found: digits and junk; marks (segments without digit
// ink) are left out, their symbols being unknown.
func (d *checkPiecesData) addORAND(a *Args) error {
	dir, err := datasets.ORANDDir(a.Path("orand_dir"))
	if err != nil {
		if a.Has("orand_dir") {
			return a.Errorf("orand_dir", "%v", err)
		}
		return nil // ORAND-CAR-A is optional
	}
	s, err := datasets.LoadStringImages(dir)
	if err != nil {
		return a.Errorf("orand_dir", "%v", err)
	}
	prep := preparation{clean: true, rules: d.prep.rules}
	if d.orandChars, d.orandJunk, err = segmentORAND(d.hos, s.Split(a.String("split") == "test"), prep, false); err != nil {
		return fmt.Errorf("check-pieces: %w", err)
	}
	d.orandJunkCount = junkSample(len(d.orandChars), len(d.orandJunk), d.junk)
	return nil
}

// ORANDLen returns the number of ORAND-CAR-A examples (after the
// generated ones).
func (d *checkPiecesData) ORANDLen() int { return len(d.orandChars) + d.orandJunkCount }

func (d *checkPiecesData) Len() int       { return d.checks.Len() + d.ORANDLen() }
func (d *checkPiecesData) Inputs() []Type { return []Type{ImageType} }

// Example i < count is a segment of generated field i: junk with
// probability junk, else a character (a symbol with probability symbols
// when the field has one). The others are ORAND-CAR-A segments, digits
// first, then junk (a different sample of it each epoch).
func (d *checkPiecesData) Example(i int, augment uint64) (Example, error) {
	n := d.checks.Len()
	if i < 0 || i >= d.Len() {
		return Example{}, fmt.Errorf("check pieces: example %d out of range [0,%d)", i, d.Len())
	}
	if i >= n {
		p, j := pickPiece(d.orandChars, d.orandJunk, i-n, augment)
		return d.example(p.images.Data[p.k*d.frame*d.frame:(p.k+1)*d.frame*d.frame], string(p.char), fmt.Sprintf("orand-piece#%d", j)), nil
	}
	for try := uint64(0); try < 16; try++ {
		var variant uint64 // 0: check i itself
		switch {
		case try > 0:
			variant = pieceHash(augment, try)
		case d.checks.fresh:
			variant = augment
		}
		ck := d.checks.checks.Variant(i, variant)
		im := checkImage(ck, "")
		b := bitmapOf(im, d.prep)
		seg, err := d.hos.Segment(b)
		if err != nil {
			continue // a field the segmenter cannot cut (rare): another one
		}
		truth := seg.Truth(ck.Owner, b.Width, b.Height, len(ck.Chars))
		var digits, symbols, junk []int
		for k, t := range truth {
			switch {
			case t >= 0 && isDigit(ck.Chars[t].Symbol):
				digits = append(digits, k)
			case t >= 0:
				symbols = append(symbols, k)
			case t == transformers.TruthJunk || t == transformers.TruthMark:
				junk = append(junk, k)
			}
		}
		if len(digits)+len(symbols)+len(junk) == 0 {
			continue
		}
		h := pieceHash(uint64(i), augment^0x636b7063)
		u, v := float64(h>>11)*0x1p-53, float64(pieceHash(h, 1)>>11)*0x1p-53
		pick := digits
		switch {
		case u < d.junk && len(junk) > 0 || len(digits)+len(symbols) == 0:
			pick = junk
		case v < d.symbols && len(symbols) > 0 || len(digits) == 0:
			// A symbol class drawn uniformly among the field's, so that
			// the rare ones (, / =) are not drowned by "$" and ".".
			var classes []string
			for _, k := range symbols {
				if s := ck.Chars[truth[k]].Symbol; !slices.Contains(classes, s) {
					classes = append(classes, s)
				}
			}
			class := classes[pieceHash(h, 3)%uint64(len(classes))]
			pick = slices.DeleteFunc(symbols, func(k int) bool { return ck.Chars[truth[k]].Symbol != class })
		}
		k := pick[pieceHash(h, 2)%uint64(len(pick))]
		target := JunkSymbol
		if t := truth[k]; t >= 0 {
			target = ck.Chars[t].Symbol
		}
		f := d.frame
		return d.example(seg.Images.Data[k*f*f:(k+1)*f*f], target, fmt.Sprintf("check#%d/segment%d", i, k)), nil
	}
	return Example{}, fmt.Errorf("check pieces: field %d has no usable segment in 16 tries", i)
}

func isDigit(s string) bool { return len(s) == 1 && s[0] >= '0' && s[0] <= '9' }

// example wraps a segment's frame (LeNet levels) as an image in [0, 1].
func (d *checkPiecesData) example(frame []float32, target, name string) Example {
	return Example{Inputs: []any{frameImage(frame, d.frame, name)}, Target: []string{target}}
}
