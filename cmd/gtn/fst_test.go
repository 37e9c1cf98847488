package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runGTN runs the command line in-process and returns its exit code and
// outputs.
func runGTN(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const gtn3 = "../../testdata/fst/gtn3.txt"

func TestFstForwardJSON(t *testing.T) {
	code, out, errs := runGTN(t, "", "fst", "forward", gtn3, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		FreeEnergy *float64 `json:"free_energy"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	// facebookresearch/gtn's published forward score, as an energy.
	if res.FreeEnergy == nil || math.Abs(*res.FreeEnergy-(-6.8152)) > 1e-4 {
		t.Errorf("free energy %v, want -6.8152", out)
	}
}

func TestFstEmptyGraphJSON(t *testing.T) {
	// A path that never reaches a final state.
	code, out, _ := runGTN(t, "0 1 5 5\n", "fst", "forward", "-", "--json")
	if code != 0 || strings.TrimSpace(out) != `{"empty":true,"free_energy":null}` {
		t.Errorf("forward: exit %d, %q", code, out)
	}
	code, out, _ = runGTN(t, "0 1 5 5\n", "fst", "viterbi", "--json", "-")
	if code != 0 || strings.TrimSpace(out) != `{"energy":null,"ilabels":[],"olabels":[],"empty":true}` {
		t.Errorf("viterbi: exit %d, %q", code, out)
	}
}

func TestFstViterbiJSON(t *testing.T) {
	// Epsilons are left out of the label lists.
	in := "0 1 0 7 -1\n1 2 3 0 -2\n0 2 4 4 0.5\n2 0.25\n"
	code, out, errs := runGTN(t, in, "fst", "viterbi", "-", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if want := `{"energy":-2.75,"ilabels":[3],"olabels":[7]}`; strings.TrimSpace(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
}

func TestFstExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("0 1 1 1\n1 2 x 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no command", []string{"fst"}, 2, "Usage"},
		{"unknown command", []string{"fst", "frobnicate"}, 2, "unknown command"},
		{"missing file argument", []string{"fst", "forward"}, 2, "want G"},
		{"too many files", []string{"fst", "forward", gtn3, gtn3}, 2, "want G"},
		{"unknown flag", []string{"fst", "forward", "--jsn", gtn3}, 2, "flag provided but not defined"},
		{"bad semiring", []string{"fst", "rmepsilon", "--semiring", "real", gtn3}, 1, "unknown semiring"},
		{"bad input names file and line", []string{"fst", "info", bad}, 1, "bad.txt:2: bad input label"},
		{"missing file", []string{"fst", "info", filepath.Join(dir, "nope.txt")}, 1, "no such file"},
		{"help", []string{"fst", "-h"}, 0, ""},
		{"command help", []string{"fst", "compose", "-h"}, 0, ""},
		{"determinize transducer", []string{"fst", "determinize", "-"}, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runGTN(t, "0 1 1 2\n1\n", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errs)
			}
			if !strings.Contains(errs, tc.msg) {
				t.Errorf("stderr %q does not contain %q", errs, tc.msg)
			}
		})
	}
}

// TestFstCommandsRoundTrip runs every command that writes a graph and
// checks that its output is valid AT&T text that "gtn fst info" reads.
func TestFstCommandsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"compose", gtn3, gtn3},
		{"intersect", gtn3, gtn3},
		{"rmepsilon", gtn3},
		{"determinize", "--semiring", "log", gtn3},
		{"minimize", gtn3},
		{"project", "--output", gtn3},
		{"invert", gtn3},
		{"reverse", gtn3},
		{"union", gtn3, gtn3},
		{"concat", gtn3, gtn3},
		{"closure", "--plus", gtn3},
		{"connect", gtn3},
		{"topsort", gtn3},
	} {
		t.Run(args[0], func(t *testing.T) {
			code, out, errs := runGTN(t, "", append([]string{"fst"}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			path := filepath.Join(dir, args[0]+".txt")
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _, errs := runGTN(t, "", "fst", "info", path); code != 0 {
				t.Fatalf("info on the output: exit %d: %s\n%s", code, errs, out)
			}
		})
	}
}

func TestFstBinaryOutput(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "g.msgpack")
	if code, _, errs := runGTN(t, "", "fst", "connect", gtn3, "-o", bin); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	_, want, _ := runGTN(t, "", "fst", "forward", gtn3)
	code, got, errs := runGTN(t, "", "fst", "forward", bin)
	if code != 0 || got != want {
		t.Errorf("forward of the binary copy: exit %d %q %s, want %q", code, got, errs, want)
	}
}

func TestFstSymbols(t *testing.T) {
	syms := "../../testdata/fst/abc.syms"
	code, out, errs := runGTN(t, "0 1 a 1\n1 2 c 2\n2\n", "fst", "viterbi", "--acceptor", "--isymbols", syms, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "input  a c") || !strings.Contains(out, "energy 3") {
		t.Errorf("output %q", out)
	}
	code, _, errs = runGTN(t, "0 1 z\n1\n", "fst", "info", "--acceptor", "--isymbols", syms, "-")
	if code != 1 || !strings.Contains(errs, `<stdin>:1: bad input label "z": not in the symbol table`) {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// TestFstComposeMatchesOpenFst checks the command's contract end to end:
// its text output must describe the same weighted relation as fstcompose's.
func TestFstComposeMatchesOpenFst(t *testing.T) {
	if _, err := exec.LookPath("fstcompose"); err != nil {
		t.Skip("OpenFst tools not installed (apt-get install libfst-tools)")
	}
	dir := t.TempDir()
	a := "0 1 1 2 0.5\n0 1 0 3 0.25\n1 2 2 0 1\n1 0.5\n2\n"
	b := "0 0 2 5 0.125\n0 1 3 6 1\n1 1 0 7 2\n0 1\n1\n"
	for name, s := range map[string]string{"a.txt": a, "b.txt": b} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runGTN(t, "", "fst", "compose", filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if err := os.WriteFile(filepath.Join(dir, "ours.txt"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `set -e
fstcompile --arc_type=log a.txt a.fst; fstcompile --arc_type=log b.txt b.fst
fstcompose a.fst b.fst | fstshortestdistance --reverse | head -1
fstcompile --arc_type=log ours.txt | fstshortestdistance --reverse | head -1`
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	lines := strings.Split(strings.TrimSpace(string(res)), "\n")
	if len(lines) != 2 || lines[0] != lines[1] {
		t.Errorf("log total of OpenFst's composition and ours differ: %q", lines)
	}
}
