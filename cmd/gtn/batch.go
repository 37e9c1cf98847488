package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"slices"

	"github.com/gotn/gotn/batch"
	"github.com/gotn/gotn/internal/progress"
)

// runBatch runs "gtn batch PIPELINE --in DIR|GLOB|- --out FILE".
func runBatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gtn batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model file (default: the weights the pipeline's nodes name)")
	in := fs.String("in", "", "a directory (walked), a glob pattern, or - for a list of files on standard input")
	out := fs.String("out", "", "results, one JSON line per page (appended to; inputs already there are skipped)")
	workers := fs.Int("workers", 0, "pages processed at once (default: all cores)")
	batchSize := fs.Int("batch-size", batch.DefaultBatchSize, "most pages decoded and recognised together (1: one at a time)")
	ordered := fs.Bool("ordered", false, "write records in input order")
	force := fs.Bool("force", false, "redo inputs already in --out")
	quiet := fs.Bool("quiet", false, "no progress line")
	threshold := fs.Float64("threshold", math.NaN(), "answers read by an amount grammar get \"rejected\": true in their output when their confidence is below this (default: the threshold calibrated in --model's metadata by gtn read --calibrate, if any)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (not listed: for benchmarks)")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the run to this file (not listed: for benchmarks)")
	traceFile := fs.String("trace", "", "write an execution trace of the run to this file (not listed: for benchmarks)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: gtn batch PIPELINE --in DIR|GLOB|- --out RESULTS.jsonl [flags]

Runs a pipeline (one image input, a graph output) over many document images (PNG, JPEG,
TIFF with every page, BMP, GIF) with all cores, writing one JSON line per page:
{"file", "page", "pages", "output": {"text", "labels"}, "energy", "confidence", "error",
"milliseconds"}; a pipeline with an amount grammar (pipelines/check-amount.yaml) adds
"digits", "amount" and, given a threshold, "rejected" to the output, as gtn read prints
them. An unreadable file gives a record with its error and the run goes on. An interrupted
run (Ctrl-C, kill) leaves only whole lines (after kill -9 or a power loss a partial last
line may remain, which the next run cuts off); run it again with the same --out to finish
it (--force redoes everything). A summary goes to standard error.

Examples:
  gtn batch pipelines/mnist-lenet5.yaml --in digits/ --out results.jsonl
  find scans -name '*.tif' | gtn batch pipelines/check-amount.yaml --model models/checks/amount.msgpack --in - --out amounts.jsonl

Flags:
`)
		printFlags(fs, "cpuprofile", "memprofile", "trace")
	}
	files, code, ok := parseCommand(fs, args, 1, 1)
	if !ok {
		return code
	}
	if *in == "" || *out == "" {
		fmt.Fprintln(stderr, "gtn batch: want --in and --out")
		fs.Usage()
		return 2
	}
	if *batchSize < 1 || *batchSize > batch.MaxBatchSize {
		fmt.Fprintf(stderr, "gtn batch: --batch-size %d: want 1 to %d\n", *batchSize, batch.MaxBatchSize)
		return 2
	}
	var src batch.Source
	switch info, statErr := os.Stat(*in); {
	case *in == "-":
		src = batch.ListSource(stdin)
	case statErr == nil && info.IsDir():
		src = batch.DirSource(*in)
	default:
		var err error
		if src, err = batch.GlobSource(*in); err != nil {
			fmt.Fprintln(stderr, "gtn batch:", err)
			return 2
		}
	}
	p, meta, err := loadPipelineMeta(files[0], *model)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	bp, err := p.BatchProcessor()
	if err != nil {
		fmt.Fprintln(stderr, "gtn batch:", err)
		return 1
	}
	t, ok := *threshold, !math.IsNaN(*threshold)
	if !ok {
		if t, ok, err = modelThreshold(p, meta); err != nil {
			fmt.Fprintf(stderr, "gtn batch: %s: %v\n", *model, err)
			return 1
		}
	}
	if ok {
		bp = withRejection(bp, t)
	}
	opt := batch.Options{Workers: *workers, Ordered: *ordered, Force: *force, BatchSize: *batchSize, Batch: bp}
	if !*quiet && progress.IsTerminal(stderr) {
		opt.Progress = stderr
	}
	if *cpuProfile != "" {
		stopProfile, err := startRecording(*cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
		if err != nil {
			fmt.Fprintln(stderr, "gtn batch:", err)
			return 1
		}
		defer stopProfile()
	}
	if *traceFile != "" {
		stopTrace, err := startRecording(*traceFile, trace.Start, trace.Stop)
		if err != nil {
			fmt.Fprintln(stderr, "gtn batch:", err)
			return 1
		}
		defer stopTrace()
	}
	ctx, stop := interruptible()
	defer stop()
	sum, err := batch.Run(ctx, src, *out, nil, opt)
	if *memProfile != "" {
		if perr := writeHeapProfile(*memProfile); perr != nil {
			fmt.Fprintln(stderr, "gtn batch:", perr)
		}
	}
	fmt.Fprintln(stderr, sum)
	if err != nil {
		fmt.Fprintln(stderr, "gtn batch:", err)
		return 1
	}
	if sum.Failed > 0 {
		return 1
	}
	return 0
}

// withRejection adds "rejected" to the outputs of bp that are read by an
// amount grammar (a map of fields) or hold no answer: true when there is
// no answer or its confidence is below threshold, as gtn read judges it.
func withRejection(bp batch.BatchProcessor, threshold float64) batch.BatchProcessor {
	return func(ctx context.Context, pages []*batch.Page, res []batch.Result, errs []error) {
		bp(ctx, pages, res, errs)
		for i := range res {
			if m, ok := res[i].Output.(map[string]any); ok && errs[i] == nil && res[i].Confidence != nil {
				m["rejected"] = m["text"] == nil || rejected(*res[i].Confidence, threshold)
			}
		}
	}
}

// printFlags prints the defaults of fs's flags but the hidden ones.
func printFlags(fs *flag.FlagSet, hidden ...string) {
	all := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	all.SetOutput(fs.Output())
	fs.VisitAll(func(f *flag.Flag) {
		if !slices.Contains(hidden, f.Name) {
			all.Var(f.Value, f.Name, f.Usage)
			all.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	all.PrintDefaults()
}

// startRecording starts writing a CPU profile (pprof.StartCPUProfile,
// pprof.StopCPUProfile) or an execution trace (trace.Start, trace.Stop)
// to path; stop ends it and closes the file.
func startRecording(path string, start func(io.Writer) error, end func()) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		end()
		f.Close()
	}, nil
}

// writeHeapProfile writes the allocations made so far to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stdoutSink prints gtn run's records: {"file", "page"?, "text", "labels",
// "energy", "confidence"} or {"file", "error"}.
type stdoutSink struct {
	enc    *json.Encoder
	failed bool
}

func (s *stdoutSink) Write(r *batch.Record) error {
	rec := map[string]any{"file": r.File}
	if r.Pages > 1 {
		rec["page"] = r.Page
	}
	if r.Error != nil {
		s.failed = true
		rec["error"] = *r.Error
		return s.enc.Encode(rec)
	}
	var out map[string]any
	if err := json.Unmarshal(r.Output, &out); err != nil {
		return err
	}
	for k, v := range out {
		rec[k] = v
	}
	rec["energy"], rec["confidence"] = r.Energy, r.Confidence
	return s.enc.Encode(rec)
}

func (s *stdoutSink) Flush() error { return nil }
