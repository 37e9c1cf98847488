package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/recognizers"
)

// needMNIST skips the test when the MNIST files cannot be found.
func needMNIST(t *testing.T) {
	t.Helper()
	if _, err := datasets.MNISTDir(""); err != nil {
		t.Skipf("MNIST not available (%v)", err)
	}
}

func TestMnistUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stdout   string // substring expected on stdout
		stderr   string // substring expected on stderr
		noStdout string // substring that must not be on stdout
	}{
		{[]string{"mnist"}, 2, "", "Usage: gtn mnist COMMAND", ""},
		{[]string{"mnist", "-h"}, 0, "Examples:", "", ""},
		{[]string{"mnist", "frobnicate"}, 2, "", `unknown command "frobnicate"`, ""},
		{[]string{"mnist", "train", "-h"}, 0, "gtn mnist train --arch lenet5 --out lenet5.msgpack", "", "--limit"},
		{[]string{"mnist", "train", "--help"}, 0, "--distort", "", ""},
		{[]string{"mnist", "eval", "-h"}, 0, `"error_rate"`, "", "--limit"},
		{[]string{"mnist", "bench", "--help"}, 0, "lenet5-torch", "", ""},
		{[]string{"help"}, 0, "gtn mnist COMMAND", "", ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := runGTN(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errs)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout %q does not contain %q", out, tc.stdout)
			}
			if !strings.Contains(errs, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", errs, tc.stderr)
			}
			if tc.noStdout != "" && strings.Contains(out, tc.noStdout) {
				t.Errorf("stdout lists %q", tc.noStdout)
			}
		})
	}
}

// TestMnistFlagErrors checks that bad command lines fail before any data
// is read: exit 2 with a message for usage errors, exit 1 naming what is
// missing for missing files and directories.
func TestMnistFlagErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.msgpack")
	notModel := filepath.Join(dir, "junk.msgpack")
	if err := os.WriteFile(notModel, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	missingData := filepath.Join(dir, "no-mnist-here")
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"train"}, 2, "--out FILE is required"},
		{[]string{"train", "--out", out, "--arch", "lenet6"}, 2, `unknown architecture "lenet6"`},
		{[]string{"train", "--out", out, "--loss", "squared"}, 2, `unknown loss "squared"`},
		{[]string{"train", "--out", out, "--optimizer", "lbfgs"}, 2, `unknown optimizer "lbfgs"`},
		{[]string{"train", "--out", out, "--schedule", "linear"}, 2, `unknown schedule "linear"`},
		{[]string{"train", "--out", out, "--lr", "-1"}, 2, "--lr -1"},
		{[]string{"train", "--out", out, "--epochs", "0"}, 2, "--epochs 0"},
		{[]string{"train", "--out", out, "--batch", "0"}, 2, "--batch 0"},
		{[]string{"train", "--out", out, "--momentum", "1"}, 2, "--momentum 1"},
		{[]string{"train", "--out", out, "--workers", "-2"}, 2, "--workers -2"},
		{[]string{"train", "--out", out, "--elastic"}, 2, "--elastic needs --distort"},
		{[]string{"train", "--out", out, "--mu", "0"}, 2, "--mu 0"},
		{[]string{"train", "--out", out, "--epochs", "many"}, 2, `invalid value "many"`},
		{[]string{"train", "--out", out, "--frobnicate"}, 2, "frobnicate"},
		{[]string{"train", "--out", out, "extra.txt"}, 2, `unexpected argument "extra.txt"`},
		{[]string{"train", "--out", filepath.Join(dir, "nodir", "m.msgpack")}, 1, filepath.Join(dir, "nodir")},
		{[]string{"train", "--out", dir}, 1, "is a directory"},
		{[]string{"train", "--out", out, "--data", missingData}, 1, missingData},
		{[]string{"eval", "--model", filepath.Join(dir, "absent.msgpack")}, 1, "absent.msgpack"},
		{[]string{"eval", "--model", notModel}, 1, "not a gotn model file"},
		{[]string{"eval", "--model", "embedded:lenet7"}, 1, `no embedded model "lenet7"`},
		{[]string{"eval", "--workers", "-1"}, 2, "--workers -1"},
		{[]string{"eval", "--data", missingData}, 1, missingData},
		{[]string{"bench", "--arch", "vgg"}, 2, `unknown architecture "vgg"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errs := runGTN(t, "", append([]string{"mnist"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errs)
			}
			if !strings.Contains(errs, tc.msg) {
				t.Errorf("stderr %q does not contain %q", errs, tc.msg)
			}
		})
	}
}

// evalResult is the JSON of gtn mnist eval.
type evalResult struct {
	ErrorRate       *float64 `json:"error_rate"`
	Errors          *int     `json:"errors"`
	Total           *int     `json:"total"`
	ImagesPerSecond *float64 `json:"images_per_second"`
}

func parseEval(t *testing.T, out string) evalResult {
	t.Helper()
	var r evalResult
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if r.ErrorRate == nil || r.Errors == nil || r.Total == nil || r.ImagesPerSecond == nil {
		t.Fatalf("missing fields in %q", out)
	}
	if math.Abs(*r.ErrorRate-float64(*r.Errors)/float64(*r.Total)) > 1e-12 {
		t.Errorf("error_rate %v is not errors/total = %d/%d", *r.ErrorRate, *r.Errors, *r.Total)
	}
	if !(*r.ImagesPerSecond > 0) {
		t.Errorf("images_per_second %v", *r.ImagesPerSecond)
	}
	return r
}

// TestMnistEvalEmbedded evaluates the committed models on the first 1,000
// test images, from a directory outside the module (the models are
// embedded, the data found through the module cache or GTN_DATA).
func TestMnistEvalEmbedded(t *testing.T) {
	needMNIST(t)
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args    []string
		maxRate float64
	}{
		{nil, 0.01},
		{[]string{"--model", "embedded:best"}, 0.01},
	} {
		args := append([]string{"mnist", "eval", "--json", "--limit", "1000"}, tc.args...)
		code, out, errs := runGTN(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		r := parseEval(t, out)
		if *r.Total != 1000 || *r.ErrorRate > tc.maxRate {
			t.Errorf("%v: %d errors on %d images, want a rate <= %v", args, *r.Errors, *r.Total, tc.maxRate)
		}
	}
	code, out, errs := runGTN(t, "", "mnist", "eval", "--limit", "300")
	if code != 0 || !strings.Contains(out, "test error") || !strings.Contains(out, "trained by: gtn mnist train") {
		t.Errorf("text output: exit %d, %q %q", code, out, errs)
	}
}

// TestMnistTrain trains each kind of network on the first few thousand
// training images for two epochs and requires it to classify the same
// number of test images far better than chance (90% errors), then checks
// the model file: its metadata (command, epochs, measured error) and that
// gtn mnist eval measures the same error on the same images. About 5 s.
func TestMnistTrain(t *testing.T) {
	needMNIST(t)
	dir := t.TempDir()
	tests := []struct {
		name  string
		limit int
		args  []string
	}{
		{"lenet5 sdlm", 4000, []string{"--arch", "lenet5"}},
		{"lenet5-torch adam", 2000, []string{"--arch", "lenet5-torch", "--optimizer", "adam", "--lr", "0.001", "--batch", "8"}},
		{"lenet5-modern distorted", 2000, []string{"--arch", "lenet5-modern", "--distort", "--batch", "8", "--lr", "0.01"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strconv.Itoa(i)+".msgpack")
			limit := strconv.Itoa(tc.limit)
			args := append([]string{"mnist", "train", "--epochs", "2", "--limit", limit, "--quiet", "--out", out}, tc.args...)
			code, stdout, errs := runGTN(t, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if errs != "" {
				t.Errorf("--quiet, yet stderr %q", errs)
			}
			for _, want := range []string{"epoch 1/2: loss", "epoch 2/2: loss", "test error", "saved " + out} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout %q does not contain %q", stdout, want)
				}
			}
			_, m, err := recognizers.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if m.Meta["epochs"] != "2" || !strings.HasPrefix(m.Meta["command"], "gtn mnist train --epochs 2") || m.Meta["test_images"] != limit {
				t.Errorf("meta %v", m.Meta)
			}
			recorded, err := strconv.Atoi(m.Meta["test_errors"])
			if err != nil {
				t.Fatal(err)
			}
			if recorded > tc.limit*35/100 {
				t.Errorf("%d errors on %d test images after training on as many: did not learn", recorded, tc.limit)
			}
			code, stdout, errs = runGTN(t, "", "mnist", "eval", "--model", out, "--limit", limit, "--json")
			if code != 0 {
				t.Fatalf("eval: exit %d: %s", code, errs)
			}
			if r := parseEval(t, stdout); *r.Errors != recorded {
				t.Errorf("eval counts %d errors, training recorded %d", *r.Errors, recorded)
			}
		})
	}
}

// TestMnistTrainDeterministic checks that a seed fixes the trained weights
// (for a given number of workers) and another seed changes them.
func TestMnistTrainDeterministic(t *testing.T) {
	needMNIST(t)
	dir := t.TempDir()
	trainTo := func(name, seed string) []float32 {
		out := filepath.Join(dir, name)
		code, _, errs := runGTN(t, "", "mnist", "train", "--arch", "lenet5", "--distort", "--epochs", "1", "--limit", "500",
			"--workers", "2", "--seed", seed, "--quiet", "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		net, _, err := recognizers.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		var w []float32
		for _, p := range net.Params() {
			w = append(w, p.Value.Data...)
		}
		return w
	}
	a, b, c := trainTo("a", "7"), trainTo("b", "7"), trainTo("c", "8")
	sameAB, sameAC := true, true
	for i := range a {
		sameAB = sameAB && a[i] == b[i]
		sameAC = sameAC && a[i] == c[i]
	}
	if !sameAB {
		t.Error("two runs with seed 7 give different weights")
	}
	if sameAC {
		t.Error("seeds 7 and 8 give the same weights")
	}
}

func TestMnistBenchJSON(t *testing.T) {
	needMNIST(t)
	code, out, errs := runGTN(t, "", "mnist", "bench", "--limit", "640", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Arch            string  `json:"arch"`
		Batch           int     `json:"batch"`
		Images          int     `json:"images"`
		SecondsPerEpoch float64 `json:"seconds_per_epoch"`
		ImagesPerSecond float64 `json:"images_per_second"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if r.Arch != "lenet5-torch" || r.Batch != 32 || r.Images != 640 || !(r.SecondsPerEpoch > 0) || !(r.ImagesPerSecond > 0) {
		t.Errorf("bench result %+v", r)
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine("train", []string{"--out", "my model.msgpack", "--lr", "0.01", "it's"})
	want := `gtn mnist train --out 'my model.msgpack' --lr 0.01 'it'\''s'`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
