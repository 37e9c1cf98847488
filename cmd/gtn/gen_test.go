package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotn/gotn/datasets"
)

func TestGenUsage(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"gen"}, 2, "", "Usage: gtn gen COMMAND"},
		{[]string{"gen", "-h"}, 0, "checks", ""},
		{[]string{"gen", "cheques"}, 2, "", `unknown command "cheques"`},
		{[]string{"gen", "checks", "-h"}, 0, "", "gtn gen checks --out demo --count 2 --from 4 --style latin"},
		{[]string{"gen", "checks"}, 2, "", "want --out DIR"},
		{[]string{"gen", "checks", "--out", "x", "--count", "0"}, 2, "", "--count 0"},
		{[]string{"gen", "checks", "--out", "x", "--style", "french"}, 2, "", `style "french"`},
		{[]string{"gen", "checks", "--out", "x", "--dpi", "5000"}, 2, "", "resolutions"},
		{[]string{"gen", "checks", "--out", "x", "--split", "val"}, 2, "", "--split"},
		{[]string{"gen", "checks", "--out", "x", "extra"}, 2, "", "Usage: gtn gen checks"},
		{[]string{"help"}, 0, "gtn gen checks", ""},
		{[]string{"gen", "strings", "-h"}, 0, "", "gtn gen strings --out five"},
		{[]string{"gen", "strings"}, 2, "", "want --out DIR"},
		{[]string{"gen", "strings", "--out", "x", "--min", "5", "--max", "2"}, 2, "", "gtn gen strings"},
		{[]string{"gen", "strings", "--out", "x", "--split", "val"}, 2, "", "--split"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := runGTN(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errs)
			}
			if !strings.Contains(out, tc.stdout) || !strings.Contains(errs, tc.stderr) {
				t.Errorf("stdout %q, stderr %q; want %q and %q in them", out, errs, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestGenChecks(t *testing.T) {
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "checks")
	code, out, errs := runGTN(t, "", "gen", "checks", "--out", dir, "--count", "3", "--seed", "5", "--field", "--dpi", "150")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "wrote 3 checks") {
		t.Errorf("stdout %q", out)
	}
	// A second run adds Latin checks 3 and 4, written without fonts (the
	// font file is missing: a warning, not an error).
	code, _, errs = runGTN(t, "", "gen", "checks", "--out", dir, "--count", "2", "--from", "3", "--style", "latin", "--font-files", "/nonexistent.ttf", "--dpi", "150")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "warning") || !strings.Contains(errs, "nonexistent.ttf") {
		t.Errorf("no warning about the missing font: %q", errs)
	}
	labels, err := datasets.ReadCheckLabels(filepath.Join(dir, "labels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 5 {
		t.Fatalf("%d labels, want 5", len(labels))
	}
	for k, l := range labels {
		if want := []string{"us", "us", "us", "latin", "latin"}[k]; l.Style != want || l.File != filepath.Base(l.File) || datasets.AmountDigits(l.Text) != l.Digits {
			t.Errorf("label %d: %+v, want style %s", k, l, want)
		}
		f, err := os.Open(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !l.Field.In(im.Bounds()) {
			t.Errorf("%s: field %v outside the image %v", l.File, l.Field, im.Bounds())
		}
		if w := im.Bounds().Dx(); k < 3 && w > 3*150 || k >= 3 && w < 6*150 {
			t.Errorf("%s: %d pixels wide, want a field (--field) or a full check at 150 dpi", l.File, w)
		}
	}
}

func TestGenStrings(t *testing.T) {
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "strings")
	code, out, errs := runGTN(t, "", "gen", "strings", "--out", dir, "--count", "3", "--min", "2", "--max", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "wrote 3 strings") {
		t.Errorf("stdout %q", out)
	}
	labels, err := os.ReadFile(filepath.Join(dir, "labels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(labels)), "\n")
	if len(lines) != 4 || lines[0] != "file\tdigits" {
		t.Fatalf("labels.tsv has %d lines, want a header and 3:\n%s", len(lines), labels)
	}
	for _, l := range lines[1:] {
		file, digits, ok := strings.Cut(l, "\t")
		if !ok || len(digits) < 2 || len(digits) > 4 || strings.Trim(digits, "0123456789") != "" {
			t.Errorf("label line %q: want file<TAB>2 to 4 digits", l)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			t.Error(err)
		}
	}
}
