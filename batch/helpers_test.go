package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

// digitImage returns a small grey image whose top-left pixel is v, the
// value that testProc reads back.
func digitImage(v uint8, w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7)
	}
	g.Pix[0] = v
	return g
}

// pngBytes encodes img as PNG.
func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writePNGs writes n PNG files img0000.png… to dir, the top-left pixel of
// file i being i%256, and returns their paths in order.
func writePNGs(t testing.TB, dir string, n int) []string {
	t.Helper()
	paths := make([]string, n)
	for i := range paths {
		paths[i] = writeFile(t, dir, fmt.Sprintf("img%04d.png", i), pngBytes(t, digitImage(uint8(i), 8, 6)))
	}
	return paths
}

// testProc is a processor whose output is the top-left pixel of the page
// and the page's size, with an energy.
func testProc(_ context.Context, p *Page) (Result, error) {
	e := float64(p.Gray.Pix[0]) / 2
	return Result{Output: fmt.Sprintf("%d %dx%d", p.Gray.Pix[0], p.Gray.Rect.Dx(), p.Gray.Rect.Dy()), Energy: new(e)}, nil
}

// readRecords reads a JSON Lines output, failing the test on any line
// that is not a whole record.
func readRecords(t testing.TB, path string) []Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s: last line not whole: %q", path, data[max(0, len(data)-80):])
	}
	return parseRecords(t, path, data)
}

// parseRecords parses the whole lines of a JSON Lines output, failing the
// test on any line that is not a record.
func parseRecords(t testing.TB, path string, data []byte) []Record {
	t.Helper()
	var recs []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var r Record
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s:%d: %v: %q", path, n, err, sc.Text())
		}
		recs = append(recs, r)
	}
	return recs
}

// countKeys counts the records of each file and page, failing the test
// on a doubled one.
func countKeys(t testing.TB, recs []Record) map[Key]bool {
	t.Helper()
	seen := map[Key]bool{}
	for _, r := range recs {
		k := Key{File: r.File, Page: r.Page}
		if seen[k] {
			t.Errorf("record doubled: %s page %d", r.File, r.Page)
		}
		seen[k] = true
	}
	return seen
}

// joinTIFF joins single-page TIFF files into one multi-page file, moving
// every offset of the later files and chaining their image directories.
func joinTIFF(t testing.TB, files ...[]byte) []byte {
	t.Helper()
	le := binary.LittleEndian
	out := []byte("II*\x00\x00\x00\x00\x00")
	link := 4 // where the offset of the next IFD goes
	for _, f := range files {
		if string(f[:4]) != "II*\x00" {
			t.Fatal("joinTIFF: little-endian TIFF files only")
		}
		shift := uint32(len(out)) - 8
		body := append([]byte(nil), f[8:]...)
		at := func(off uint32) []byte { return body[off-8:] }
		ifd := le.Uint32(f[4:])
		le.PutUint32(out[link:], ifd+shift)
		n := uint32(le.Uint16(at(ifd)))
		sizes := map[uint16]uint32{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
		for e := range n {
			entry := at(ifd + 2 + 12*e)
			tag, typ, count := le.Uint16(entry), le.Uint16(entry[2:]), le.Uint32(entry[4:])
			size := sizes[typ] * count
			if size > 4 { // the value is elsewhere: move its offset
				le.PutUint32(entry[8:], le.Uint32(entry[8:])+shift)
			}
			if tag == 273 || tag == 324 { // strip or tile offsets: move them
				if typ != 4 {
					t.Fatalf("joinTIFF: offsets of type %d", typ)
				}
				vals := entry[8:]
				if size > 4 {
					vals = at(le.Uint32(entry[8:]) - shift)
				}
				for i := range count {
					le.PutUint32(vals[4*i:], le.Uint32(vals[4*i:])+shift)
				}
			}
		}
		link = len(out) + int(ifd-8+2+12*n)
		out = append(out, body...)
	}
	return out
}

// tiffBytes encodes img as a TIFF file.
func tiffBytes(t testing.TB, img image.Image, c tiff.CompressionType) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, img, &tiff.Options{Compression: c}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rgbaDigit is digitImage in colour: grey pixels in an RGBA image, so
// that their luminance is their level.
func rgbaDigit(v uint8, w, h int) *image.RGBA {
	g := digitImage(v, w, h)
	img := image.NewRGBA(g.Rect)
	for y := range h {
		for x := range w {
			img.Set(x, y, g.At(x, y))
		}
	}
	return img
}

// palettedDigit is digitImage as a paletted image of 256 greys.
func palettedDigit(v uint8, w, h int) *image.Paletted {
	g := digitImage(v, w, h)
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{uint8(i)}
	}
	img := image.NewPaletted(g.Rect, pal)
	copy(img.Pix, g.Pix)
	return img
}
