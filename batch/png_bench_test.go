package batch

import "testing"

// BenchmarkPNGDigit decodes a 28×28 grey digit as MNIST's files are
// written (about 250 bytes of PNG).
func BenchmarkPNGDigit(b *testing.B) {
	g := digitImage(0, 28, 28)
	for i := range g.Pix {
		if i%28 > 8 && i%28 < 18 && i/28 > 4 && i/28 < 24 {
			g.Pix[i] = 250
		} else {
			g.Pix[i] = 0
		}
	}
	data := pngBytes(b, g)
	for b.Loop() {
		if _, ok := pngGray(data, DefaultMaxPixels); !ok {
			b.Fatal("not decoded")
		}
	}
}
