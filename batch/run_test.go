package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// TestRunCorruptInputs runs a batch in which some inputs are broken: they
// give error records and the others succeed.
func TestRunCorruptInputs(t *testing.T) {
	dir := t.TempDir()
	good := pngBytes(t, digitImage(7, 8, 6))
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, rgbaDigit(200, 16, 16), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	garbled := slices.Clone(jpg.Bytes())
	for i := 200; i < len(garbled); i++ {
		garbled[i] = byte(i * 31)
	}
	var gifBuf, bmpBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, palettedDigit(9, 8, 6), nil); err != nil {
		t.Fatal(err)
	}
	if err := bmp.Encode(&bmpBuf, rgbaDigit(11, 8, 6)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte // nil: no such file
		pages   int
		output  string // on success
		wantErr string // substring of the error
	}{
		{"good.png", good, 1, `"7 8x6"`, ""},
		{"truncated.png", good[:len(good)/2], 1, "", "decoding png: invalid format: not enough pixel data"},
		{"header.png", good[:20], 1, "", "decoding png: unexpected EOF"},
		{"empty.png", []byte{}, 0, "", "empty file"},
		{"text.png", []byte("this is not an image\n"), 0, "", "not an image"},
		{"garbled.jpg", garbled, 1, "", "decoding jpeg"},
		{"missing.png", nil, 0, "", "reading: open"},
		{"good.jpg", jpg.Bytes(), 1, "", ""},
		{"good.gif", gifBuf.Bytes(), 1, `"9 8x6"`, ""},
		{"good.bmp", bmpBuf.Bytes(), 1, `"11 8x6"`, ""},
		{"good.tif", tiffBytes(t, digitImage(13, 8, 6), tiff.Deflate), 1, `"13 8x6"`, ""},
		{"header-only.tif", []byte("II*\x00\x08\x00\x00\x00"), 0, "", "decoding tiff"},
		{"huge.png", pngBytes(t, image.NewGray(image.Rect(0, 0, 2000, 1000))), 1, "", "more than the limit"},
	}
	var names []string
	for _, tc := range tests {
		p := filepath.Join(dir, tc.name)
		if tc.data != nil {
			writeFile(t, dir, tc.name, tc.data)
		}
		names = append(names, p)
	}
	out := filepath.Join(dir, "out.jsonl")
	s, err := Run(context.Background(), Files(names...), out, testProc, Options{Ordered: true, MaxPixels: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, out)
	if len(recs) != len(tests) {
		t.Fatalf("%d records, want %d", len(recs), len(tests))
	}
	failed := 0
	for i, tc := range tests {
		r := recs[i]
		if r.File != names[i] || r.Page != 0 || r.Pages != tc.pages {
			t.Errorf("record %d: %s page %d of %d, want %s page 0 of %d", i, r.File, r.Page, r.Pages, names[i], tc.pages)
		}
		if tc.wantErr == "" {
			if r.Error != nil {
				t.Errorf("%s: error %q", tc.name, *r.Error)
			} else if tc.output != "" && string(r.Output) != tc.output {
				t.Errorf("%s: output %s, want %s", tc.name, r.Output, tc.output)
			}
			continue
		}
		failed++
		if r.Error == nil || !strings.Contains(*r.Error, tc.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, deref(r.Error), tc.wantErr)
		}
		if r.Output != nil || r.Energy != nil {
			t.Errorf("%s: error record with output %s", tc.name, r.Output)
		}
	}
	if s.Done != len(tests)-failed || s.Failed != failed || s.Inputs != len(tests) {
		t.Errorf("summary %+v, want %d done, %d failed", s, len(tests)-failed, failed)
	}
}

// TestRunOrdered checks that an ordered run writes the records in input
// order however long each page takes, and that an unordered one writes
// each once.
func TestRunOrdered(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 300)
	slow := func(ctx context.Context, p *Page) (Result, error) {
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
		return testProc(ctx, p)
	}
	for _, ordered := range []bool{true, false} {
		t.Run(fmt.Sprint("ordered=", ordered), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl")
			s, err := Run(context.Background(), Files(paths...), out, slow, Options{Workers: 8, Ordered: ordered})
			if err != nil {
				t.Fatal(err)
			}
			recs := readRecords(t, out)
			if len(recs) != len(paths) || s.Done != len(paths) {
				t.Fatalf("%d records, summary %+v; want %d", len(recs), s, len(paths))
			}
			keys := countKeys(t, recs)
			for i, p := range paths {
				if !keys[Key{File: p}] {
					t.Errorf("no record of %s", p)
				}
				if ordered && recs[i].File != p {
					t.Fatalf("record %d is of %s, want %s", i, recs[i].File, p)
				}
				if want := fmt.Sprintf(`"%d 8x6"`, i%256); ordered && string(recs[i].Output) != want {
					t.Errorf("record %d: output %s, want %s", i, recs[i].Output, want)
				}
			}
		})
	}
}

// counter is a processor that counts its calls by file.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *counter) proc(ctx context.Context, p *Page) (Result, error) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[fmt.Sprint(p.File, "#", p.Page)]++
	c.mu.Unlock()
	return testProc(ctx, p)
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.calls {
		n += k
	}
	return n
}

// TestRunResume checks that rerunning with the same output skips the
// inputs done, failed ones included, and redoes nothing; and that Force
// redoes everything.
func TestRunResume(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 100)
	paths = append(paths, filepath.Join(dir, "missing.png")) // fails each time
	out := filepath.Join(dir, "out.jsonl")
	tests := []struct {
		name    string
		inputs  []string
		force   bool
		calls   int // to the processor
		records int // in the output after the run
		skipped int
	}{
		{"first 40", paths[:40], false, 40, 40, 0},
		{"all", paths, false, 60, 101, 40},
		{"again", paths, false, 0, 101, 101},
		{"first 10 forced", paths[:10], true, 10, 10, 0},
		{"all again", paths, false, 90, 101, 10},
	}
	for _, tc := range tests {
		var c counter
		s, err := Run(context.Background(), Files(tc.inputs...), out, c.proc, Options{Force: tc.force})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.total() != tc.calls || s.Skipped != tc.skipped {
			t.Errorf("%s: %d calls, %d skipped; want %d, %d", tc.name, c.total(), s.Skipped, tc.calls, tc.skipped)
		}
		for k, n := range c.calls {
			if n != 1 {
				t.Errorf("%s: %s processed %d times", tc.name, k, n)
			}
		}
		recs := readRecords(t, out)
		countKeys(t, recs)
		if len(recs) != tc.records {
			t.Errorf("%s: %d records, want %d", tc.name, len(recs), tc.records)
		}
	}
}

// TestRunMultiPageTIFF checks one record per page of a multi-page TIFF,
// in page order, and the resumption of a file partly done.
func TestRunMultiPageTIFF(t *testing.T) {
	dir := t.TempDir()
	multi := writeFile(t, dir, "multi.tif", joinTIFF(t,
		tiffBytes(t, digitImage(1, 8, 6), tiff.Uncompressed),
		tiffBytes(t, rgbaDigit(2, 5, 4), tiff.Deflate),
		tiffBytes(t, palettedDigit(3, 3, 9), tiff.Deflate),
	))
	// The chain of the last file goes past its end: two good pages and
	// an error.
	broken := joinTIFF(t, tiffBytes(t, digitImage(4, 8, 6), tiff.Uncompressed), tiffBytes(t, digitImage(5, 8, 6), tiff.Uncompressed))
	last := lastIFDLink(t, broken)
	copy(broken[last:], []byte{0xff, 0xff, 0, 0})
	brokenPath := writeFile(t, dir, "broken.tif", broken)
	single := writeFile(t, dir, "single.png", pngBytes(t, digitImage(6, 2, 2)))
	inputs := []string{multi, brokenPath, single}

	out := filepath.Join(dir, "out.jsonl")
	// A partial earlier run: page 1 of multi.tif and page 0 of broken.tif.
	partial := `{"file":"` + multi + `","page":1,"pages":3,"output":"x","energy":null,"confidence":null,"error":null,"milliseconds":1}` + "\n" +
		`{"file":"` + brokenPath + `","page":0,"pages":3,"output":"y","energy":null,"confidence":null,"error":null,"milliseconds":1}` + "\n"
	if err := os.WriteFile(out, []byte(partial), 0o644); err != nil {
		t.Fatal(err)
	}
	var c counter
	s, err := Run(context.Background(), Files(inputs...), out, c.proc, Options{Ordered: true, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if s.Skipped != 2 || s.Done != 4 || s.Failed != 1 {
		t.Errorf("summary %+v, want 2 skipped, 4 done, 1 failed", s)
	}
	recs := readRecords(t, out)
	type want struct {
		file        string
		page, pages int
		output      string
		err         bool
	}
	wants := []want{
		{multi, 1, 3, `"x"`, false},
		{brokenPath, 0, 3, `"y"`, false},
		{multi, 0, 3, `"1 8x6"`, false},
		{multi, 2, 3, `"3 3x9"`, false},
		{brokenPath, 1, 3, `"5 8x6"`, false},
		{brokenPath, 2, 3, "", true},
		{single, 0, 1, `"6 2x2"`, false},
	}
	if len(recs) != len(wants) {
		t.Fatalf("%d records, want %d", len(recs), len(wants))
	}
	for i, w := range wants {
		r := recs[i]
		if r.File != w.file || r.Page != w.page || r.Pages != w.pages || string(r.Output) != w.output || r.Failed() != w.err {
			t.Errorf("record %d: %s %d/%d %s %v, want %+v", i, r.File, r.Page, r.Pages, r.Output, r.Error, w)
		}
	}
	if c.calls[multi+"#1"] != 0 || c.calls[brokenPath+"#0"] != 0 {
		t.Errorf("pages done before were processed again: %v", c.calls)
	}
	// Everything is done now.
	s, err = Run(context.Background(), Files(inputs...), out, c.proc, Options{})
	if err != nil || s.Skipped != 7 || s.Done+s.Failed != 0 {
		t.Errorf("third run: %+v, %v; want 7 skipped", s, err)
	}
}

// lastIFDLink returns the position of the next-IFD offset of the last IFD
// of a little-endian TIFF file.
func lastIFDLink(t *testing.T, b []byte) int {
	t.Helper()
	ifds, err := tiffPages(b)
	if err != nil {
		t.Fatal(err)
	}
	last := int(ifds[len(ifds)-1])
	n := int(b[last]) | int(b[last+1])<<8
	return last + 2 + 12*n
}

// TestRunCancel interrupts an ordered run and resumes it: every input has
// one record in the end, in input order.
func TestRunCancel(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 200)
	out := filepath.Join(dir, "out.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	// Cancelled at the 50th call, or after, once the first input is done
	// (which groups of inputs processed at once may take later), so that
	// an ordered run has something to write.
	var calls atomic.Int64
	var firstDone atomic.Bool
	proc := func(ctx context.Context, p *Page) (Result, error) {
		if p.Index == 0 {
			firstDone.Store(true)
		}
		if calls.Add(1) >= 50 && firstDone.Load() {
			cancel()
		}
		time.Sleep(200 * time.Microsecond)
		if p.Index != 0 && rand.IntN(2) == 0 && ctx.Err() != nil {
			return Result{}, ctx.Err() // interrupted: no record
		}
		return testProc(ctx, p)
	}
	s, err := Run(ctx, Files(paths...), out, proc, Options{Ordered: true, Workers: 4})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	first := readRecords(t, out)
	if len(first) != s.Done || len(first) == 0 || len(first) >= len(paths) {
		t.Fatalf("interrupted run wrote %d records, summary %+v", len(first), s)
	}
	for _, r := range first {
		if r.Failed() {
			t.Errorf("interruption recorded as an error: %s", *r.Error)
		}
	}
	s, err = Run(context.Background(), Files(paths...), out, testProc, Options{Ordered: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Skipped != len(first) || s.Done != len(paths)-len(first) {
		t.Errorf("resumed run: %+v, want %d skipped", s, len(first))
	}
	recs := readRecords(t, out)
	countKeys(t, recs)
	if len(recs) != len(paths) {
		t.Fatalf("%d records, want %d", len(recs), len(paths))
	}
	for i, r := range recs {
		if r.File != paths[i] {
			t.Fatalf("record %d is of %s, want %s", i, r.File, paths[i])
		}
	}
}

// TestRunProcessorFailures checks the records of a processor that fails,
// panics, or gives an output that JSON cannot hold.
func TestRunProcessorFailures(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 5)
	proc := func(ctx context.Context, p *Page) (Result, error) {
		switch p.Index {
		case 0:
			return Result{}, errors.New("no idea")
		case 1:
			panic("boom")
		case 2:
			return Result{Output: make(chan int)}, nil
		case 3:
			return Result{Output: map[string]int{"a": 1}, Energy: new(1.5), Confidence: new(0.25)}, nil
		}
		nan := 0.0
		return Result{Energy: new(nan / nan)}, nil
	}
	out := filepath.Join(dir, "out.jsonl")
	s, err := Run(context.Background(), Files(paths...), out, proc, Options{Ordered: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Done != 2 || s.Failed != 3 {
		t.Errorf("summary %+v, want 2 done, 3 failed", s)
	}
	recs := readRecords(t, out)
	errs := []string{"no idea", "processor panicked: boom", "encoding the output: json: unsupported type: chan int"}
	for i, want := range errs {
		if recs[i].Error == nil || *recs[i].Error != want {
			t.Errorf("record %d: error %v, want %q", i, recs[i].Error, want)
		}
	}
	if r := recs[3]; string(r.Output) != `{"a":1}` || *r.Energy != 1.5 || *r.Confidence != 0.25 {
		t.Errorf("record 3: %s %v %v", r.Output, *r.Energy, *r.Confidence)
	}
	if r := recs[4]; r.Output != nil || r.Energy != nil || r.Error != nil {
		t.Errorf("record 4: output %s, energy %v, error %v; want all null", r.Output, r.Energy, r.Error)
	}
}

// TestRunDuplicates checks that an input named twice is done once.
func TestRunDuplicates(t *testing.T) {
	dir := t.TempDir()
	p := writePNGs(t, dir, 2)
	out := filepath.Join(dir, "out.jsonl")
	var c counter
	s, err := Run(context.Background(), Files(p[0], p[1], p[0], p[0]), out, c.proc, Options{Ordered: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Duplicates != 2 || s.Done != 2 || s.Inputs != 2 || c.total() != 2 {
		t.Errorf("summary %+v, %d calls; want 2 done, 2 duplicates", s, c.total())
	}
	if recs := readRecords(t, out); len(recs) != 2 {
		t.Errorf("%d records, want 2", len(recs))
	}
}

// memSink keeps records in memory, failing from the failAt-th write on
// (when failAt > 0).
type memSink struct {
	recs    []Record
	held    []Key
	failAt  int
	flushes int
}

func (m *memSink) Write(r *Record) error {
	if m.failAt > 0 && len(m.recs)+1 >= m.failAt {
		return errors.New("disk full")
	}
	m.recs = append(m.recs, *r)
	return nil
}
func (m *memSink) Flush() error { m.flushes++; return nil }
func (m *memSink) Held() []Key  { return m.held }

// errSource gives n inputs, then an error.
type errSource struct {
	paths []string
	n     int
}

func (s *errSource) Next(context.Context) (Input, error) {
	if s.n == 0 {
		return Input{}, errors.New("broker gone")
	}
	s.n--
	return Input{Name: s.paths[s.n]}, nil
}

// TestRunToSinks runs into sinks of our own: one that resumes, one that
// fails, and a source that fails.
func TestRunToSinks(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 50)
	ctx := context.Background()

	m := &memSink{held: []Key{{File: paths[3], Pages: 1}, {File: paths[4], Pages: 0}}}
	s, err := RunTo(ctx, Files(paths...), m, testProc, Options{})
	if err != nil || len(m.recs) != 48 || s.Skipped != 2 || m.flushes == 0 {
		t.Errorf("resumable sink: %d records, %+v, %d flushes, %v", len(m.recs), s, m.flushes, err)
	}
	m = &memSink{held: m.held}
	if s, err = RunTo(ctx, Files(paths...), m, testProc, Options{Force: true}); err != nil || len(m.recs) != 50 {
		t.Errorf("forced: %d records, %+v, %v", len(m.recs), s, err)
	}

	m = &memSink{failAt: 5}
	s, err = RunTo(ctx, Files(paths...), m, testProc, Options{Workers: 2})
	if err == nil || err.Error() != "disk full" || s.Done != 4 {
		t.Errorf("failing sink: %+v, %v; want 4 done and the sink's error", s, err)
	}

	m = &memSink{}
	s, err = RunTo(ctx, &errSource{paths: paths, n: 3}, m, testProc, Options{})
	if err == nil || err.Error() != "broker gone" || len(m.recs) != 3 || s.Done != 3 {
		t.Errorf("failing source: %d records, %+v, %v", len(m.recs), s, err)
	}

	// A source of messages: inputs that carry their bytes.
	c := make(chan Input)
	go func() {
		defer close(c)
		for i := range 3 {
			data := pngBytes(t, digitImage(uint8(40+i), 3, 3))
			c <- Input{Name: fmt.Sprint("msg-", i), Read: func() ([]byte, error) { return data, nil }}
		}
	}()
	m = &memSink{}
	if _, err = RunTo(ctx, ChanSource(c), m, testProc, Options{Ordered: true}); err != nil || len(m.recs) != 3 || string(m.recs[2].Output) != `"42 3x3"` {
		t.Errorf("channel source: %v, %v", m.recs, err)
	}
}

// TestRunProgress checks the summary written to Options.Progress.
func TestRunProgress(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 3)
	var buf bytes.Buffer
	_, err := Run(context.Background(), Files(append(paths, paths[0], "missing")...), filepath.Join(dir, "o.jsonl"), testProc, Options{Progress: &buf})
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); !strings.HasPrefix(got, "3 done, 1 failed, 0 skipped, 1 duplicates in 0:00 (") || !strings.HasSuffix(got, " images/s)\n") {
		t.Errorf("progress %q", got)
	}
}

// TestSummaryString checks the printed summary.
func TestSummaryString(t *testing.T) {
	tests := []struct {
		s    Summary
		want string
	}{
		{Summary{Done: 1200, Failed: 3, Skipped: 40, Elapsed: 2 * time.Second}, "1,200 done, 3 failed, 40 skipped in 0:02 (602 images/s)"},
		{Summary{Done: 1, Duplicates: 2, Elapsed: 4 * time.Second}, "1 done, 0 failed, 0 skipped, 2 duplicates in 0:04 (0.25 images/s)"},
		{Summary{}, "0 done, 0 failed, 0 skipped in 0:00 (0.00 images/s)"},
	}
	for _, tc := range tests {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}

// TestGrayOfPage checks that colour inputs reach the processor as grey
// pixels equal to their luminance.
func TestGrayOfPage(t *testing.T) {
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	img.Set(1, 0, color.NRGBA{0, 0, 0, 0}) // transparent: white paper
	p := writeFile(t, dir, "c.png", pngBytes(t, img))
	var got []uint8
	proc := func(_ context.Context, pg *Page) (Result, error) {
		got = slices.Clone(pg.Gray.Pix)
		return Result{}, nil
	}
	if _, err := RunTo(context.Background(), Files(p), &memSink{}, proc, Options{}); err != nil {
		t.Fatal(err)
	}
	if want := []uint8{76, 255}; !slices.Equal(got, want) {
		t.Errorf("grey %v, want %v", got, want)
	}
}

// deref returns *s, or "<nil>".
func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestRunLiveProgress checks the progress line drawn on a terminal: it is
// erased at the end, where the summary is written.
func TestRunLiveProgress(t *testing.T) {
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }
	dir := t.TempDir()
	paths := writePNGs(t, dir, 3)
	slow := func(ctx context.Context, p *Page) (Result, error) {
		time.Sleep(150 * time.Millisecond)
		return testProc(ctx, p)
	}
	var buf bytes.Buffer
	if _, err := RunTo(context.Background(), Files(paths...), &memSink{}, slow, Options{Progress: &buf, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	lines := strings.Split(got, "\r")
	if len(lines) < 3 || !strings.HasPrefix(lines[1], "batch: ") || !strings.Contains(got, " done, 0 failed, 0 skipped  ") {
		t.Fatalf("progress %q", got)
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "3 done, 0 failed, 0 skipped in ") || strings.Count(got, "\n") != 1 {
		t.Errorf("summary %q", last)
	}
	if erase := lines[len(lines)-2]; strings.Trim(erase, " ") != "" {
		t.Errorf("progress line not erased: %q", erase)
	}
}
