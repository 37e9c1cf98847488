package batch

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// groupRecorder is a BatchProcessor giving testProc's results that
// records the pages of each call.
type groupRecorder struct {
	mu     sync.Mutex
	groups [][]int // Index of the pages of each call
	each   func(p *Page) error
}

func (g *groupRecorder) process(ctx context.Context, pages []*Page, res []Result, errs []error) {
	idx := make([]int, len(pages))
	for i, p := range pages {
		idx[i] = p.Index
		if g.each != nil {
			if errs[i] = g.each(p); errs[i] != nil {
				continue
			}
		}
		res[i], errs[i] = testProc(ctx, p)
	}
	g.mu.Lock()
	g.groups = append(g.groups, idx)
	g.mu.Unlock()
}

// TestRunGroupsWithCorruptInputs runs a BatchProcessor over inputs among
// which some are missing, empty, truncated or not images, in groups: the
// processor sees only the pages that decoded, every input gets its record
// (the right output, or its error), and groups fill up from a fast source.
func TestRunGroupsWithCorruptInputs(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 60)
	good := pngBytes(t, digitImage(9, 8, 6))
	bad := map[int]string{
		13: writeFile(t, dir, "empty.png", nil),
		14: writeFile(t, dir, "truncated.png", good[:len(good)/2]),
		30: writeFile(t, dir, "text.png", []byte("hello")),
		31: filepath.Join(dir, "missing.png"),
	}
	var names []string
	badIndex := map[int]bool{} // in names
	for i, p := range paths {
		if b, ok := bad[i]; ok {
			badIndex[len(names)] = true
			names = append(names, b)
		}
		names = append(names, p)
	}
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprint("ordered=", ordered), func(t *testing.T) {
			// A slow processor: the groups fill while the workers are busy.
			g := &groupRecorder{each: func(*Page) error { time.Sleep(100 * time.Microsecond); return nil }}
			out := filepath.Join(t.TempDir(), "out.jsonl")
			s, err := Run(context.Background(), Files(names...), out, nil, Options{Batch: g.process, BatchSize: 8, Workers: 2, Ordered: ordered})
			if err != nil {
				t.Fatal(err)
			}
			if s.Done != len(paths) || s.Failed != len(bad) {
				t.Errorf("summary %+v, want %d done, %d failed", s, len(paths), len(bad))
			}
			recs := readRecords(t, out)
			countKeys(t, recs)
			byFile := map[string]Record{}
			for i, r := range recs {
				byFile[r.File] = r
				if ordered && r.File != names[i] {
					t.Fatalf("ordered: record %d is of %s, want %s", i, r.File, names[i])
				}
			}
			for i, p := range paths {
				r := byFile[p]
				if want := fmt.Sprintf(`"%d 8x6"`, i%256); r.Failed() || string(r.Output) != want {
					t.Errorf("%s: output %s, error %v; want %s", p, r.Output, r.Error, want)
				}
			}
			for _, b := range bad {
				if r := byFile[b]; !r.Failed() {
					t.Errorf("%s: no error", b)
				}
			}
			seen, largest := 0, 0
			for _, grp := range g.groups {
				seen += len(grp)
				largest = max(largest, len(grp))
				if len(grp) > 8 {
					t.Errorf("a call of %d pages, more than BatchSize", len(grp))
				}
				for _, i := range grp {
					if i < 0 || i >= len(names) || badIndex[i] {
						t.Errorf("the processor got page of input %d (%s)", i, names[i])
					}
				}
			}
			if seen != len(paths) {
				t.Errorf("the processor saw %d pages, want %d", seen, len(paths))
			}
			if largest < 2 {
				t.Errorf("groups of %d page at most from a source that had them all", largest)
			}
		})
	}
}

// TestRunGroupFailures checks a group in which one page fails and one
// makes the processor panic: those two get their error records, the
// others of the group their outputs.
func TestRunGroupFailures(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 20)
	g := &groupRecorder{each: func(p *Page) error {
		switch p.Index {
		case 4:
			return errors.New("cannot read this one")
		case 9:
			panic("boom")
		}
		return nil
	}}
	out := filepath.Join(dir, "out.jsonl")
	s, err := Run(context.Background(), Files(paths...), out, nil, Options{Batch: g.process, BatchSize: 20, Workers: 1, Ordered: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Done != 18 || s.Failed != 2 {
		t.Errorf("summary %+v, want 18 done, 2 failed", s)
	}
	recs := readRecords(t, out)
	for i, r := range recs {
		switch i {
		case 4:
			if r.Error == nil || *r.Error != "cannot read this one" {
				t.Errorf("record 4: error %v", r.Error)
			}
		case 9:
			if r.Error == nil || *r.Error != "processor panicked: boom" {
				t.Errorf("record 9: error %v", r.Error)
			}
		default:
			if want := fmt.Sprintf(`"%d 8x6"`, i); r.Failed() || string(r.Output) != want {
				t.Errorf("record %d: output %s, error %v; want %s", i, r.Output, r.Error, want)
			}
		}
	}
	// After the panic, the pages of its group were done one by one.
	singles := 0
	for _, grp := range g.groups {
		if len(grp) == 1 {
			singles++
		}
	}
	if singles < 2 {
		t.Errorf("calls %v: want the group of the panic retried page by page", g.groups)
	}
}

// TestRunGroupBytes checks that large files go down the stream one by one
// (groups of about groupBytes), so that workers share them out.
func TestRunGroupBytes(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 1))
	var paths []string
	for i := range 6 {
		g := image.NewGray(image.Rect(0, 0, 220, 220)) // noise: about 48 KB of PNG
		for p := range g.Pix {
			g.Pix[p] = uint8(rng.Uint32())
		}
		b := pngBytes(t, g)
		if len(b) <= groupBytes/2 {
			t.Fatalf("test image of %d bytes, want more than %d", len(b), groupBytes/2)
		}
		paths = append(paths, writeFile(t, dir, fmt.Sprintf("big%d.png", i), b))
	}
	g := &groupRecorder{}
	s, err := Run(context.Background(), Files(paths...), filepath.Join(dir, "out.jsonl"), nil, Options{Batch: g.process, Workers: 1})
	if err != nil || s.Done != 6 {
		t.Fatalf("%+v, %v", s, err)
	}
	for _, grp := range g.groups {
		if len(grp) != 1 {
			t.Errorf("a group of %d large files", len(grp))
		}
	}
}

// TestRunSlowSource feeds a run one input at a time, each only once the
// record of the one before is written: grouping must not wait for inputs
// that are not there.
func TestRunSlowSource(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 10)
	c := make(chan Input)
	sink := &signalSink{written: make(chan struct{}, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		defer close(c)
		for _, p := range paths {
			select {
			case c <- Input{Name: p}:
			case <-ctx.Done():
				return
			}
			select {
			case <-sink.written:
			case <-ctx.Done():
				return
			}
		}
	}()
	g := &groupRecorder{}
	s, err := RunTo(ctx, ChanSource(c), sink, nil, Options{Batch: g.process, BatchSize: 32})
	if err != nil || s.Done != len(paths) {
		t.Fatalf("%+v, %v (a run waiting for a group to fill never ends)", s, err)
	}
	if !slices.Equal(sink.files, paths) {
		t.Errorf("records %v, want %v", sink.files, paths)
	}
}

// signalSink records file names and signals each record as soon as it is
// flushed.
type signalSink struct {
	files   []string
	pending int
	written chan struct{}
}

func (s *signalSink) Write(r *Record) error {
	s.files = append(s.files, r.File)
	s.pending++
	return nil
}

func (s *signalSink) Flush() error {
	for ; s.pending > 0; s.pending-- {
		s.written <- struct{}{}
	}
	return nil
}

// TestRunNoProcessor checks the error for a run given no processor.
func TestRunNoProcessor(t *testing.T) {
	_, err := RunTo(context.Background(), Files(), &memSink{}, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "no processor") {
		t.Errorf("error %v, want one saying there is no processor", err)
	}
}

// TestBatched checks that Batched calls the processor on each page.
func TestBatched(t *testing.T) {
	pages := []*Page{{Gray: digitImage(3, 2, 2)}, {Gray: digitImage(5, 4, 1)}}
	res, errs := make([]Result, 2), make([]error, 2)
	Batched(testProc)(context.Background(), pages, res, errs)
	if errs[0] != nil || errs[1] != nil || res[0].Output != "3 2x2" || res[1].Output != "5 4x1" {
		t.Errorf("results %v, errors %v", res, errs)
	}
}

// TestRunSlowPagesAlone checks that pages that take long are handed to the
// processor one by one (groups of about groupTime), so that the workers
// share them out evenly, and that quick ones are grouped.
func TestRunSlowPagesAlone(t *testing.T) {
	dir := t.TempDir()
	paths := writePNGs(t, dir, 40)
	for _, tc := range []struct {
		name    string
		sleep   time.Duration
		grouped bool
	}{
		{"slow", 2 * groupTime, false},
		{"quick", groupTime / 100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names := paths
			if !tc.grouped {
				names = paths[:12]
			}
			g := &groupRecorder{each: func(*Page) error { time.Sleep(tc.sleep); return nil }}
			s, err := Run(context.Background(), Files(names...), filepath.Join(t.TempDir(), "out.jsonl"), nil, Options{Batch: g.process, Workers: 2})
			if err != nil || s.Done != len(names) {
				t.Fatalf("%+v, %v", s, err)
			}
			largest := 0
			for _, grp := range g.groups {
				largest = max(largest, len(grp))
			}
			if tc.grouped != (largest > 1) {
				t.Errorf("groups %v", g.groups)
			}
		})
	}
}

// TestGroupSize checks the size of the groups of pages against the time a
// page takes.
func TestGroupSize(t *testing.T) {
	for _, tc := range []struct {
		batchSize int
		page      time.Duration // 0: not known yet
		want      int
	}{
		{32, 0, 1},
		{32, 2 * groupTime, 1},
		{32, groupTime, 1},
		{32, groupTime / 2, 2},
		{32, groupTime / 5, 4},
		{32, groupTime / 31, 16},
		{32, groupTime / 50, 32},
		{20, groupTime / 25, 20},
		{20, groupTime / 16, 16},
		{1, groupTime / 100, 1},
	} {
		r := &run{opt: Options{BatchSize: tc.batchSize}}
		r.pageNanos.Store(int64(tc.page))
		if got := r.groupSize(); got != tc.want {
			t.Errorf("BatchSize %d, %v a page: groups of %d, want %d", tc.batchSize, tc.page, got, tc.want)
		}
	}
	// The average follows the groups done.
	r := &run{opt: Options{BatchSize: 32}}
	r.timed(4, 4*groupTime) // a slow start
	if got := r.groupSize(); got != 1 {
		t.Errorf("after a slow start: groups of %d, want 1", got)
	}
	for range 30 {
		r.timed(32, groupTime/2)
	}
	if got := r.groupSize(); got != 32 {
		t.Errorf("after groups of 32 pages in %v: groups of %d, want 32", groupTime/2, got)
	}
}
