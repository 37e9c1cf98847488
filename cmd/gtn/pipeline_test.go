package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
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
