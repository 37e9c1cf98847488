package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reugn/go-streams/extension"

	"github.com/gotn/gotn/internal/progress"
)

// Page is one page of an input, as the processor receives it.
type Page struct {
	// File is the input's name (Input.Name).
	File string
	// Page is the page number in the file, from 0; Pages is the number of
	// pages (1 for every format but TIFF).
	Page, Pages int
	// Index is the position of the input in the source's order, from 0,
	// counting every input the source named (those skipped as already done
	// too), so that it is the same in a resumed run.
	Index int
	// Gray is the page in 8-bit grey levels, 0 black and 255 white (see the
	// function Gray for the conversion from colour); its bounds start at
	// (0, 0) and its Stride is its width. The processor may keep it.
	Gray *image.Gray
}

// Result is what a processor makes of a page.
type Result struct {
	// Output is written as the record's output, as encoding/json encodes
	// it; a value that cannot be encoded gives an error record.
	Output any
	// Energy and Confidence, when not nil, are written as the record's
	// energy and confidence.
	Energy, Confidence *float64
}

// Processor processes one page. The run calls it from Options.Workers
// goroutines at once. An error, or a panic, gives an error record and the
// run goes on; an error after ctx is cancelled gives no record (the page is
// done again when the run is resumed).
type Processor func(ctx context.Context, p *Page) (Result, error)

// BatchProcessor processes several pages in one call, so that a network
// can run them as one batch: it sets res[i] and errs[i] to the outcome of
// pages[i] (the three slices have the same length, res and errs zeroed).
// The run calls it from Options.Workers goroutines at once, with at most
// Options.BatchSize pages. An error gives an error record for its page
// (no record when ctx is cancelled, as for a Processor); a panic makes the
// run call it again on each page alone, so that only the pages that panic
// get error records.
type BatchProcessor func(ctx context.Context, pages []*Page, res []Result, errs []error)

// Batched returns a BatchProcessor that calls proc on each page in turn.
func Batched(proc Processor) BatchProcessor {
	return func(ctx context.Context, pages []*Page, res []Result, errs []error) {
		for i, p := range pages {
			res[i], errs[i] = proc(ctx, p)
		}
	}
}

// Options configures a run. The zero value is usable.
type Options struct {
	// Workers is the number of pages decoded and processed at once, and
	// of inputs read at once; default runtime.GOMAXPROCS(0).
	Workers int
	// Ordered writes the records in input order (pages of a file in page
	// order) instead of completion order.
	Ordered bool
	// Force redoes every input: Run truncates the output; RunTo ignores
	// the records a Resumable sink holds.
	Force bool
	// Progress, if not nil, receives a progress line redrawn ten times a
	// second when it is a terminal, and the summary at the end.
	Progress io.Writer
	// MaxPixels is the size of the largest image decoded, in pixels; a
	// larger one gives an error record. Default DefaultMaxPixels.
	MaxPixels int
	// BatchSize is the most inputs, and pages, that go down the stream
	// together, default DefaultBatchSize. Inputs are grouped as the
	// source gives them, without waiting for more; a worker reads a group
	// of inputs, then decodes and processes a group of pages in one call
	// of the BatchProcessor if there is one. Groups of pages are as large
	// as take a few milliseconds at the pace of the run so far (the first
	// page goes alone to time it), and hold about 64 KiB of image files at
	// most, so that slow pages and large files are shared out among the
	// workers one by one. 1 sends every input and page down on its own.
	BatchSize int
	// Batch, if not nil, processes the pages instead of the Processor
	// given to Run or RunTo, which may then be nil.
	Batch BatchProcessor
}

// DefaultBatchSize is the default of Options.BatchSize.
const DefaultBatchSize = 32

// MaxBatchSize is the largest Options.BatchSize; larger ones are taken as
// this.
const MaxBatchSize = 1024

// groupBytes is the size of the image files beyond which a group of pages
// is not made larger.
const groupBytes = 64 << 10

// groupTime is about the time a group of pages should take to decode and
// process: long enough that handing groups from stage to stage costs
// little, short enough that the workers share the last pages of a run
// evenly.
const groupTime = 10 * time.Millisecond

// Summary counts what a run did.
type Summary struct {
	// Inputs is the number of distinct inputs the source named.
	Inputs int
	// Done and Failed are the records written without and with an error.
	Done, Failed int
	// Skipped is the number of pages of the inputs that already had a
	// record, and Duplicates the number of inputs named again by the
	// source (after the first time), which are not processed again.
	Skipped, Duplicates int
	// Elapsed is the time the run took.
	Elapsed time.Duration
}

// Rate returns the pages written a second: (Done+Failed)/Elapsed.
func (s Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Done+s.Failed) / s.Elapsed.Seconds()
}

// String returns the summary on one line, for example
// "1,200 done, 3 failed, 40 skipped in 0:02 (598 images/s)".
func (s Summary) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s done, %s failed, %s skipped", progress.Commas(s.Done), progress.Commas(s.Failed), progress.Commas(s.Skipped))
	if s.Duplicates > 0 {
		fmt.Fprintf(&sb, ", %s duplicates", progress.Commas(s.Duplicates))
	}
	fmt.Fprintf(&sb, " in %s (%s images/s)", progress.Duration(s.Elapsed), progress.Rate(s.Rate()))
	return sb.String()
}

// Run processes the inputs of src with proc and appends the records to the
// JSON Lines file out (see OpenJSONL), skipping the pages already there
// unless opt.Force. It returns when every input is done; when ctx is
// cancelled, with ctx's error once the pages under way are finished or
// dropped; or on an error of the source or of the output, once the pages
// under way are written (source) or dropped (output). The summary counts
// what was done until then.
func Run(ctx context.Context, src Source, out string, proc Processor, opt Options) (Summary, error) {
	j, err := OpenJSONL(out, !opt.Force)
	if err != nil {
		return Summary{}, err
	}
	s, err := RunTo(ctx, src, j, proc, opt)
	if cerr := j.Close(); err == nil {
		err = cerr
	}
	return s, err
}

// RunTo is Run with any sink. It flushes sink at the end but does not
// close it.
func RunTo(ctx context.Context, src Source, sink Sink, proc Processor, opt Options) (Summary, error) {
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.MaxPixels <= 0 {
		opt.MaxPixels = DefaultMaxPixels
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.BatchSize > MaxBatchSize {
		opt.BatchSize = MaxBatchSize
	}
	bp := opt.Batch
	if bp == nil {
		if proc == nil {
			return Summary{}, errors.New("batch: no processor")
		}
		bp = Batched(proc)
	}
	r := &run{
		src:   src,
		sink:  sink,
		proc:  bp,
		opt:   opt,
		start: time.Now(),
		held:  map[string]*heldFile{},
		seen:  map[string]bool{},

		firstDone: make(chan struct{}),
	}
	if rs, ok := sink.(Resumable); ok && !opt.Force {
		r.hold(rs.Held())
	}
	userCtx := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.ctx, r.cancel = ctx, cancel

	// The stream: feeder → grouper → read (expand) → decode and process
	// (work) → collector, the elements being groups of inputs, of jobs
	// and of records.
	inputs := make(chan *input, 4*opt.BatchSize)
	groups := make(chan any)
	go r.feed(inputs)
	go r.group(inputs, groups)
	c := newCollector(r)
	extension.NewChanSource(groups).
		Via(newFlatPool(r.expand, opt.Workers)).
		Via(newPool(r.work, opt.Workers)).
		To(c)

	s := r.summary()
	if opt.Progress != nil {
		c.clearLine()
		fmt.Fprintln(opt.Progress, s)
	}
	switch {
	case c.err != nil:
		return s, c.err
	case r.srcErr != nil:
		return s, r.srcErr
	case r.interrupted.Load():
		return s, userCtx.Err()
	}
	return s, nil
}

// run is the state of a run.
type run struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	src    Source
	sink   Sink
	proc   BatchProcessor
	opt    Options
	start  time.Time

	// Used by the feeder only, until it closes its channel.
	held   map[string]*heldFile // by jsonName
	seen   map[string]bool      // by jsonName
	srcErr error

	// Counted by the feeder.
	inputs, skipped, duplicates atomic.Int64

	// Counted by the collector.
	done, failed atomic.Int64

	// The time a page takes to decode and process, in nanoseconds, a
	// moving average over the groups done (0 before the first one).
	pageNanos atomic.Int64
	// first is set when the first page of the run is sent down, and
	// firstDone closed when it is done (by doneOnce).
	first     atomic.Bool
	firstDone chan struct{}
	doneOnce  sync.Once

	// Set when the context stopped the feeder or made a page be dropped.
	interrupted atomic.Bool
}

// heldFile is what the sink holds of a file.
type heldFile struct {
	pages int    // from the records; 0 if a record says the file failed whole
	whole bool   // a record with pages 0
	got   []bool // by page, for pages > 0
	n     int    // distinct pages got
}

// hold indexes the keys held by the sink.
func (r *run) hold(keys []Key) {
	for _, k := range keys {
		h := r.held[k.File]
		if h == nil {
			h = &heldFile{}
			r.held[k.File] = h
		}
		if k.Pages <= 0 {
			h.whole = true
			continue
		}
		if k.Page < 0 || k.Page >= k.Pages || k.Pages > maxTIFFPages {
			continue
		}
		if k.Pages > h.pages {
			h.pages = k.Pages
			h.got = slices.Grow(h.got, k.Pages-len(h.got))[:k.Pages]
		}
		if !h.got[k.Page] {
			h.got[k.Page] = true
			h.n++
		}
	}
}

// complete reports whether the sink holds every page of the file.
func (h *heldFile) complete() bool { return h.whole || (h.pages > 0 && h.n >= h.pages) }

// input is an input on its way, numbered.
type input struct {
	Input
	index int    // in the source's order
	seq   int    // among the inputs sent down the stream
	skip  []bool // pages held, or nil
}

// feed reads the source and sends the inputs to be done to out, then
// closes it.
func (r *run) feed(out chan<- *input) {
	defer close(out)
	seq := 0
	for index := 0; ; index++ {
		in, err := r.src.Next(r.ctx)
		if err != nil {
			switch {
			case r.ctx.Err() != nil:
				r.interrupted.Store(true)
			case !errors.Is(err, io.EOF):
				r.srcErr = err
			}
			return
		}
		key := jsonName(in.Name)
		if r.seen[key] {
			r.duplicates.Add(1)
			continue
		}
		r.seen[key] = true
		r.inputs.Add(1)
		it := &input{Input: in, index: index, seq: seq}
		if h := r.held[key]; h != nil {
			if h.complete() {
				r.skipped.Add(int64(max(h.pages, 1)))
				continue
			}
			it.skip = h.got
			r.skipped.Add(int64(h.n))
		}
		select {
		case out <- it:
			seq++
		case <-r.ctx.Done():
			r.interrupted.Store(true)
			return
		}
	}
}

// group sends the inputs of in down the stream in groups of at most
// BatchSize, then closes out. A group holds the inputs waiting when the
// last one went (the stream takes one when a worker is free), so that a
// fast source fills the groups and a slow one is not waited for. Inputs
// are taken a group at a time, not one by one, so that the feeder and
// the grouper do not wake each other for every input.
func (r *run) group(in <-chan *input, out chan<- any) {
	defer close(out)
	size := r.opt.BatchSize
	for {
		first, ok := <-in
		if !ok {
			return
		}
		g := make([]*input, 1, size)
		g[0] = first
	take:
		for len(g) < size {
			select {
			case it, ok := <-in:
				if !ok {
					break take
				}
				g = append(g, it)
			default:
				break take
			}
		}
		out <- g
	}
}

// job is a page to decode and process, or an error to record.
type job struct {
	in          *input
	page, pages int
	n           int // jobs of the input
	data        []byte
	format      format
	ifd         uint32 // TIFF: the page's image directory
	err         error  // record this instead
	ms          float64
	none        bool // nothing to do: keeps the count of the input's jobs
	dropped     bool // with none: the run was cancelled before the input was read
}

// expand reads a group of inputs, splits them into pages and emits these
// in groups of at most groupSize pages and about groupBytes of files (a
// page of a multi-page file counting its share of the file). The first
// page of the run goes alone, and the groups after it wait until it is
// done, so that their size is known.
func (r *run) expand(ins []*input, emit func([]*job)) {
	var (
		cur  []*job
		size int // of the files of cur
	)
	for _, in := range ins {
		for _, j := range r.read(in) {
			if !r.first.Load() && r.first.CompareAndSwap(false, true) {
				emit([]*job{j})
				continue
			}
			select {
			case <-r.firstDone:
			case <-r.ctx.Done():
			}
			n := j.size()
			if len(cur) > 0 && (len(cur) >= r.groupSize() || size+n > groupBytes) {
				emit(cur)
				cur, size = nil, 0
			}
			cur = append(cur, j)
			size += n
		}
	}
	if len(cur) > 0 {
		emit(cur)
	}
}

// size returns the bytes of file of the job's page.
func (j *job) size() int {
	if j.pages > 1 {
		return len(j.data) / j.pages
	}
	return len(j.data)
}

// groupSize returns the number of pages of a group: as many as take about
// groupTime at the pace of the groups done so far, rounded down to a power
// of two (a processor may keep buffers by group size), between 1 and
// BatchSize; 1 until a group is done.
func (r *run) groupSize() int {
	ns := r.pageNanos.Load()
	if ns <= 0 {
		return 1
	}
	n := int64(groupTime) / ns
	switch {
	case n <= 1:
		return 1
	case n >= int64(r.opt.BatchSize):
		return r.opt.BatchSize
	}
	return 1 << (bits.Len64(uint64(n)) - 1)
}

// timed records that a group of n pages took d to decode and process.
func (r *run) timed(n int, d time.Duration) {
	if n <= 0 {
		return
	}
	ns := max(int64(d)/int64(n), 1)
	for {
		old := r.pageNanos.Load()
		v := ns
		if old > 0 {
			v = old + (ns-old)/4 // the last groups weigh most
		}
		if r.pageNanos.CompareAndSwap(old, max(v, 1)) {
			return
		}
	}
}

// read reads an input and splits it into pages.
func (r *run) read(in *input) []*job {
	if r.ctx.Err() != nil {
		r.interrupted.Store(true)
		return []*job{{in: in, n: 1, none: true, dropped: true}}
	}
	start := time.Now()
	fail := func(pages int, err error) []*job {
		return []*job{{in: in, n: 1, pages: pages, err: err, ms: msSince(start)}}
	}
	data, err := in.load()
	switch {
	case err != nil:
		return fail(0, fmt.Errorf("reading: %w", err))
	case len(data) == 0:
		return fail(0, errors.New("empty file"))
	}
	f := sniff(data)
	if f == formatUnknown {
		return fail(0, errNotImage)
	}
	if f != formatTIFF {
		return []*job{{in: in, n: 1, pages: 1, data: data, format: f}}
	}
	ifds, err := tiffPages(data)
	if len(ifds) == 0 {
		return fail(0, fmt.Errorf("decoding tiff: %w", err))
	}
	pages := len(ifds)
	if err != nil {
		pages++ // the last page is the error
	}
	var jobs []*job
	for p, ifd := range ifds {
		if p < len(in.skip) && in.skip[p] {
			continue
		}
		jobs = append(jobs, &job{in: in, page: p, pages: pages, data: data, format: f, ifd: ifd})
	}
	if err != nil && !(len(ifds) < len(in.skip) && in.skip[len(ifds)]) {
		jobs = append(jobs, &job{in: in, page: len(ifds), pages: pages, err: fmt.Errorf("decoding tiff: %w", err), ms: msSince(start)})
	}
	if len(jobs) == 0 {
		return []*job{{in: in, n: 1, none: true}}
	}
	for _, j := range jobs {
		j.n = len(jobs)
	}
	return jobs
}

// msSince returns the milliseconds since t.
func msSince(t time.Time) float64 {
	return float64(time.Since(t).Nanoseconds()) / 1e6
}

// rec is the outcome of a job: a record to write, or none.
type rec struct {
	seq, page, n int
	r            *Record // nil: nothing to write
	dropped      bool    // nothing written because the run was cancelled
}

// work decodes a group of pages and processes them.
func (r *run) work(jobs []*job) []*rec {
	defer r.doneOnce.Do(func() { close(r.firstDone) })
	begin := time.Now()
	out := make([]*rec, len(jobs))
	var (
		pages []*Page
		at    []int // index in jobs of pages[i]
		ms    []float64
	)
	for i, j := range jobs {
		o := &rec{seq: j.in.seq, page: j.page, n: j.n}
		out[i] = o
		switch {
		case j.none:
			o.dropped = j.dropped
			continue
		case r.ctx.Err() != nil:
			r.interrupted.Store(true)
			o.dropped = true
			continue
		}
		o.r = &Record{File: j.in.Name, Page: j.page, Pages: j.pages}
		if j.err != nil {
			o.fail(j.err, j.ms)
			continue
		}
		start := time.Now()
		g, err := decodeGray(j.format, j.data, j.ifd, r.opt.MaxPixels)
		if err != nil {
			o.fail(err, msSince(start))
			continue
		}
		j.data = nil // the pages of a TIFF file share it; the others are done with it
		pages = append(pages, &Page{File: j.in.Name, Page: j.page, Pages: j.pages, Index: j.in.index, Gray: g})
		at = append(at, i)
		ms = append(ms, msSince(start))
	}
	if len(pages) == 0 {
		return out
	}
	start := time.Now()
	res, errs := r.call(pages)
	share := msSince(start) / float64(len(pages))
	r.timed(len(pages), time.Since(begin))
	for k, i := range at {
		o := out[i]
		if err := errs[k]; err != nil {
			if r.ctx.Err() != nil {
				o.r, o.dropped = nil, true // interrupted: done again on resume
				r.interrupted.Store(true)
				continue
			}
			o.fail(err, ms[k]+share)
			continue
		}
		rd := o.r
		if v := res[k].Output; v != nil {
			b, err := json.Marshal(v)
			if err != nil {
				o.fail(fmt.Errorf("encoding the output: %w", err), ms[k]+share)
				continue
			}
			rd.Output = b
		}
		rd.Energy, rd.Confidence = res[k].Energy, res[k].Confidence
		rd.Milliseconds = ms[k] + share
	}
	return out
}

// fail makes the record of o an error record.
func (o *rec) fail(err error, ms float64) {
	msg := err.Error()
	o.r.Error = &msg
	o.r.Output, o.r.Energy, o.r.Confidence = nil, nil, nil
	o.r.Milliseconds = ms
}

// call calls the processor on pages. If it panics, it calls it again on
// each page alone, turning a panic into an error of that page.
func (r *run) call(pages []*Page) ([]Result, []error) {
	res, errs := make([]Result, len(pages)), make([]error, len(pages))
	if err := r.try(pages, res, errs); err == nil || len(pages) == 1 {
		if err != nil {
			res[0], errs[0] = Result{}, err
		}
		return res, errs
	}
	for i := range pages {
		res[i], errs[i] = Result{}, nil
		if err := r.try(pages[i:i+1], res[i:i+1], errs[i:i+1]); err != nil {
			res[i], errs[i] = Result{}, err
		}
	}
	return res, errs
}

// try calls the processor, turning a panic into an error.
func (r *run) try(pages []*Page, res []Result, errs []error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("processor panicked: %v", v)
		}
	}()
	r.proc(r.ctx, pages, res, errs)
	return nil
}

// summary returns the counts of the run so far.
func (r *run) summary() Summary {
	return Summary{
		Inputs:     int(r.inputs.Load()),
		Done:       int(r.done.Load()),
		Failed:     int(r.failed.Load()),
		Skipped:    int(r.skipped.Load()),
		Duplicates: int(r.duplicates.Load()),
		Elapsed:    time.Since(r.start),
	}
}
