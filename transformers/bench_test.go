package transformers

import (
	"sync/atomic"
	"testing"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// benchMNIST returns MNIST's test digits, or skips without them.
func benchMNIST(b testing.TB) *datasets.MNIST {
	dir, err := datasets.MNISTDir("")
	if err != nil {
		b.Skip("MNIST not available: ", err)
	}
	m, err := datasets.LoadMNIST(dir, "test")
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchStrings returns n generated test strings of 5 digits, or skips.
func benchStrings(b testing.TB, n, minLen, maxLen int) []*datasets.DigitString {
	m := benchMNIST(b)
	cfg := datasets.DefaultDigitStrings()
	cfg.MinLen, cfg.MaxLen = minLen, maxLen
	ds, err := datasets.NewDigitStrings(m, n, 1, cfg)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]*datasets.DigitString, n)
	for i := range out {
		out[i] = ds.String(i)
	}
	return out
}

func BenchmarkHOS(b *testing.B) {
	strs := benchStrings(b, 100, 5, 5)
	h, _ := NewHOS(DefaultHOS())
	b.ResetTimer()
	for i := range b.N {
		s := strs[i%len(strs)]
		if _, err := h.Segment(Bitmap{Width: s.Width, Height: s.Height, Ink: s.Ink}); err != nil {
			b.Fatal(err)
		}
	}
}

// digitGrammar returns an acceptor of 1 to 8 digits (labels 1-10).
func digitGrammar(b testing.TB) *graphs.Graph {
	return lengthGrammar(b, 10, 8)
}

// benchRead measures a reader on five-digit test strings, on all cores
// (one string per goroutine at a time, as gtn batch runs): strings/s.
func benchRead(b *testing.B, read func(tp *gtn.Tape, s *datasets.DigitString) error) {
	strs := benchStrings(b, 200, 5, 5)
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		tp := gtn.NewTape(nil)
		for pb.Next() {
			tp.Reset()
			if err := read(tp, strs[next.Add(1)%int64(len(strs))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "strings/s")
}

// BenchmarkReadHOS measures the HOS reader (segmentation, recognition by
// lenet5-modern or lenet5-pair with 11 classes, composition with a grammar
// of 1-8 digits, Viterbi) on five-digit strings.
func BenchmarkReadHOS(b *testing.B) {
	for _, arch := range []string{"lenet5-modern", "lenet5-pair"} {
		b.Run(arch, func(b *testing.B) { benchReadHOS(b, arch) })
	}
}

func benchReadHOS(b *testing.B, arch string) {
	h, _ := NewHOS(DefaultHOS())
	net, err := NewRecognizer(arch, 11, 1)
	if err != nil {
		b.Fatal(err)
	}
	grammar := digitGrammar(b)
	benchRead(b, func(tp *gtn.Tape, s *datasets.DigitString) error {
		seg, err := h.Segment(Bitmap{Width: s.Width, Height: s.Height, Ink: s.Ink})
		if err != nil {
			return err
		}
		rg, err := Recognize(tp, net, seg)
		if err != nil {
			return err
		}
		interp, err := tp.Compose(rg, tp.Graph(grammar))
		if err != nil {
			return err
		}
		_, err = graphs.Viterbi(interp.G)
		return err
	})
}

// BenchmarkReadSDNN measures the SDNN reader (lenet5-modern replicated
// over the string, character model, grammar of 1-8 digits, Viterbi) on
// five-digit strings.
func BenchmarkReadSDNN(b *testing.B) {
	net, err := NewRecognizer("lenet5-modern", 11, 1)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSDNN(net, NormalizeConfig{Height: 32, Body: 24, Pad: 16, Threshold: 0.3, MinSpeck: 4})
	if err != nil {
		b.Fatal(err)
	}
	cm, _ := CharacterModel(10)
	grammar := digitGrammar(b)
	benchRead(b, func(tp *gtn.Tape, str *datasets.DigitString) error {
		e, err := s.Forward(tp, Bitmap{Width: str.Width, Height: str.Height, Ink: str.Ink})
		if err != nil {
			return err
		}
		pg, err := PositionGraph(tp, e)
		if err != nil {
			return err
		}
		det, err := tp.Compose(pg, tp.Graph(cm))
		if err != nil {
			return err
		}
		interp, err := tp.Compose(det, tp.Graph(grammar))
		if err != nil {
			return err
		}
		_, err = graphs.Viterbi(interp.G)
		return err
	})
}

// BenchmarkPrepareField measures the preparation of a generated amount
// field of 200 dpi before segmentation: Clean, then RemoveRules.
func BenchmarkPrepareField(b *testing.B) {
	m := benchMNIST(b)
	cfg := datasets.DefaultChecks()
	cfg.Style, cfg.FieldOnly = datasets.CheckMixed, true
	fields, err := datasets.NewChecks(m, 20, 3, cfg)
	if err != nil {
		b.Fatal(err)
	}
	bms := make([]Bitmap, 20)
	for i := range bms {
		g := fields.Check(i).Image
		bm := Bitmap{Width: g.Rect.Dx(), Height: g.Rect.Dy(), Ink: make([]float32, g.Rect.Dx()*g.Rect.Dy())}
		for y := range bm.Height {
			for x, v := range g.Pix[y*g.Stride : y*g.Stride+bm.Width] {
				bm.Ink[y*bm.Width+x] = 1 - float32(v)/255
			}
		}
		bms[i] = bm
	}
	for _, stage := range []string{"Clean", "Clean+RemoveRules"} {
		b.Run(stage, func(b *testing.B) {
			for i := range b.N {
				bm := bms[i%len(bms)]
				c := Clean(bm, StringCleanWindow(bm.Height))
				if stage == "Clean+RemoveRules" {
					RemoveRules(c, 0.3)
				}
			}
		})
	}
}
