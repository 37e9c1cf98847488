package batch

import (
	"bytes"
	"compress/zlib"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// refGray is the reference conversion to grey that Gray's fast paths must
// match: every pixel through color.Color.RGBA, composed over white, with
// the weights of color.GrayModel.
func refGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, gg, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			w := 0xffff - a
			g.Pix[y*g.Stride+x] = uint8((19595*(r+w) + 38470*(gg+w) + 7471*(bb+w) + 1<<15) >> 24)
		}
	}
	return g
}

// randomImages returns images of every kind that Gray has a fast path
// for, with random pixels (and random alphas), some of them sub-images
// whose bounds do not start at (0, 0).
func randomImages(rng *rand.Rand) map[string]image.Image {
	r := image.Rect(0, 0, 13, 7)
	fill := func(pix []byte) {
		for i := range pix {
			pix[i] = uint8(rng.UintN(256))
		}
	}
	gray := image.NewGray(r)
	fill(gray.Pix)
	gray16 := image.NewGray16(r)
	fill(gray16.Pix)
	nrgba := image.NewNRGBA(r)
	fill(nrgba.Pix)
	rgba := image.NewRGBA(r)
	for i := 0; i < len(rgba.Pix); i += 4 { // premultiplied: colour <= alpha
		a := uint8(rng.UintN(256))
		rgba.Pix[i+3] = a
		for c := range 3 {
			rgba.Pix[i+c] = uint8(rng.UintN(uint(a) + 1))
		}
	}
	opaque := image.NewRGBA(r)
	fill(opaque.Pix)
	for i := 3; i < len(opaque.Pix); i += 4 {
		opaque.Pix[i] = 0xff
	}
	pal := make(color.Palette, 40)
	for i := range pal {
		pal[i] = color.NRGBA{uint8(rng.UintN(256)), uint8(rng.UintN(256)), uint8(rng.UintN(256)), uint8(rng.UintN(256))}
	}
	paletted := image.NewPaletted(r, pal)
	for i := range paletted.Pix {
		paletted.Pix[i] = uint8(rng.UintN(uint(len(pal))))
	}
	cmyk := image.NewCMYK(r)
	fill(cmyk.Pix)
	nrgba64 := image.NewNRGBA64(r)
	fill(nrgba64.Pix)
	sub := image.Rect(2, 1, 11, 6)
	return map[string]image.Image{
		"gray": gray, "gray16": gray16, "nrgba": nrgba, "rgba": rgba, "opaque": opaque,
		"paletted": paletted, "cmyk": cmyk, "nrgba64": nrgba64,
		"sub gray":     gray.SubImage(sub),
		"sub nrgba":    nrgba.SubImage(sub),
		"sub rgba":     rgba.SubImage(sub),
		"sub paletted": paletted.SubImage(sub),
		"sub gray16":   gray16.SubImage(sub),
	}
}

// TestGray checks every conversion to grey against the reference.
func TestGray(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, img := range randomImages(rng) {
		got, want := Gray(img), refGray(img)
		if got.Rect != want.Rect || got.Stride != got.Rect.Dx() {
			t.Errorf("%s: bounds %v stride %d, want %v stride %d", name, got.Rect, got.Stride, want.Rect, want.Rect.Dx())
			continue
		}
		if !slices.Equal(got.Pix, want.Pix) {
			t.Errorf("%s: pixels differ:\n got %v\nwant %v", name, got.Pix[:10], want.Pix[:10])
		}
	}
	// A YCbCr image gives its Y plane: within rounding of the luminance
	// of its RGB colours.
	ycc := image.NewYCbCr(image.Rect(0, 0, 16, 8), image.YCbCrSubsampleRatio420)
	for _, p := range [][]byte{ycc.Y, ycc.Cb, ycc.Cr} {
		for i := range p {
			p[i] = uint8(64 + rng.UintN(128))
		}
	}
	got, want := Gray(ycc), refGray(ycc)
	if !slices.Equal(got.Pix, ycc.Y) {
		t.Error("YCbCr: not the Y plane")
	}
	for i := range got.Pix {
		if d := int(got.Pix[i]) - int(want.Pix[i]); d < -2 || d > 2 {
			t.Fatalf("YCbCr pixel %d: %d, luminance of the RGB colour %d", i, got.Pix[i], want.Pix[i])
		}
	}
	// A compact Gray image is returned as it is.
	g := image.NewGray(image.Rect(0, 0, 3, 3))
	if Gray(g) != g {
		t.Error("a compact *image.Gray was copied")
	}
}

// TestSniff checks format detection by content.
func TestSniff(t *testing.T) {
	tests := []struct {
		data string
		want format
	}{
		{"\x89PNG\r\n\x1a\nrest", formatPNG},
		{"\xff\xd8\xff\xe0", formatJPEG},
		{"GIF89a...", formatGIF},
		{"GIF87a...", formatGIF},
		{"BM....", formatBMP},
		{"II*\x00\x08\x00\x00\x00", formatTIFF},
		{"MM\x00*\x00\x00\x00\x08", formatTIFF},
		{"RIFF\x00\x00\x00\x00WEBPVP8 ", formatWebP},
		{"RIFF\x00\x00\x00\x00WAVE", formatUnknown},
		{"%PDF-1.4", formatUnknown},
		{"", formatUnknown},
		{"\x89PN", formatUnknown},
	}
	for _, tc := range tests {
		if got := sniff([]byte(tc.data)); got != tc.want {
			t.Errorf("sniff(%q) = %v, want %v", tc.data, got, tc.want)
		}
	}
}

// pngSuiteDir returns the folder of the standard library's copy of
// PngSuite, or "" if there is none.
func pngSuiteDir() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return filepath.Join(strings.TrimSpace(string(out)), "src", "image", "png", "testdata", "pngsuite")
}

// pngSamples returns PNG files of many kinds: those of the standard
// library's copy of PngSuite (every colour type, bit depth, interlacing,
// transparency, filters, and broken files), and encodings of random
// images by image/png (several IDAT chunks for the large one).
func pngSamples(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	dir := pngSuiteDir()
	var names []string
	if dir != "" {
		names, _ = filepath.Glob(filepath.Join(dir, "*.png"))
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = data
	}
	if len(names) == 0 {
		t.Logf("no PngSuite in %s: generated images only", dir)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for name, img := range randomImages(rng) {
		files["random "+name] = pngBytes(t, img)
	}
	for _, n := range []int{2, 4, 16, 256} {
		pal := make(color.Palette, n)
		for i := range pal {
			pal[i] = color.RGBA{uint8(rng.UintN(256)), uint8(rng.UintN(256)), uint8(rng.UintN(256)), 0xff}
		}
		img := image.NewPaletted(image.Rect(0, 0, 37, 5), pal)
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.UintN(uint(n)))
		}
		files["random paletted "+string(rune('0'+len(files)%10))+" of "+strings.Repeat("#", n%7)] = pngBytes(t, img)
	}
	big := image.NewRGBA(image.Rect(0, 0, 200, 150))
	for i := range big.Pix {
		big.Pix[i] = uint8(rng.UintN(256))
	}
	files["random big"] = pngBytes(t, big)
	return files
}

// TestPNGFastPath checks that the fast PNG decoder gives the pixels of
// image/png and Gray wherever it decodes, and that it decodes the common
// kinds.
func TestPNGFastPath(t *testing.T) {
	fast := 0
	for name, data := range pngSamples(t) {
		got, ok := pngGray(data, DefaultMaxPixels)
		img, err := png.Decode(bytes.NewReader(data))
		if !ok {
			continue
		}
		fast++
		if err != nil {
			t.Errorf("%s: fast path decodes, image/png fails: %v", name, err)
			continue
		}
		want := Gray(img)
		if got.Rect != want.Rect || !slices.Equal(got.Pix, want.Pix) {
			t.Errorf("%s: fast path differs from image/png", name)
		}
	}
	// The kinds the fast path is for.
	suite := pngSuiteDir()
	for _, name := range []string{"basn0g01.png", "basn0g02.png", "basn0g04.png", "basn0g08.png", "basn2c08.png",
		"basn3p01.png", "basn3p04.png", "basn3p08.png", "basn3p08-trns.png", "basn4a08.png", "basn6a08.png", "ftp1n3p08.png"} {
		data, err := os.ReadFile(filepath.Join(suite, name))
		if err != nil {
			continue
		}
		if _, ok := pngGray(data, DefaultMaxPixels); !ok {
			t.Errorf("%s: not decoded by the fast path", name)
		}
	}
	if fast < 10 {
		t.Errorf("only %d files through the fast path", fast)
	}
	if _, ok := pngGray(pngBytes(t, digitImage(1, 100, 100)), 9999); ok {
		t.Error("fast path decoded an image over the pixel limit")
	}
}

// TestPNGFastPathCorrupt damages PNG files at random: wherever the fast
// path still decodes one, image/png must decode it to the same pixels.
func TestPNGFastPathCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	samples := pngSamples(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range samples {
			if !yield(n) {
				return
			}
		}
	})
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		data := slices.Clone(samples[names[rng.IntN(len(names))]])
		switch rng.IntN(3) {
		case 0: // flip bytes
			for range 1 + rng.IntN(3) {
				data[rng.IntN(len(data))] ^= uint8(1 + rng.UintN(255))
			}
		case 1: // truncate
			data = data[:rng.IntN(len(data))]
		case 2: // repeat a span
			a := rng.IntN(len(data))
			b := a + rng.IntN(len(data)-a)
			data = slices.Concat(data[:b], data[a:])
		}
		checkPNGAgrees(t, i, data)
	}
}

// checkPNGAgrees fails if the fast path decodes data differently from
// image/png.
func checkPNGAgrees(t *testing.T, i int, data []byte) {
	t.Helper()
	got, ok := pngGray(data, DefaultMaxPixels)
	if !ok {
		return
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("case %d: fast path decodes, image/png fails: %v", i, err)
	}
	if want := Gray(img); got.Rect != want.Rect || !slices.Equal(got.Pix, want.Pix) {
		t.Fatalf("case %d: fast path differs from image/png", i)
	}
}

// FuzzPNGGray checks the fast PNG decoder against image/png on any input.
func FuzzPNGGray(f *testing.F) {
	for _, data := range pngSamples(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkPNGAgrees(t, 0, data)
	})
}

// pngChunk is a chunk of a PNG file.
type pngChunk struct {
	typ  string
	data []byte
}

// splitPNG returns the chunks of a PNG file.
func splitPNG(t *testing.T, b []byte) []pngChunk {
	t.Helper()
	var cs []pngChunk
	for pos := 8; pos+12 <= len(b); {
		n := int(b[pos])<<24 | int(b[pos+1])<<16 | int(b[pos+2])<<8 | int(b[pos+3])
		cs = append(cs, pngChunk{string(b[pos+4 : pos+8]), slices.Clone(b[pos+8 : pos+8+n])})
		pos += 12 + n
	}
	return cs
}

// joinPNG makes a PNG file of chunks, with their checksums.
func joinPNG(cs ...pngChunk) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	for _, c := range cs {
		n := len(c.data)
		b = append(b, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		start := len(b)
		b = append(b, c.typ...)
		b = append(b, c.data...)
		crc := crc32.ChecksumIEEE(b[start:])
		b = append(b, byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc))
	}
	return b
}

// TestPNGFastPathEdges checks files built to be just off the rules: the
// fast path must decline those image/png refuses.
func TestPNGFastPathEdges(t *testing.T) {
	cs := splitPNG(t, pngBytes(t, digitImage(9, 20, 10)))
	if len(cs) != 3 || cs[1].typ != "IDAT" {
		t.Fatalf("unexpected chunks %v", cs)
	}
	ihdr, idat, iend := cs[0], cs[1], cs[2]
	var bytewise []pngChunk // IDAT one byte a chunk
	for _, c := range idat.data {
		bytewise = append(bytewise, pngChunk{"IDAT", []byte{c}})
	}
	text := pngChunk{"tEXt", []byte("Comment\x00hello")}
	tests := []struct {
		name string
		file []byte
		fast bool // decoded by the fast path
	}{
		{"plain", joinPNG(ihdr, idat, iend), true},
		{"IDAT byte by byte", joinPNG(slices.Concat([]pngChunk{ihdr}, bytewise, []pngChunk{iend})...), true},
		{"ancillary chunks", joinPNG(ihdr, text, idat, text, iend), true},
		{"empty IDAT after", joinPNG(ihdr, idat, pngChunk{"IDAT", nil}, iend), true},
		{"data after the stream", joinPNG(ihdr, pngChunk{"IDAT", append(slices.Clone(idat.data), 0, 0)}, iend), false},
		{"stream cut short", joinPNG(ihdr, pngChunk{"IDAT", idat.data[:len(idat.data)-5]}, iend), false},
		{"IEND with data", joinPNG(ihdr, idat, pngChunk{"IEND", []byte{1}}), false},
		{"no IEND", joinPNG(ihdr, idat), false},
		{"IDAT split by a chunk", joinPNG(ihdr, pngChunk{"IDAT", idat.data[:4]}, text, pngChunk{"IDAT", idat.data[4:]}, iend), false},
		{"no IDAT", joinPNG(ihdr, iend), false},
		{"IHDR not first", joinPNG(text, ihdr, idat, iend), false},
		{"two IHDR", joinPNG(ihdr, ihdr, idat, iend), false},
		{"interlaced flag", joinPNG(pngChunk{"IHDR", append(slices.Clone(ihdr.data[:12]), 1)}, idat, iend), false},
		{"bad filter type", joinPNG(ihdr, pngChunk{"IDAT", zlibBytes(t, bytes.Repeat([]byte{5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 10))}, iend), false},
		{"zero width", joinPNG(pngChunk{"IHDR", append([]byte{0, 0, 0, 0}, ihdr.data[4:]...)}, idat, iend), false},
	}
	for _, tc := range tests {
		_, ok := pngGray(tc.file, DefaultMaxPixels)
		if ok != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.name, ok, tc.fast)
		}
		checkPNGAgrees(t, 0, tc.file)
		_, err := png.Decode(bytes.NewReader(tc.file))
		if tc.fast && err != nil {
			t.Errorf("%s: image/png: %v", tc.name, err)
		}
	}
}

// zlibBytes compresses b with zlib.
func zlibBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
