package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeDigitPNG draws a vertical bar (a "1"-like stroke) as dark ink on
// white paper.
func writeDigitPNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 40, 40))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 8; y < 32; y++ {
		for x := 18; x < 22; x++ {
			img.SetGray(x, y, color.Gray{Y: 0})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestBatchAndRunImages runs an image pipeline (an untrained LeNet-5: the
// answers do not matter here, the records do) over a folder with a corrupt
// file, then reruns it to check that nothing is done twice.
func TestBatchAndRunImages(t *testing.T) {
	dir := t.TempDir()
	syms, _ := filepath.Abs("../../pipelines/grammars/digits.syms")
	pipe := filepath.Join(dir, "p.yaml")
	src := "pipeline: t\ninput: image\nnodes:\n  in: {use: digit-input, from: image}\n  net: {use: recognizer, from: in, arch: lenet5, classes: 10}\n  g: {use: class-graph, from: net}\noutput: g\nsymbols: " + syms + "\n"
	if err := os.WriteFile(pipe, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	imgs := filepath.Join(dir, "images")
	if err := os.Mkdir(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a.png", "b.png", "c.png"} {
		writeDigitPNG(t, filepath.Join(imgs, n))
	}
	if err := os.WriteFile(filepath.Join(imgs, "broken.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "res.jsonl")
	code, _, errs := runGTN(t, "", "batch", pipe, "--in", imgs, "--out", out, "--ordered", "--quiet")
	if code != 1 {
		t.Errorf("exit %d, want 1 (one input failed); stderr %s", code, errs)
	}
	recs := readRecords(t, out)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	failed := 0
	for _, r := range recs {
		if r["error"] != nil {
			failed++
			if !strings.HasSuffix(r["file"].(string), "broken.png") {
				t.Errorf("error record for %v", r["file"])
			}
			continue
		}
		text := r["output"].(map[string]any)["text"].(string)
		if len(text) != 1 || r["confidence"] == nil {
			t.Errorf("record %v", r)
		}
	}
	if failed != 1 {
		t.Errorf("%d error records, want 1", failed)
	}
	// A rerun does nothing new.
	runGTN(t, "", "batch", pipe, "--in", imgs, "--out", out, "--quiet")
	if n := len(readRecords(t, out)); n != 4 {
		t.Errorf("after a rerun: %d records, want 4", n)
	}
	// Page by page (--batch-size 1), the same records but the times.
	out1 := filepath.Join(dir, "res1.jsonl")
	runGTN(t, "", "batch", pipe, "--in", imgs, "--out", out1, "--ordered", "--quiet", "--batch-size", "1")
	recs1 := readRecords(t, out1)
	if len(recs1) != len(recs) {
		t.Fatalf("--batch-size 1: %d records, want %d", len(recs1), len(recs))
	}
	for i := range recs {
		delete(recs[i], "milliseconds")
		delete(recs1[i], "milliseconds")
		if a, b := fmt.Sprint(recs[i]), fmt.Sprint(recs1[i]); a != b {
			t.Errorf("record %d: %s in groups, %s page by page", i, a, b)
		}
	}
	if code, _, _ := runGTN(t, "", "batch", pipe, "--in", imgs, "--out", out1, "--batch-size", "0"); code != 2 {
		t.Errorf("--batch-size 0: exit %d, want 2", code)
	}
	if code, _, _ := runGTN(t, "", "batch", pipe, "--in", imgs, "--out", out1, "--batch-size", "2305843009213693952"); code != 2 {
		t.Errorf("--batch-size 2^61: exit %d, want 2", code)
	}
	// gtn run prints the same answers, one line per image.
	code, stdout, _ := runGTN(t, "", "run", pipe, filepath.Join(imgs, "a.png"), filepath.Join(imgs, "broken.png"))
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 1 || len(lines) != 2 || !strings.Contains(lines[0], `"text":`) || !strings.Contains(lines[1], `"error":`) {
		t.Errorf("gtn run: exit %d\n%s", code, stdout)
	}
}

func readRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// TestBatchChecksAsRead runs the check reader over the demo checks with
// gtn batch and with gtn read: the same answers, and the same rejections
// at the model's calibrated threshold; --threshold 0 rejects nothing.
func TestBatchChecksAsRead(t *testing.T) {
	demo, err := filepath.Glob("../../testdata/checks/*.png")
	if err != nil || len(demo) == 0 {
		t.Fatalf("no demo checks: %v", err)
	}
	// The demo checks and a blank page, which reads as no answer.
	in := t.TempDir()
	for _, f := range demo {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	blank := image.NewGray(image.Rect(0, 0, 600, 250))
	for i := range blank.Pix {
		blank.Pix[i] = 250
	}
	f, err := os.Create(filepath.Join(in, "blank.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, blank); err != nil {
		t.Fatal(err)
	}
	f.Close()
	checks, _ := filepath.Glob(filepath.Join(in, "*.png"))
	code, readOut, errs := runGTN(t, "", append([]string{"read"}, checks...)...)
	if code != 0 {
		t.Fatalf("gtn read: exit %d: %s", code, errs)
	}
	type answer struct {
		File, Text, Amount string
		Rejected           bool
	}
	read := map[string]answer{}
	for _, line := range strings.Split(strings.TrimSpace(readOut), "\n") {
		var a answer
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("gtn read printed %q: %v", line, err)
		}
		read[filepath.Base(a.File)] = a
	}
	for _, tc := range []struct {
		threshold string
		rejected  func(a answer) bool
	}{
		{"", func(a answer) bool { return a.Rejected }},
		{"0", func(a answer) bool { return a.Text == "" }}, // no answer: always rejected
	} {
		out := filepath.Join(t.TempDir(), "amounts.jsonl")
		args := []string{"batch", "../../pipelines/check-amount.yaml", "--model", "../../models/checks/amount.msgpack", "--in", in, "--out", out, "--quiet"}
		if tc.threshold != "" {
			args = append(args, "--threshold", tc.threshold)
		}
		if code, _, errs := runGTN(t, "", args...); code != 0 {
			t.Fatalf("gtn batch: exit %d: %s", code, errs)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != len(checks) {
			t.Fatalf("%d records for %d checks", len(lines), len(checks))
		}
		for _, line := range lines {
			var rec struct {
				File   string
				Output answer
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
			want := read[filepath.Base(rec.File)]
			want.Rejected = tc.rejected(want)
			if got := rec.Output; got.Text != want.Text || got.Amount != want.Amount || got.Rejected != want.Rejected {
				t.Errorf("threshold %q: %s: batch %+v, read %+v", tc.threshold, rec.File, got, want)
			}
		}
	}
}
