package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/gtn"
)

// testMNIST returns MNIST's test digits, or skips without them.
func testMNIST(t *testing.T) *datasets.MNIST {
	t.Helper()
	dir, err := datasets.MNISTDir("")
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	m, err := datasets.LoadMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// genCheck returns a generated check (or its amount field), or skips
// without MNIST.
func genCheck(t *testing.T, field bool, seed uint64) *datasets.Check {
	t.Helper()
	m := testMNIST(t)
	cfg := datasets.DefaultChecks()
	cfg.FieldOnly = field
	c, err := datasets.NewChecks(m, 1, seed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c.Check(0)
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// grayFunc returns a w×h grey image whose pixel (x, y) is f(x, y).
func grayFunc(w, h int, f func(x, y int) uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g.Pix[y*g.Stride+x] = f(x, y)
		}
	}
	return g
}

// gtnRead runs gtn read and parses its lines.
func gtnRead(t *testing.T, args ...string) (int, []map[string]any, string) {
	t.Helper()
	code, out, errs := runGTN(t, "", append([]string{"read"}, args...)...)
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return code, recs, errs
}

// TestReadRobustness reads hard inputs with the default check reader:
// rotated, faint, blank, tiny and huge images, a photograph that is not a
// check, a truncated file. Each gets one record, in order: an error for
// the files that cannot be read, never a crash, and on a blank image a
// rejection without an amount.
func TestReadRobustness(t *testing.T) {
	ck := genCheck(t, false, 3)
	dir := t.TempDir()
	w, h := ck.Image.Rect.Dx(), ck.Image.Rect.Dy()
	at := func(x, y int) uint8 { return ck.Image.Pix[y*ck.Image.Stride+x] }
	rng := rand.New(rand.NewPCG(1, 2))
	files := []struct {
		name  string
		img   image.Image
		error bool // a record with an error
		blank bool // must be rejected without an amount
	}{
		{"check.png", ck.Image, false, false},
		{"rotated.png", grayFunc(h, w, func(x, y int) uint8 { return at(y, h-1-x) }), false, false},
		{"faint.png", grayFunc(w, h, func(x, y int) uint8 { return 230 + at(x, y)/10 }), false, false},
		{"blank.png", grayFunc(w, h, func(x, y int) uint8 { return 250 }), false, true},
		{"tiny.png", grayFunc(1, 1, func(x, y int) uint8 { return 0 }), false, true},
		{"sliver.png", grayFunc(5, 5000, func(x, y int) uint8 { return uint8(255 * (y % 2)) }), false, true},
		{"photo.png", grayFunc(900, 600, func(x, y int) uint8 {
			// Smooth shading, a dark disc and noise: a photograph.
			v := 120 + 80*math.Sin(float64(x)/90)*math.Cos(float64(y)/70)
			if dx, dy := float64(x-500), float64(y-300); dx*dx+dy*dy < 150*150 {
				v -= 90
			}
			return uint8(max(0, min(255, v+rng.NormFloat64()*12)))
		}), false, false},
		{"huge.png", grayFunc(9000, 4000, func(x, y int) uint8 { return 255 }), true, false},
	}
	var names []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		writePNG(t, p, f.img)
		names = append(names, p)
	}
	// A truncated PNG: the first half of the check's file.
	b, err := os.ReadFile(names[0])
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "truncated.png")
	if err := os.WriteFile(trunc, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	names = append(names, trunc)
	files = append(files, struct {
		name  string
		img   image.Image
		error bool
		blank bool
	}{"truncated.png", nil, true, false})

	code, recs, errs := gtnRead(t, names...)
	if code != 1 {
		t.Errorf("exit code %d, want 1 (some files cannot be read); stderr %s", code, errs)
	}
	if len(recs) != len(files) {
		t.Fatalf("%d records for %d files", len(recs), len(files))
	}
	for i, f := range files {
		r := recs[i]
		if r["file"] != names[i] {
			t.Errorf("record %d is for %v, want %s", i, r["file"], names[i])
		}
		_, hasErr := r["error"]
		if hasErr != f.error {
			t.Errorf("%s: error %v, want an error %v", f.name, r["error"], f.error)
			continue
		}
		if hasErr {
			if r["rejected"] != true {
				t.Errorf("%s: an error record that is not rejected: %v", f.name, r)
			}
			continue
		}
		for _, k := range []string{"text", "digits", "amount", "confidence", "rejected", "energy"} {
			if _, ok := r[k]; !ok {
				t.Errorf("%s: no %q in %v", f.name, k, r)
			}
		}
		if c, ok := r["confidence"].(float64); !ok || c < 0 || c > 1 {
			t.Errorf("%s: confidence %v, want a number in [0, 1]", f.name, r["confidence"])
		}
		if f.blank && (r["rejected"] != true || r["amount"] != nil) {
			t.Errorf("%s: %v, want a rejection without an amount", f.name, r)
		}
	}
}

// TestReadField reads an amount field with --field, and a blank field.
func TestReadField(t *testing.T) {
	ck := genCheck(t, true, 4)
	dir := t.TempDir()
	field, blank := filepath.Join(dir, "field.png"), filepath.Join(dir, "blank.png")
	writePNG(t, field, ck.Image)
	writePNG(t, blank, grayFunc(300, 90, func(x, y int) uint8 { return 245 }))
	code, recs, errs := gtnRead(t, "--field", field, blank)
	if code != 0 || len(recs) != 2 {
		t.Fatalf("exit %d, %d records: %s", code, len(recs), errs)
	}
	if recs[0]["text"] == nil || recs[0]["digits"] == nil {
		t.Errorf("field: %v, want a reading", recs[0])
	}
	if recs[1]["rejected"] != true || recs[1]["amount"] != nil || recs[1]["confidence"] != 0.0 {
		t.Errorf("blank field: %v, want a rejection with confidence 0", recs[1])
	}
	// --threshold 1 rejects every answer that is not certain.
	_, recs, _ = gtnRead(t, "--field", "--threshold", "1.01", field)
	if len(recs) != 1 || recs[0]["rejected"] != true {
		t.Errorf("--threshold 1.01: %v, want rejected", recs)
	}
}

// TestReadCalibrate chooses a threshold on labelled fields, writes it to
// a model, and checks that reading with that model uses it.
func TestReadCalibrate(t *testing.T) {
	dir := t.TempDir()
	var labels strings.Builder
	labels.WriteString("file\ttext\n")
	for i := range 4 {
		ck := genCheck(t, true, uint64(10+i))
		name := filepath.Join(dir, "f"+string(rune('a'+i))+".png")
		writePNG(t, name, ck.Image)
		labels.WriteString(filepath.Base(name) + "\t" + ck.Text + "\tmore\tcolumns\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "labels.tsv"), []byte(labels.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model.msgpack")
	code, out, errs := runGTN(t, "", "read", "--field", "--calibrate", dir, "--max-errors", "0", "--out", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "| threshold | correct | errors | rejected |") {
		t.Errorf("no table in %q", out)
	}
	m, err := gtn.LoadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	r, err := loadReader("", model, true)
	if err != nil {
		t.Fatal(err)
	}
	key := thresholdKey(r.p)
	if m.Meta[key] == "" || m.Meta[metaCalib+":"+r.p.Spec.Name] == "" {
		t.Fatalf("model metadata %v: no %s", m.Meta, key)
	}
	if got := strconv.FormatFloat(r.threshold, 'g', -1, 64); got != m.Meta[key] {
		t.Errorf("reader threshold %s, want the model's %s", got, m.Meta[key])
	}
	// The embedded model is the full-check reader's: calibrating the field
	// reader keeps what only the full-check reader uses (its zone energy)
	// and the other thresholds.
	full, err := gtn.LoadModel("../../models/checks/amount.msgpack")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Params) != len(full.Params) {
		t.Errorf("%d parameters after calibration, %d before", len(m.Params), len(full.Params))
	}
	for k, v := range full.Meta {
		if k != key && !strings.HasSuffix(k, ":"+r.p.Spec.Name) && m.Meta[k] != v {
			t.Errorf("metadata %s = %q after calibration, %q before", k, m.Meta[k], v)
		}
	}
	// A model without the zone energy, calibrated with the full-check
	// reader: the pipeline's own zone energy is written with it.
	partial := &gtn.Model{Meta: full.Meta}
	for _, q := range full.Params {
		if !strings.HasPrefix(q.Name, "field/") {
			partial.Params = append(partial.Params, q)
		}
	}
	in, out2 := filepath.Join(dir, "partial.msgpack"), filepath.Join(dir, "out.msgpack")
	if err := gtn.SaveModel(in, partial); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runGTN(t, "", "read", "--calibrate", dir, "--model", in, "--out", out2); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got, err := gtn.LoadModel(out2)
	if err != nil {
		t.Fatal(err)
	}
	if len(partial.Params) == len(full.Params) || len(got.Params) != len(full.Params) {
		t.Errorf("%d parameters written from a model of %d (the pipeline has %d)", len(got.Params), len(partial.Params), len(full.Params))
	}
}

// TestReadUsage checks the usage errors and the help.
func TestReadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"read"},
		{"read", "--split", "half", "x.png"},
		{"read", "--calibrate", "dir", "x.png"},
		{"read", "--no-such-flag", "x.png"},
	} {
		if code, _, _ := runGTN(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	code, _, errs := runGTN(t, "", "read", "-h")
	if code != 0 || !strings.Contains(errs, "Examples:") || !strings.Contains(errs, "Exit codes") {
		t.Errorf("read -h: exit %d, %q", code, errs)
	}
}

// TestIsCorrect checks the criterion of the reject table on the labels
// of generated checks (text, digits, amount) and of ORAND-CAR-A (digits).
func TestIsCorrect(t *testing.T) {
	str := func(s string) *string { return &s }
	rd := func(text, digits, amount string) reading {
		r := reading{Text: str(text), Digits: str(digits)}
		if amount != "" {
			r.Amount = str(amount)
		}
		return r
	}
	tests := []struct {
		label string
		rd    reading
		want  bool
	}{
		{"$1,234.56\t123456\t1234.56\t1\t2\t3\t4\tus", rd("$1,234.56", "123456", "1234.56"), true},
		{"$770=\t770\t770\t1\t2\t3\t4\tlatin", rd("770=", "770", "770.00"), true}, // the amount's value counts
		{"$75 50/100\t7550\t75.50", rd("$75 50/100", "7550", "75.50"), true},
		{"$1,234.56\t123456\t1234.56", rd("$12,345.6", "123456", ""), false},
		{"2250", rd("2.250.-", "2250", "2250.00"), true}, // digits only
		{"2250", rd("2250", "225", ""), false},
		{"$5", rd("$5", "5", "5.00"), true}, // text only
		{"$5", rd("5", "5", "5.00"), false},
	}
	for _, tt := range tests {
		l := parseLabel(tt.label)
		if got := l.correct(score(l, tt.rd)); got != tt.want {
			t.Errorf("label %q, reading %q: correct %v, want %v", tt.label, *tt.rd.Text, got, tt.want)
		}
	}
}

// TestReadAccuracy reads 30 generated checks and 60 generated amount
// fields (MNIST test digits, both styles, handwriting fonts, seed 31:
// images the model never saw) with the embedded reader, 60 checks with
// the two readers of check-amount-combined.yaml, and the held-out fifth
// of ORAND-CAR-A when GTN_DATA has it, and asserts how many amounts
// (ORAND: digit strings) they read right. Measured with the committed
// models: 30/30 checks, 58/60 fields, 58/60 checks with two readers,
// 158/216 ORAND fields.
func TestReadAccuracy(t *testing.T) {
	m := testMNIST(t)
	generated := func(t *testing.T, n int, field bool) []string {
		cfg := datasets.DefaultChecks()
		cfg.Style, cfg.FieldOnly = datasets.CheckMixed, field
		checks, err := datasets.NewChecks(m, n, 31, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := checks.FontError(); err != nil {
			t.Skipf("the floors were measured with the handwriting fonts: %v", err)
		}
		dir := t.TempDir()
		if err := datasets.WriteChecks(dir, checks, 0, n); err != nil {
			t.Fatal(err)
		}
		return []string{"--calibrate", dir}
	}
	for _, tc := range []struct {
		name  string
		args  func(t *testing.T) []string
		what  string // the line of the report to check
		want  int    // right at least
		total int
	}{
		{"checks", func(t *testing.T) []string { return generated(t, 30, false) }, "exact amount", 26, 30},
		{"fields", func(t *testing.T) []string { return append(generated(t, 60, true), "--field") }, "exact amount", 56, 60},
		{"checks, two readers combined", func(t *testing.T) []string {
			return append(generated(t, 60, false), "--pipeline", "../../pipelines/check-amount-combined.yaml")
		}, "exact amount", 55, 60},
		{"ORAND-CAR-A", func(t *testing.T) []string {
			dir, err := datasets.ORANDDir("")
			if err != nil {
				t.Skipf("ORAND-CAR-A not available: %v", err)
			}
			return []string{"--calibrate", dir, "--split", "test", "--field"}
		}, "exact digits", 140, 216},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runGTN(t, "", append([]string{"read"}, tc.args(t)...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var right, total int
			for _, line := range strings.Split(out, "\n") {
				if rest, ok := strings.CutPrefix(line, tc.what+": "); ok {
					_, frac, _ := strings.Cut(rest, "(")
					if _, err := fmt.Sscanf(frac, "%d/%d)", &right, &total); err != nil {
						t.Fatalf("%q: %v", line, err)
					}
				}
			}
			t.Logf("%s: %d of %d", tc.what, right, total)
			if total != tc.total || right < tc.want {
				t.Errorf("%s: %d of %d, want at least %d of %d", tc.what, right, total, tc.want, tc.total)
			}
		})
	}
}
