package transformers

import (
	"testing"

	"github.com/gotn/gotn/datasets"
)

// benchStrings returns n generated test strings of 5 digits, or skips.
func benchStrings(b testing.TB, n, minLen, maxLen int) []*datasets.DigitString {
	dir, err := datasets.MNISTDir("")
	if err != nil {
		b.Skip("MNIST not available: ", err)
	}
	m, err := datasets.LoadMNIST(dir, "test")
	if err != nil {
		b.Fatal(err)
	}
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
