package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/gtn"
)

func TestRunEditDistance(t *testing.T) {
	code, out, errs := runGTN(t, "", "run", "../../pipelines/edit-distance.yaml", "kitten", "sitting", "Kitten", "x")
	if code != 1 {
		t.Errorf("exit %d, want 1 (the second pair has a letter outside the symbol table): %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", out)
	}
	var first struct {
		Energy float64 `json:"energy"`
		Text   string  `json:"text"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Energy != 3 || first.Text != "sitting" {
		t.Errorf("first line %s (%v)", lines[0], err)
	}
	if !strings.Contains(lines[1], `"error":"node A (string): token 1 \"K\" is not in the symbol table"`) {
		t.Errorf("second line %s", lines[1])
	}
}

func TestRunUsageAndValidation(t *testing.T) {
	if code, _, _ := runGTN(t, "", "run"); code != 2 {
		t.Errorf("no pipeline: exit %d, want 2", code)
	}
	if code, _, errs := runGTN(t, "", "run", "../../pipelines/edit-distance.yaml", "odd"); code != 2 || !strings.Contains(errs, "takes 2 input(s)") {
		t.Errorf("odd inputs: exit %d, %s", code, errs)
	}
	bad := t.TempDir() + "/bad.yaml"
	if err := os.WriteFile(bad, []byte("pipeline: x\ninput: tokens\nnodes:\n  a: {use: strng, from: tokens}\noutput: a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runGTN(t, "", "run", bad, "x")
	if code != 1 || !strings.Contains(errs, "bad.yaml:4:12") || !strings.Contains(errs, `did you mean "string"`) {
		t.Errorf("invalid pipeline: exit %d, %s", code, errs)
	}
}

func TestNodesMarkdownIsTheDocs(t *testing.T) {
	code, out, _ := runGTN(t, "", "nodes", "--markdown")
	have, err := os.ReadFile("../../docs/pipelines.md")
	if err != nil || code != 0 || out != string(have) {
		t.Errorf("gtn nodes --markdown differs from docs/pipelines.md (exit %d, %v)", code, err)
	}
}

// TestTrainSeed checks gtn train's --seed: the file's own seed trains the
// same weights, any other seed (0 too) other weights, and a run resumed
// with another seed than the model's is refused.
func TestTrainSeed(t *testing.T) {
	if _, err := datasets.MNISTDir(""); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	dir := t.TempDir()
	syms, err := filepath.Abs("../../pipelines/grammars/digits.syms")
	if err != nil {
		t.Fatal(err)
	}
	pipe := filepath.Join(dir, "tiny.yaml")
	src := `pipeline: tiny
input: image
nodes:
  input: {use: digit-input, from: image, size: 28}
  net:   {use: recognizer, from: input, arch: lenet1, classes: 10}
  graph: {use: class-graph, from: net}
output: graph
symbols: ` + syms + `
train:
  loss: nll
  data: {source: mnist, split: train, limit: 200}
  optimizer: {name: sgd, lr: 0.01, momentum: 0.9}
  epochs: 1
  seed: 1
`
	if err := os.WriteFile(pipe, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	weights := func(args ...string) []float32 {
		t.Helper()
		out := filepath.Join(dir, "m.msgpack")
		if code, _, errs := runGTN(t, "", append([]string{"train", pipe, "--out", out, "--quiet"}, args...)...); code != 0 {
			t.Fatalf("gtn train %v: exit %d: %s", args, code, errs)
		}
		m, err := gtn.LoadModel(out)
		if err != nil {
			t.Fatal(err)
		}
		var w []float32
		for _, p := range m.Params {
			w = append(w, p.Value.Data...)
		}
		return w
	}
	file, one := weights(), weights("--seed", "1")
	if !slices.Equal(file, one) {
		t.Error("--seed 1 trains other weights than the file's seed 1")
	}
	for _, seed := range []string{"0", "2"} {
		if slices.Equal(file, weights("--seed", seed)) {
			t.Errorf("--seed %s trains the same weights as seed 1", seed)
		}
	}
	// The model now holds seed 2's training.
	code, _, errs := runGTN(t, "", "train", pipe, "--out", filepath.Join(dir, "m.msgpack"), "--quiet", "--resume")
	if code != 1 || !strings.Contains(errs, "was trained with seed 2, this run has seed 1") {
		t.Errorf("resuming with another seed: exit %d, %s", code, errs)
	}
}
