package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"slices"
	"strings"
	"testing"
)

func idxBytes(t testing.TB, dims []int, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteIDX(&b, &IDX{Dims: dims, Data: data}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

func TestIDXRoundTrip(t *testing.T) {
	data := make([]byte, 2*3*4)
	for i := range data {
		data[i] = byte(i * 7)
	}
	raw := idxBytes(t, []int{2, 3, 4}, data)
	want := []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4}
	if !bytes.Equal(raw[:16], want) {
		t.Fatalf("header % x, want % x", raw[:16], want)
	}
	for name, in := range map[string][]byte{"raw": raw, "gzip": gzipBytes(t, raw)} {
		x, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(x.Dims, []int{2, 3, 4}) || !bytes.Equal(x.Data, data) {
			t.Errorf("%s: got dims %v data %v", name, x.Dims, x.Data)
		}
	}
}

// TestIDXLarge reads a file larger than the reader's first buffer, through
// a reader that returns a few bytes at a time.
func TestIDXLarge(t *testing.T) {
	data := make([]byte, 3<<20+5)
	for i := range data {
		data[i] = byte(i * 31)
	}
	raw := idxBytes(t, []int{len(data)}, data)
	x, err := ReadIDX(&slowReader{raw, 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Data, data) {
		t.Error("data differs")
	}
}

type slowReader struct {
	b []byte
	n int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestIDXErrors(t *testing.T) {
	good := idxBytes(t, []int{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	gz := gzipBytes(t, good)
	corrupt := slices.Clone(gz)
	corrupt[len(corrupt)-6] ^= 0xff // CRC-32 of the gzip trailer
	badType := slices.Clone(good)
	badType[2] = 0x0D
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated header: 0 of 4 magic bytes"},
		{"short magic", []byte{0, 0}, "truncated header: 2 of 4 magic bytes"},
		{"bad magic", []byte{0x50, 0x4b, 3, 4, 0, 0, 0, 0}, "bad magic number 0x504b0304: not an IDX file"},
		{"float type", badType, "element type 0x0d (float32) not supported"},
		{"unknown type", []byte{0, 0, 0x42, 1, 0, 0, 0, 0}, "element type 0x42 (unknown)"},
		{"no dims", []byte{0, 0, 8, 0}, "0 dimensions, want 1 to 16"},
		{"too many dims", []byte{0, 0, 8, 17}, "17 dimensions"},
		{"short dims", []byte{0, 0, 8, 2, 0, 0, 0, 2, 0, 0}, "truncated header: 6 of 8 dimension bytes"},
		{"short data", good[:len(good)-2], "truncated data: dimensions [2 3] need 6 bytes, got 4"},
		{"trailing", append(slices.Clone(good), 9, 9), "2 bytes of trailing data after the 6 bytes of dimensions [2 3]"},
		{"huge", []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "hold more than"},
		{"huge but truncated", []byte{0, 0, 8, 2, 0, 4, 0, 0, 0, 1, 0, 0, 1, 2, 3}, "need 17179869184 bytes, got 3"},
		{"gzip truncated", gz[:len(gz)-10], "unexpected EOF"},
		{"gzip checksum", corrupt, "idx: compressed data: gzip: invalid checksum"},
		{"gzip header", []byte{0x1f, 0x8b, 0, 0}, "idx: compressed data: unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestWriteIDXErrors(t *testing.T) {
	for _, x := range []*IDX{
		{Dims: nil},
		{Dims: []int{2, 2}, Data: []byte{1, 2, 3}},
		{Dims: []int{-1}, Data: nil},
	} {
		if err := WriteIDX(io.Discard, x); err == nil {
			t.Errorf("WriteIDX(%v) succeeded", x.Dims)
		}
	}
}

// FuzzReadIDX checks that ReadIDX never panics and that what it accepts is
// consistent and written back identically.
func FuzzReadIDX(f *testing.F) {
	good := idxBytes(f, []int{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	f.Add(good)
	f.Add(gzipBytes(f, good))
	f.Add(good[:7])
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("dims %v but %d bytes", x.Dims, len(x.Data))
		}
		var b bytes.Buffer
		if err := WriteIDX(&b, x); err != nil {
			t.Fatal(err)
		}
		if in[0] != 0x1f && !bytes.Equal(b.Bytes(), in) {
			t.Fatalf("read % x, wrote % x", in, b.Bytes())
		}
	})
}

func BenchmarkReadIDXGzip(b *testing.B) {
	data := make([]byte, 1000*28*28)
	for i := range data {
		data[i] = byte(i*i) & 0xf0
	}
	gz := gzipBytes(b, idxBytes(b, []int{1000, 28, 28}, data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadIDX(bytes.NewReader(gz)); err != nil {
			b.Fatal(err)
		}
	}
}

// The header fields are big-endian.
func TestIDXBigEndian(t *testing.T) {
	raw := idxBytes(t, []int{258}, make([]byte, 258))
	if got := binary.BigEndian.Uint32(raw[4:]); got != 258 {
		t.Errorf("dimension written as %d", got)
	}
}
