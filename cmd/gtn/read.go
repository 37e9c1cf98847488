package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gotn/gotn/amount"
	"github.com/gotn/gotn/batch"
	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/models"
	"github.com/gotn/gotn/pipelines"
)

// A defaultReader is one of gtn read's default pipelines, embedded in the
// binary: a pipeline file of pipelines.Files and the model file of
// models.ReaderFiles whose metadata holds its calibrated reject
// threshold (MetaThreshold).
type defaultReader struct{ pipeline, model string }

// The default readers of full checks and of amount fields.
var (
	defaultCheckReader = defaultReader{"check-amount.yaml", "checks/amount.msgpack"}
	defaultFieldReader = defaultReader{"check-amount-field.yaml", "checks/amount.msgpack"}
)

// Model metadata written by gtn read --calibrate, each followed by ":" and
// the name of the pipeline calibrated (one model serves several readers).
const (
	// MetaThreshold is the reject threshold: answers whose confidence is
	// below it are rejected. Without the pipeline's name, it serves any.
	MetaThreshold = "reject_threshold"
	metaMaxErrors = "reject_max_errors"
	metaCalib     = "reject_calibration"
)

// readMaxPixels bounds the images gtn read decodes: a 600 dpi scan of a
// check (about 5,100×2,100) is a third of it.
const readMaxPixels = 1 << 25

// runRead runs "gtn read IMAGE...".
func runRead(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gtn read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	field := fs.Bool("field", false, "the images are already cropped to the amount field")
	pipe := fs.String("pipeline", "", "pipeline file (default: the embedded check reader, or field reader with --field)")
	model := fs.String("model", "", "model file: the weights of the pipeline's nodes it holds (default: the weights the pipeline's nodes name)")
	threshold := fs.Float64("threshold", math.NaN(), "reject answers whose confidence is below this (default: the model's calibrated threshold, else 0)")
	workers := fs.Int("workers", 0, "images read at once (default: all cores)")
	calibrate := fs.String("calibrate", "", "instead of reading, choose the reject threshold on the labelled images of this directory (labels.tsv)")
	split := fs.String("split", "all", "with --calibrate: all, train (four fifths) or test (the held-out fifth)")
	maxErrors := fs.Float64("max-errors", 0.01, "with --calibrate: the largest fraction of errors among all reads")
	out := fs.String("out", "", "with --calibrate: write the model read (--model, the embedded one, or else the pipeline's weights) with the threshold in its metadata to this file")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: gtn read [--field] [--threshold T] [--pipeline FILE] [--model FILE] IMAGE...
       gtn read --calibrate DIR [--split S] [--max-errors E] [--out MODEL] [--field] [--pipeline FILE] [--model FILE]

Reads the courtesy amount of check images (PNG, JPEG, TIFF with every page, BMP, GIF) and
prints one JSON line per image, in order:
  {"file", "text", "digits", "amount", "confidence", "rejected", "energy"}
text is what was read, punctuation included ("$1,234.56"); digits its digits ("123456");
amount the value with two decimals ("1234.56"), null when the pipeline's grammar gives none;
confidence the posterior of the answer among all interpretations (of its amount, whatever
the currency sign, separators and closing marks, when the grammar reads amounts); rejected
is true when the confidence is under the threshold, or when nothing in the image reads as an
amount. A file that cannot be read gives a record with its "error" (rejected, the other
fields null); the others are still read.

The default pipelines and model are built into the binary: full checks (the amount field is
located first) or, with --field, images already cropped to the amount field; --pipeline and
--model override them. The default threshold is the one calibrated for the model: the lowest
that kept errors at or under --max-errors of all reads on labelled validation images.
--calibrate chooses it on a directory of labelled images (labels.tsv: file<TAB>text, and
optionally <TAB>digits<TAB>amount as gtn gen checks writes them; a label of digits only is
compared with the digits read): it prints the exact text, digits and amount rates and the
correct/error/reject table (an answer is correct when its amount is, else its digits, else
its text), and with --out writes the model with the threshold.

Examples:
  gtn read testdata/checks/*.png
  gtn read --field --threshold 0.9 field.png
  gtn read --pipeline pipelines/check-amount-field.yaml --model amount.msgpack field.png
  gtn read --calibrate $GTN_DATA/orand-car-a --split train --field --out orand-hos.msgpack

Exit codes: 0 every image read (answers may be rejected), 1 some image could not be read,
2 usage error.

Flags:
`)
		fs.PrintDefaults()
	}
	files, code, ok := parseCommand(fs, args, 0, -1)
	if !ok {
		return code
	}
	if (*calibrate == "") == (len(files) == 0) {
		if *calibrate == "" {
			fmt.Fprintln(stderr, "gtn read: no image given")
		} else {
			fmt.Fprintln(stderr, "gtn read: --calibrate takes no image arguments")
		}
		fs.Usage()
		return 2
	}
	if *split != "all" && *split != "train" && *split != "test" {
		fmt.Fprintf(stderr, "gtn read: --split %q: want all, train or test\n", *split)
		return 2
	}
	if !(*maxErrors >= 0 && *maxErrors <= 1) {
		fmt.Fprintf(stderr, "gtn read: --max-errors %g: want a fraction in [0, 1]\n", *maxErrors)
		return 2
	}
	r, err := loadReader(*pipe, *model, *field)
	if err != nil {
		fmt.Fprintln(stderr, "gtn read:", err)
		return 1
	}
	if !math.IsNaN(*threshold) {
		r.threshold = *threshold
	}
	if *calibrate != "" {
		return runCalibrate(r, *calibrate, *split, *maxErrors, *workers, *out, stdout, stderr)
	}
	sink := &readSink{enc: json.NewEncoder(stdout)}
	ctx, stop := interruptible()
	defer stop()
	opt := batch.Options{Workers: *workers, Ordered: true, Force: true, MaxPixels: readMaxPixels}
	if _, err := batch.RunTo(ctx, batch.Files(files...), sink, r.processor(), opt); err != nil {
		fmt.Fprintln(stderr, "gtn read:", err)
		return 1
	}
	if sink.failed {
		return 1
	}
	return 0
}

// reader is a loaded reading pipeline.
type reader struct {
	p         *pipelines.Pipeline
	threshold float64
	model     *gtn.Model // the model file read (--model or the embedded one), or nil
	tapes     sync.Pool
}

// loadReader loads the pipeline (the embedded default when file is "")
// and the model, and takes the reject threshold from the model's
// metadata.
func loadReader(file, model string, field bool) (*reader, error) {
	r := &reader{tapes: sync.Pool{New: func() any { return gtn.NewTape(nil) }}}
	var err error
	if file == "" {
		d := defaultCheckReader
		if field {
			d = defaultFieldReader
		}
		r.p, r.model, err = loadDefault(d)
	} else {
		r.p, err = pipelines.Load(file, pipelines.DefaultRegistry())
	}
	if err != nil {
		return nil, err
	}
	if len(r.p.Spec.Inputs) != 1 || r.p.Spec.Inputs[0].Type != pipelines.ImageType || r.p.OutputType() != pipelines.GraphType {
		return nil, fmt.Errorf("%s: gtn read needs a pipeline with one image input and a graph output", r.p.Spec.File)
	}
	if model != "" {
		// Any model of the reader's nodes: a field reader's model serves
		// the full-check reader too (see loadWeights).
		m, err := gtn.LoadModel(model)
		if err != nil {
			return nil, err
		}
		if err := loadWeights(r.p, m, model); err != nil {
			return nil, err
		}
		r.model = m
	}
	var meta map[string]string
	if r.model != nil {
		meta = r.model.Meta
	}
	if r.threshold, _, err = modelThreshold(r.p, meta); err != nil {
		return nil, err
	}
	return r, nil
}

// rejected reports whether an answer of confidence conf is rejected at
// threshold t: when it is below t, or NaN.
func rejected(conf, t float64) bool { return !(conf >= t) }

// modelThreshold returns the reject threshold calibrated for pipeline p
// that a model's metadata holds (the pipeline's own, else a general one);
// ok is false when it holds none.
func modelThreshold(p *pipelines.Pipeline, meta map[string]string) (threshold float64, ok bool, err error) {
	key := thresholdKey(p)
	s := meta[key]
	if s == "" {
		key, s = MetaThreshold, meta[MetaThreshold]
	}
	if s == "" {
		return 0, false, nil
	}
	if threshold, err = strconv.ParseFloat(s, 64); err != nil {
		return 0, false, fmt.Errorf("the model's %s, %q, is not a number", key, s)
	}
	return threshold, true, nil
}

// thresholdKey is the metadata key of the reject threshold calibrated for
// pipeline p ("reject_threshold:check-amount"): one model serves several
// readers (full checks, fields), each with its own threshold.
func thresholdKey(p *pipelines.Pipeline) string { return MetaThreshold + ":" + p.Spec.Name }

// loadDefault loads an embedded default pipeline: its file, the grammars
// and the models are written to a temporary directory laid out as the
// repository (pipelines/, models/), which is removed once the pipeline
// has read them.
func loadDefault(d defaultReader) (*pipelines.Pipeline, *gtn.Model, error) {
	dir, err := os.MkdirTemp("", "gtn-read-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	copyTree := func(src fs.FS, root, dst string) error {
		return fs.WalkDir(src, root, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := fs.ReadFile(src, p)
			if err != nil {
				return err
			}
			to := filepath.Join(dst, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return err
			}
			return os.WriteFile(to, b, 0o644)
		})
	}
	pdir := filepath.Join(dir, "pipelines")
	if err := copyTree(pipelines.Files(), d.pipeline, pdir); err != nil {
		return nil, nil, fmt.Errorf("embedded pipeline: %w", err)
	}
	if err := copyTree(pipelines.Files(), "grammars", pdir); err != nil {
		return nil, nil, fmt.Errorf("embedded grammars: %w", err)
	}
	if err := copyTree(models.ReaderFiles(), ".", filepath.Join(dir, "models")); err != nil {
		return nil, nil, fmt.Errorf("embedded models: %w", err)
	}
	data, err := fs.ReadFile(pipelines.Files(), d.pipeline)
	if err != nil {
		return nil, nil, err
	}
	sp, err := pipelines.ParseSpec(path.Join("pipelines", d.pipeline)+" (embedded)", pdir, data)
	if err != nil {
		return nil, nil, err
	}
	p, err := pipelines.Assemble(sp, pipelines.DefaultRegistry())
	if err != nil {
		return nil, nil, err
	}
	// The pipeline's nodes have loaded their weights from the model it
	// names (d.model); its metadata holds the reject thresholds.
	f, err := models.ReaderFiles().Open(d.model)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded model: %w", err)
	}
	defer f.Close()
	m, err := gtn.ReadModel(f, d.model)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded model: %w", err)
	}
	return p, m, nil
}

// withMissing returns params followed by those of extra whose names are
// not among them.
func withMissing(params, extra []*gtn.Param) []*gtn.Param {
	have := map[string]bool{}
	for _, q := range params {
		have[q.Name] = true
	}
	out := slices.Clone(params)
	for _, q := range extra {
		if !have[q.Name] {
			out = append(out, q)
		}
	}
	return out
}

// loadWeights copies into p's parameters (named by node, "recog/c1.weight")
// those of m with the same names, so that one model serves the pipelines
// that share its nodes (a field reader's model in the full-check reader,
// whose field locator keeps its own weights). A parameter with more
// classes (rows) than the model's takes the model's rows and, for the
// others, copies of its last one: the mark class of a digit reader
// (ORAND-CAR-A's punctuation and rules) stands for each of the amount's
// symbols. At least one parameter must be found.
func loadWeights(p *pipelines.Pipeline, m *gtn.Model, name string) error {
	byName := map[string]*gtn.Param{}
	for _, q := range m.Params {
		byName[q.Name] = q
	}
	found := 0
	for _, dst := range p.NamedParams() {
		src, ok := byName[dst.Name]
		if !ok {
			continue
		}
		found++
		if dst.Value.SameShape(src.Value) {
			copy(dst.Value.Data, src.Value.Data)
			continue
		}
		ds, ss := dst.Value.Shape, src.Value.Shape
		same := len(ds) == len(ss) && len(ds) > 0 && ss[0] > 0 && ss[0] < ds[0]
		for i := 1; same && i < len(ds); i++ {
			same = ds[i] == ss[i]
		}
		if !same {
			return fmt.Errorf("%s: parameter %s has shape %v, the pipeline's %v", name, dst.Name, ss, ds)
		}
		row := src.Value.Len() / ss[0]
		n := copy(dst.Value.Data, src.Value.Data)
		last := src.Value.Data[n-row:]
		for ; n < len(dst.Value.Data); n += row {
			copy(dst.Value.Data[n:], last)
		}
	}
	if found == 0 {
		return fmt.Errorf("%s: none of the pipeline's parameters is in the model", name)
	}
	return nil
}

// reading is what gtn read says about one image (without its file).
type reading struct {
	Text       *string  `json:"text"`
	Digits     *string  `json:"digits"`
	Amount     *string  `json:"amount"`
	Confidence *float64 `json:"confidence"`
	Rejected   bool     `json:"rejected"`
	Energy     *float64 `json:"energy"`
}

// read runs the pipeline on one image. An image in which nothing reads as
// an answer (no interpretation: a blank image, a grammar that accepts
// none of the readings) is rejected with confidence 0.
func (r *reader) read(im *pipelines.Image) (reading, error) {
	tp := r.tapes.Get().(*gtn.Tape)
	defer func() {
		tp.Reset()
		r.tapes.Put(tp)
	}()
	out, err := r.p.Run(&pipelines.RunContext{Tape: tp}, im)
	if err != nil {
		return reading{}, err
	}
	zero := 0.0
	ans, err := pipelines.Interpret(out.(*gtn.GraphVar).G, r.p.Symbols)
	if errors.Is(err, graphs.ErrNoPath) {
		return reading{Confidence: &zero, Rejected: true}, nil
	}
	if err != nil {
		return reading{}, err
	}
	text := strings.ReplaceAll(ans.Text, " ", "")
	digits := strings.Map(func(c rune) rune {
		if c >= '0' && c <= '9' {
			return c
		}
		return -1
	}, text)
	rd := reading{Text: &text, Digits: &digits, Energy: &ans.Energy}
	fields, err := r.p.ReadAnswer(ans)
	if err != nil {
		return reading{}, err
	}
	for k, v := range fields {
		s, isString := v.(string)
		switch {
		case k == "text" && isString:
			rd.Text = &s
		case k == "digits" && isString:
			rd.Digits = &s
		case k == "amount" && isString:
			rd.Amount = &s
		}
	}
	// The posterior of what the answer means (an amount's value), when
	// the pipeline can tell.
	conf, err := r.p.AnswerConfidence(out.(*gtn.GraphVar).G, ans)
	if err != nil {
		return reading{}, err
	}
	rd.Confidence = &conf
	rd.Rejected = rejected(conf, r.threshold)
	return rd, nil
}

// processor returns the batch processor of gtn read.
func (r *reader) processor() batch.Processor {
	return func(ctx context.Context, pg *batch.Page) (batch.Result, error) {
		im, err := pipelines.FromGray(pg.Gray, pg.File, pg.Page)
		if err != nil {
			return batch.Result{}, err
		}
		rd, err := r.read(im)
		if err != nil {
			return batch.Result{}, err
		}
		return batch.Result{Output: rd}, nil
	}
}

// readSink prints gtn read's records.
type readSink struct {
	enc    *json.Encoder
	failed bool
}

// readRecord is one line of gtn read's output.
type readRecord struct {
	File string `json:"file"`
	Page *int   `json:"page,omitempty"`
	reading
	Error string `json:"error,omitempty"`
}

func (s *readSink) Write(rec *batch.Record) error {
	out := readRecord{File: rec.File}
	if rec.Pages > 1 {
		out.Page = &rec.Page
	}
	if rec.Error != nil {
		s.failed = true
		out.Error = *rec.Error
		out.Rejected = true
	} else if err := json.Unmarshal(rec.Output, &out.reading); err != nil {
		return err
	}
	return s.enc.Encode(out)
}

func (s *readSink) Flush() error { return nil }

// runCalibrate reads the labelled images of dir and chooses the reject
// threshold (gtn read --calibrate).
func runCalibrate(r *reader, dir, split string, maxErrors float64, workers int, out string, stdout, stderr io.Writer) int {
	set, err := datasets.LoadStringImages(dir)
	if err != nil {
		fmt.Fprintln(stderr, "gtn read:", err)
		return 1
	}
	images := set.Images
	if split != "all" {
		images = set.Split(split == "test")
	}
	if len(images) == 0 {
		fmt.Fprintf(stderr, "gtn read: no images in %s (split %s)\n", dir, split)
		return 1
	}
	if workers <= 0 {
		workers = max(1, min(len(images), runtime.GOMAXPROCS(0)))
	}
	labels := make([]label, len(images))
	for i, si := range images {
		labels[i] = parseLabel(si.Label)
	}
	outcomes := make([]amount.Outcome, len(images))
	exact := make([][3]bool, len(images)) // text, digits, amount right
	failures := make([]error, len(images))
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				si := images[i]
				rd, err := r.read(&pipelines.Image{Width: si.Width, Height: si.Height, Ink: si.Ink, File: si.File})
				if err != nil {
					failures[i] = err
					continue
				}
				o := amount.Outcome{Answered: rd.Text != nil}
				if o.Answered {
					o.Confidence = *rd.Confidence
					exact[i] = score(labels[i], rd)
					o.Correct = labels[i].correct(exact[i])
				}
				outcomes[i] = o
			}
		}()
	}
	for i := range images {
		next <- i
	}
	close(next)
	wg.Wait()
	failed := 0
	for i, err := range failures {
		if err != nil {
			failed++
			if failed <= 5 {
				fmt.Fprintf(stderr, "gtn read: %s: %v\n", images[i].File, err)
			}
		}
	}
	op := amount.Calibrate(outcomes, maxErrors)
	fmt.Fprintf(stdout, "%d images of %s (split %s), %.1f images/s\n", len(images), dir, split, float64(len(images))/time.Since(start).Seconds())
	var right [3]int
	var have [3]int
	for i, l := range labels {
		for k, ok := range []bool{l.text != "", l.digits != "", l.amount != ""} {
			if ok {
				have[k]++
				if exact[i][k] {
					right[k]++
				}
			}
		}
	}
	for k, what := range []string{"text", "digits", "amount"} {
		if have[k] > 0 {
			fmt.Fprintf(stdout, "exact %s: %.2f%% (%d/%d)\n", what, 100*float64(right[k])/float64(have[k]), right[k], have[k])
		}
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "| threshold | correct | errors | rejected |")
	fmt.Fprintln(stdout, "|---|---|---|---|")
	for _, t := range []float64{0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999} {
		p := amount.At(outcomes, t)
		fmt.Fprintf(stdout, "| %g | %.2f%% | %.2f%% | %.2f%% |\n", t, 100*p.Correct, 100*p.Errors, 100*p.Rejected)
	}
	fmt.Fprintf(stdout, "| **%.6g** (errors <= %g%% here) | %.2f%% | %.2f%% | %.2f%% |\n", op.Threshold, 100*maxErrors, 100*op.Correct, 100*op.Errors, 100*op.Rejected)
	if r.threshold > 0 {
		p := amount.At(outcomes, r.threshold)
		fmt.Fprintf(stdout, "| %.6g (the model's) | %.2f%% | %.2f%% | %.2f%% |\n", r.threshold, 100*p.Correct, 100*p.Errors, 100*p.Rejected)
	}
	if out != "" {
		meta := map[string]string{}
		if r.model != nil {
			for k, v := range r.model.Meta {
				meta[k] = v
			}
		}
		key := thresholdKey(r.p)
		meta[key] = strconv.FormatFloat(op.Threshold, 'g', -1, 64)
		meta[metaMaxErrors+":"+r.p.Spec.Name] = strconv.FormatFloat(maxErrors, 'g', -1, 64)
		meta[metaCalib+":"+r.p.Spec.Name] = fmt.Sprintf("%s split %s: %d images, %.2f%% correct, %.2f%% errors, %.2f%% rejected", filepath.Base(dir), split, len(images), 100*op.Correct, 100*op.Errors, 100*op.Rejected)
		var err error
		if r.model == nil {
			err = r.p.SaveModel(out, meta)
		} else {
			// The model read, whole (a full-check reader's model keeps its
			// zone energy when the field reader is calibrated), with the
			// pipeline's parameters that it lacks.
			err = gtn.SaveModel(out, &gtn.Model{Meta: meta, Params: withMissing(r.model.Params, r.p.NamedParams())})
		}
		if err != nil {
			fmt.Fprintln(stderr, "gtn read:", err)
			return 1
		}
		fmt.Fprintf(stdout, "\nthreshold written to %s\n", out)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "gtn read: %d images failed (counted as rejected)\n", failed)
		return 1
	}
	return 0
}

// A label is the truth of a calibration image: the text as written, and,
// when labels.tsv has them, the digits and the amount (gtn gen checks'
// columns text, digits, amount, ...). A label of digits only (ORAND-CAR-A)
// is its digits.
type label struct{ text, digits, amount string }

func parseLabel(s string) label {
	cols := strings.Split(s, "\t")
	l := label{text: strings.ReplaceAll(cols[0], " ", "")}
	if len(cols) >= 3 {
		l.digits, l.amount = cols[1], cols[2]
	} else if strings.Trim(l.text, "0123456789") == "" {
		l.digits = l.text
	}
	return l
}

// sameAmount compares two decimal strings by value ("770" = "770.00").
func sameAmount(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// score says what a reading got right: the text as written, the digits and
// the amount, each false when the label does not give it.
func score(l label, rd reading) [3]bool {
	return [3]bool{
		rd.Text != nil && strings.ReplaceAll(*rd.Text, " ", "") == l.text,
		rd.Digits != nil && *rd.Digits == l.digits,
		rd.Amount != nil && sameAmount(*rd.Amount, l.amount),
	}
}

// correct is the criterion of the reject table, given what a reading got
// right (score): the amount when the label has one, else the digits when
// it has them, else the text.
func (l label) correct(exact [3]bool) bool {
	switch {
	case l.amount != "":
		return exact[2]
	case l.digits != "":
		return exact[1]
	}
	return exact[0]
}
