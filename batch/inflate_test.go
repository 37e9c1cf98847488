package batch

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/rand/v2"
	"testing"
)

// zlibSamples compresses data of several kinds (random, repetitive, text,
// empty) at every level, as stored, fixed-code and dynamic-code blocks.
func zlibSamples(t testing.TB) (plain, packed [][]byte) {
	rng := rand.New(rand.NewPCG(7, 8))
	var inputs [][]byte
	for _, n := range []int{0, 1, 2, 10, 100, 784, 4000, 70000} {
		random := make([]byte, n)
		for i := range random {
			random[i] = uint8(rng.Uint32())
		}
		runs := make([]byte, n)
		for i := range runs {
			runs[i] = uint8(i / 37 % 3 * 80)
		}
		skewed := make([]byte, n)
		for i := range skewed {
			skewed[i] = uint8(rng.ExpFloat64() * 3)
		}
		inputs = append(inputs, random, runs, skewed)
	}
	for _, in := range inputs {
		for _, level := range []int{zlib.HuffmanOnly, zlib.NoCompression, zlib.BestSpeed, 3, zlib.DefaultCompression, zlib.BestCompression} {
			var buf bytes.Buffer
			w, err := zlib.NewWriterLevel(&buf, level)
			if err != nil {
				t.Fatal(err)
			}
			// Two writes and a flush: streams of several blocks.
			w.Write(in[:len(in)/2])
			w.Flush()
			w.Write(in[len(in)/2:])
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			plain = append(plain, in)
			packed = append(packed, buf.Bytes())
		}
	}
	return plain, packed
}

// zlibRead decodes z with compress/zlib as pngStream reads it: exactly n
// bytes, then the end of the stream and of the data.
func zlibRead(z []byte, n int) ([]byte, bool) {
	r := bytes.NewReader(z)
	zr, err := zlib.NewReader(r)
	if err != nil {
		return nil, false
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, false
	}
	var one [1]byte
	if k, err := zr.Read(one[:]); k != 0 || err != io.EOF || r.Len() != 0 {
		return nil, false
	}
	return out, true
}

// TestInflate checks the inflater against compress/zlib on streams of
// every kind of block, and that it wants exactly the size of the data.
func TestInflate(t *testing.T) {
	plain, packed := zlibSamples(t)
	var f inflater
	for i, z := range packed {
		want := plain[i]
		got := make([]byte, len(want))
		if !f.zlib(got, z) {
			t.Errorf("sample %d (%d bytes): not decoded", i, len(want))
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("sample %d (%d bytes): wrong bytes", i, len(want))
		}
		if f.zlib(make([]byte, len(want)+1), z) {
			t.Errorf("sample %d: decoded into a buffer one byte too large", i)
		}
		if len(want) > 0 && f.zlib(make([]byte, len(want)-1), z) {
			t.Errorf("sample %d: decoded into a buffer one byte too small", i)
		}
		if f.zlib(got, append(bytes.Clone(z), 0)) {
			t.Errorf("sample %d: decoded with a byte after the checksum", i)
		}
	}
}

// TestInflateCorrupt damages streams at random: wherever the inflater
// still decodes one, compress/zlib must decode it to the same bytes (the
// inflater is no less strict).
func TestInflateCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	plain, packed := zlibSamples(t)
	var f inflater
	decoded := 0
	for range 20000 {
		k := rng.IntN(len(packed))
		z := bytes.Clone(packed[k])
		if len(z) == 0 {
			continue
		}
		switch rng.IntN(3) {
		case 0: // flip bits
			for range 1 + rng.IntN(3) {
				z[rng.IntN(len(z))] ^= 1 << rng.IntN(8)
			}
		case 1: // cut
			z = z[:rng.IntN(len(z))]
		default: // a random byte
			z[rng.IntN(len(z))] = uint8(rng.Uint32())
		}
		n := len(plain[k]) + rng.IntN(3) - 1
		if n < 0 {
			continue
		}
		got := make([]byte, n)
		if !f.zlib(got, z) {
			continue
		}
		decoded++
		want, ok := zlibRead(z, n)
		if !ok {
			t.Fatalf("sample %d damaged: the inflater decodes it, compress/zlib does not", k)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("sample %d damaged: the inflater and compress/zlib differ", k)
		}
	}
	t.Logf("%d damaged streams still decoded (the same by both)", decoded)
}

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

// FuzzInflate checks that the inflater never panics and decodes nothing
// that compress/zlib does not decode to the same bytes.
func FuzzInflate(f *testing.F) {
	plain, packed := zlibSamples(f)
	for i, z := range packed {
		if len(z) < 2000 {
			f.Add(z, uint16(len(plain[i])))
		}
	}
	f.Fuzz(func(t *testing.T, z []byte, n uint16) {
		var inf inflater
		got := make([]byte, n)
		if !inf.zlib(got, z) {
			return
		}
		want, ok := zlibRead(z, int(n))
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("the inflater decodes %x (%d bytes), compress/zlib does not, or differently", z, n)
		}
	})
}
