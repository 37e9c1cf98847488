package datasets

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

// testDigits returns a small fake MNIST split: digit i is a vertical bar
// whose height encodes nothing but whose label is i mod 10.
func testDigits(n int) *MNIST {
	m := &MNIST{Rows: 28, Cols: 28, Images: make([]byte, n*784), Labels: make([]uint8, n)}
	for i := range n {
		m.Labels[i] = uint8(i % 10)
		img := m.Image(i)
		for y := 4; y < 24; y++ {
			for x := 10 + i%5; x < 14+i%5; x++ {
				img[y*28+x] = 255
			}
		}
	}
	return m
}

func TestDigitStringsDeterministic(t *testing.T) {
	d, err := NewDigitStrings(testDigits(50), 20, 7, DefaultDigitStrings())
	if err != nil {
		t.Fatal(err)
	}
	e, _ := NewDigitStrings(testDigits(50), 20, 7, DefaultDigitStrings())
	f, _ := NewDigitStrings(testDigits(50), 20, 8, DefaultDigitStrings())
	same := 0
	for i := range 20 {
		a, b, c := d.String(i), e.String(i), f.String(i)
		if a.Text() != b.Text() || a.Width != b.Width || len(a.Ink) != len(b.Ink) {
			t.Fatalf("string %d differs between two generators with the same seed", i)
		}
		for k := range a.Ink {
			if a.Ink[k] != b.Ink[k] {
				t.Fatalf("string %d: pixel %d differs between two generators with the same seed", i, k)
			}
		}
		if a.Text() == c.Text() && a.Width == c.Width {
			same++
		}
		if v := d.Variant(i, 0); v.Text() != a.Text() {
			t.Errorf("Variant(%d, 0) is not String(%d)", i, i)
		}
	}
	if same > 3 {
		t.Errorf("%d of 20 strings are the same with another seed", same)
	}
}

// TestDigitStringsGroundTruth checks lengths, gaps, labels and owners.
func TestDigitStringsGroundTruth(t *testing.T) {
	src := testDigits(100)
	cfg := DefaultDigitStrings()
	cfg.MinLen, cfg.MaxLen = 3, 6
	cfg.Noise = 0
	d, err := NewDigitStrings(src, 300, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	lengths := map[int]int{}
	minGap, maxGap := math.Inf(1), math.Inf(-1)
	for i := range d.Len() {
		s := d.String(i)
		n := len(s.Labels)
		lengths[n]++
		if n < 3 || n > 6 || len(s.Boxes) != n {
			t.Fatalf("string %d: %d labels, %d boxes", i, n, len(s.Boxes))
		}
		for k := 1; k < n; k++ {
			g := float64(s.Boxes[k].X0 - s.Boxes[k-1].X1)
			minGap, maxGap = math.Min(minGap, g), math.Max(maxGap, g)
		}
		// Every inked pixel has an owner whose box holds it.
		for p, v := range s.Ink {
			if v <= 0.2 {
				continue
			}
			o := int(s.Owner[p])
			if o < 0 || o >= n {
				t.Fatalf("string %d: pixel %d has ink %v but owner %d", i, p, v, o)
			}
			b := s.Boxes[o]
			x, y := p%s.Width, p/s.Width
			if x < b.X0-1 || x > b.X1 || y < b.Y0-1 || y > b.Y1 {
				t.Fatalf("string %d: pixel (%d,%d) of digit %d outside its box %+v", i, x, y, o, b)
			}
		}
	}
	for n := 3; n <= 6; n++ {
		if lengths[n] < 40 {
			t.Errorf("only %d strings of length %d in 300", lengths[n], n)
		}
	}
	// Gaps span overlapping to wide (the ink boxes are within a pixel of
	// the drawn digits, and strokes are thickened or thinned).
	if minGap > -2 || maxGap < 6 {
		t.Errorf("gaps between ink boxes range %g..%g, want about -4..8", minGap, maxGap)
	}
}

// TestDigitStringsSplits: strings use only the digits of their source.
func TestDigitStringsSplits(t *testing.T) {
	src := testDigits(10)
	for i := range src.Labels {
		src.Labels[i] = 7
	}
	d, err := NewDigitStrings(src, 50, 3, DefaultDigitStrings())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		for _, l := range d.String(i).Labels {
			if l != 7 {
				t.Fatalf("string %d uses digit %d, not in its source", i, l)
			}
		}
	}
}

func TestDigitStringsConfigErrors(t *testing.T) {
	for _, c := range []func(*DigitStringConfig){
		func(c *DigitStringConfig) { c.MinLen = 0 },
		func(c *DigitStringConfig) { c.MaxLen = c.MinLen - 1 },
		func(c *DigitStringConfig) { c.MaxGap = c.MinGap - 1 },
		func(c *DigitStringConfig) { c.MinScale = 0 },
		func(c *DigitStringConfig) { c.Noise = -1 },
	} {
		cfg := DefaultDigitStrings()
		c(&cfg)
		if _, err := NewDigitStrings(testDigits(5), 1, 1, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

// TestWriteDigitStrings writes strings as PNG files with a labels file and
// reads them back with LoadStringImages.
func TestWriteDigitStrings(t *testing.T) {
	d, err := NewDigitStrings(testDigits(30), 5, 2, DefaultDigitStrings())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteDigitStrings(dir, d, 1, 4); err != nil {
		t.Fatal(err)
	}
	s, err := LoadStringImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Images) != 3 {
		t.Fatalf("%d images read back, want 3", len(s.Images))
	}
	for k, im := range s.Images {
		want := d.String(k + 1)
		if im.File != fmt.Sprintf("%06d.png", k+1) || im.Label != want.Text() {
			t.Errorf("image %d: %s %q, want %06d.png %q", k, im.File, im.Label, k+1, want.Text())
		}
		if im.Width != want.Width || im.Height != want.Height {
			t.Fatalf("image %d: %d×%d, want %d×%d", k, im.Width, im.Height, want.Width, want.Height)
		}
		for p, v := range want.Ink {
			if math.Abs(float64(im.Ink[p]-v)) > 1.0/255+1e-6 {
				t.Fatalf("image %d pixel %d: ink %v read back, %v written", k, p, im.Ink[p], v)
			}
		}
	}
	if err := WriteDigitStrings(filepath.Join(dir, "x"), d, 4, 9); err == nil {
		t.Error("a range beyond the strings was accepted")
	}
}

func BenchmarkDigitString(b *testing.B) {
	d, err := NewDigitStrings(testDigits(100), 1000, 1, DefaultDigitStrings())
	if err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		d.String(i % 1000)
	}
}
