package batch

import (
	"encoding/binary"
	"image"
	"image/color"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

// TestTIFFPages checks the walk of the chain of image directories.
func TestTIFFPages(t *testing.T) {
	one := tiffBytes(t, digitImage(1, 4, 3), tiff.Uncompressed)
	three := joinTIFF(t, one, one, one)
	selfLoop := slices.Clone(three)
	binary.LittleEndian.PutUint32(selfLoop[lastIFDLink(t, three):], binary.LittleEndian.Uint32(three[4:]))
	outside := slices.Clone(three)
	binary.LittleEndian.PutUint32(outside[lastIFDLink(t, three):], uint32(len(three)+100))
	cut := three[:lastIFDLink(t, three)-20] // the last IFD truncated
	tests := []struct {
		name    string
		data    []byte
		pages   int
		wantErr string
	}{
		{"one page", one, 1, ""},
		{"three pages", three, 3, ""},
		{"chain back to the first", selfLoop, 3, ""},
		{"IFD outside the file", outside, 3, "page 3: image directory at offset"},
		{"last IFD truncated", cut, 2, "page 2: image directory at offset"},
		{"short", []byte("II*\x00"), 0, "truncated TIFF header"},
		{"no IFD", []byte("II*\x00\x00\x00\x00\x00"), 0, "TIFF file without images"},
		{"first IFD outside", []byte("II*\x00\xff\x00\x00\x00"), 0, "page 0"},
		{"BigTIFF", []byte("II+\x00\x08\x00\x00\x00\x00\x00\x00\x00"), 0, "BigTIFF"},
		{"bad magic", []byte("II\x00\x00\x08\x00\x00\x00"), 0, "not a TIFF file"},
		{"bad order", []byte("IM*\x00\x08\x00\x00\x00"), 0, "not a TIFF file"},
	}
	for _, tc := range tests {
		pages, err := tiffPages(tc.data)
		if len(pages) != tc.pages {
			t.Errorf("%s: %d pages, want %d", tc.name, len(pages), tc.pages)
		}
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

// TestTIFFDecodePages decodes every page of multi-page files: made by
// joining files of golang.org/x/image/tiff, and made by libtiff (LZW with a
// predictor, Deflate of RGB, CCITT Group 4 of a bilevel page; in both byte
// orders: see testdata/README.md).
func TestTIFFDecodePages(t *testing.T) {
	joined := []image.Image{digitImage(1, 8, 6), rgbaDigit(2, 5, 4), palettedDigit(3, 3, 9)}
	var parts [][]byte
	for i, img := range joined {
		parts = append(parts, tiffBytes(t, img, []tiff.CompressionType{tiff.Uncompressed, tiff.Deflate}[i%2]))
	}
	check := func(name string, data []byte, want []*image.Gray) {
		t.Helper()
		ifds, err := tiffPages(data)
		if err != nil || len(ifds) != len(want) {
			t.Fatalf("%s: %d pages, %v; want %d", name, len(ifds), err, len(want))
		}
		for p, ifd := range ifds {
			g, err := decodeGray(formatTIFF, data, ifd, DefaultMaxPixels)
			if err != nil {
				t.Errorf("%s page %d: %v", name, p, err)
				continue
			}
			if g.Rect != want[p].Rect || !slices.Equal(g.Pix, want[p].Pix) {
				t.Errorf("%s page %d: %v %v…, want %v %v…", name, p, g.Rect, g.Pix[:8], want[p].Rect, want[p].Pix[:8])
			}
		}
	}
	var want []*image.Gray
	for _, img := range joined {
		want = append(want, refGray(img))
	}
	check("joined", joinTIFF(t, parts...), want)

	// The pages of the libtiff files, as made by testdata/README.md.
	p0 := image.NewGray(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			p0.Pix[y*40+x] = uint8((x*7 + y*13) % 256)
		}
	}
	p1 := image.NewRGBA(image.Rect(0, 0, 30, 20))
	for y := range 20 {
		for x := range 30 {
			p1.Set(x, y, color.RGBA{uint8(x * 8 % 256), uint8(y * 12 % 256), uint8((x + y) * 5 % 256), 0xff})
		}
	}
	p2 := image.NewGray(image.Rect(0, 0, 64, 40))
	for y := range 40 {
		for x := range 64 {
			if (x/4+y/4)%2 == 0 { // a 1 of the PBM file is black
				p2.Pix[y*64+x] = 0xff
			}
		}
	}
	for _, name := range []string{"testdata/multi-le.tif", "testdata/multi-be.tif"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		check(name, data, []*image.Gray{p0, refGray(p1), p2})
	}
}

// TestTIFFPageReader checks the reader that presents a page's IFD as the
// first.
func TestTIFFPageReader(t *testing.T) {
	data := []byte("II*\x00\x08\x00\x00\x00abcdefgh")
	p := newTIFFPage(data, 0x0c)
	buf := make([]byte, 10)
	n, err := p.ReadAt(buf, 2)
	if n != 10 || err != nil || string(buf) != "*\x00\x0c\x00\x00\x00abcd" {
		t.Errorf("ReadAt(2) = %d, %v, %q", n, err, buf)
	}
	if n, err := p.ReadAt(buf, 10); n != 6 || err == nil || string(buf[:n]) != "cdefgh" {
		t.Errorf("ReadAt(10) = %d, %v, %q", n, err, buf[:n])
	}
	if _, err := p.Seek(4, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := p.Read(buf[:4]); n != 4 || err != nil || string(buf[:4]) != "\x0c\x00\x00\x00" {
		t.Errorf("Read after Seek = %d, %v, %q", n, err, buf[:4])
	}
	if data[4] != 0x08 {
		t.Error("the file's bytes were changed")
	}
}
