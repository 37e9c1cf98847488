package pipelines

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/gtn"
)

// checkSourcePipeline assembles a 17-class pipeline whose training data
// is the given data section.
func checkSourcePipeline(t *testing.T, data string) *Pipeline {
	t.Helper()
	testStrings(t, 1) // skips without MNIST
	syms, _ := filepath.Abs("grammars/amount.syms")
	src := `pipeline: p
input: image
nodes:
  input: {use: digit-input, from: image, field: 32, size: 32}
  recog: {use: recognizer, from: input, arch: lenet5, classes: 17}
  graph: {use: class-graph, from: recog}
output: graph
symbols: ` + syms + `
train:
  data: ` + data + "\n"
	return assembleText(t, "p.yaml", t.TempDir(), src)
}

// TestChecksSource checks the generated checks through the pipeline API:
// deterministic examples, fresh variants, targets spelled with the
// symbols of amount.syms.
func TestChecksSource(t *testing.T) {
	amount := regexp.MustCompile(`^\$?[0-9][0-9,.]*([0-9]|[-=]+|[0-9]/100)$`)
	for _, tc := range []struct {
		data   string
		digits bool
	}{
		{"{source: checks, count: 12, field: true, style: mixed}", false},
		{"{source: checks, count: 3, style: us, dpi: 150}", false},
		{"{source: checks, count: 12, field: true, style: latin, target: digits, fonts: 0}", true},
	} {
		p := checkSourcePipeline(t, tc.data)
		c, err := p.TrainConfig()
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.Data.Len() {
			a, err := c.Data.Example(i, 0)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := c.Data.Example(i, 0)
			f, _ := c.Data.Example(i, 77)
			im, imb, imf := a.Inputs[0].(*Image), b.Inputs[0].(*Image), f.Inputs[0].(*Image)
			text := strings.Join(a.Target, "")
			if text != strings.Join(b.Target, "") || len(im.Ink) != len(imb.Ink) {
				t.Fatalf("%s: example %d is not deterministic", tc.data, i)
			}
			if text == strings.Join(f.Target, "") && len(im.Ink) == len(imf.Ink) {
				t.Errorf("%s: example %d: a fresh variant is the same check", tc.data, i)
			}
			if _, err := p.TargetLabels(a.Target); err != nil {
				t.Fatalf("%s: example %d: %v", tc.data, i, err)
			}
			if tc.digits && strings.Trim(text, "0123456789") != "" || !tc.digits && !amount.MatchString(text) {
				t.Errorf("%s: example %d: target %q", tc.data, i, text)
			}
			var ink, paper int
			for _, v := range im.Ink {
				if v > 0.5 {
					ink++
				} else {
					paper++
				}
			}
			if ink == 0 || paper < 4*ink {
				t.Errorf("%s: example %d: %d inked pixels of %d", tc.data, i, ink, len(im.Ink))
			}
		}
	}
	if _, err := checkSourcePipeline(t, "{source: checks, count: 0}").TrainConfig(); err == nil {
		t.Error("count 0: no error")
	}
	if _, err := checkSourcePipeline(t, "{source: checks, dpi: 5}").TrainConfig(); err == nil {
		t.Error("5 dpi: no error")
	}
}

// TestCheckPiecesSource checks the isolated characters: framed, every
// class of amount.syms present, junk about as often as asked.
func TestCheckPiecesSource(t *testing.T) {
	p := checkSourcePipeline(t, "{source: check-pieces, count: 300, junk: 0.3, orand: false}")
	c, err := p.TrainConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Data.Len() != 300 {
		t.Fatalf("%d examples without ORAND, want 300", c.Data.Len())
	}
	classes := map[string]int{}
	for i := range c.Data.Len() {
		a, err := c.Data.Example(i, 0)
		if err != nil {
			t.Fatal(err)
		}
		im := a.Inputs[0].(*Image)
		if im.Width != 32 || im.Height != 32 || len(a.Target) != 1 {
			t.Fatalf("example %d: %d×%d image, target %v", i, im.Width, im.Height, a.Target)
		}
		if _, err := p.TargetLabels(a.Target); err != nil {
			t.Fatalf("example %d: %v", i, err)
		}
		if i < 20 {
			b, _ := c.Data.Example(i, 0)
			if b.Target[0] != a.Target[0] || b.Inputs[0].(*Image).File != im.File {
				t.Fatalf("example %d is not deterministic", i)
			}
		}
		classes[a.Target[0]]++
	}
	t.Logf("classes: %v", classes)
	for _, s := range strings.Split("0123456789#$,.-", "") {
		if classes[s] == 0 {
			t.Errorf("no example of %q in 300: %v", s, classes)
		}
	}
	if j := classes[JunkSymbol]; j < 60 || j > 130 {
		t.Errorf("%d junk examples of 300, want about 90", j)
	}
	if _, err := checkSourcePipeline(t, "{source: check-pieces, count: 10, junk: 1}").TrainConfig(); err == nil {
		t.Error("junk 1: no error")
	}
}

// TestCheckPiecesORAND adds the ORAND-CAR-A digit segments when
// $GTN_DATA holds them.
func TestCheckPiecesORAND(t *testing.T) {
	if _, err := datasets.ORANDDir(""); err != nil {
		t.Skipf("ORAND-CAR-A not available (set GTN_DATA to the directory holding orand-car-a/): %v", err)
	}
	p := checkSourcePipeline(t, "{source: check-pieces, count: 10, split: test}")
	c, err := p.TrainConfig()
	if err != nil {
		t.Fatal(err)
	}
	d := c.Data.(*checkPiecesData)
	if d.ORANDLen() < 100 {
		t.Fatalf("%d ORAND examples in the held-out fifth", d.ORANDLen())
	}
	junk := 0
	for i := 10; i < c.Data.Len(); i++ {
		a, err := c.Data.Example(i, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		switch s := a.Target[0]; {
		case s == JunkSymbol:
			junk++
		case !isDigit(s):
			t.Fatalf("ORAND example %d: target %q", i, s)
		}
	}
	if junk == 0 || junk > c.Data.Len()/2 {
		t.Errorf("%d junk examples of %d", junk, c.Data.Len()-10)
	}
}

// TestCheckPiecesModel reads 400 test segments of check-pieces.yaml with
// the committed model (5.84% error on 5,000).
func TestCheckPiecesModel(t *testing.T) {
	testStrings(t, 1) // skips without MNIST
	p, err := Load("check-pieces.yaml", DefaultRegistry())
	if err != nil {
		t.Fatal(err)
	}
	// The pipeline's recognizer starts from the digit model; the trained
	// weights are a separate file.
	if _, err := p.LoadModel("../models/checks/chars.msgpack"); err != nil {
		t.Fatal(err)
	}
	c, err := p.EvalConfig()
	if err != nil {
		t.Fatal(err)
	}
	rc := &RunContext{Tape: gtn.NewTape(nil)}
	const n = 400
	wrong := 0
	for i := range n {
		ex, err := c.Data.Example(i, 0)
		if err != nil {
			t.Fatal(err)
		}
		rc.Tape.Reset()
		out, err := p.Run(rc, ex.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		ans, err := Interpret(out.(*gtn.GraphVar).G, p.Symbols)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Text != ex.Target[0] {
			wrong++
		}
	}
	if wrong > n/10 {
		t.Errorf("%d of %d test segments read wrong, want at most 10%%", wrong, n)
	}
}
