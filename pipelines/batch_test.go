package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotn/gotn/batch"
	"github.com/gotn/gotn/gtn"
)

// lenetPipeline assembles an untrained LeNet-5 image pipeline (the answers
// do not matter, their agreement does) whose network input is made by the
// node type input.
func lenetPipeline(t *testing.T, reg *Registry, input string) *Pipeline {
	t.Helper()
	syms, err := filepath.Abs("grammars/digits.syms")
	if err != nil {
		t.Fatal(err)
	}
	src := "pipeline: t\ninput: image\nnodes:\n  in: {use: " + input + ", from: image}\n  net: {use: recognizer, from: in, arch: lenet5, classes: 10}\n  g: {use: class-graph, from: net}\noutput: g\nsymbols: " + syms + "\n"
	sp, err := ParseSpec("t.yaml", t.TempDir(), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Assemble(sp, reg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// strokeImage returns a w×h page of white paper with a dark bar and some
// noise drawn from rng.
func strokeImage(rng *rand.Rand, w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	x0, y0 := rng.IntN(max(w/2, 1)), rng.IntN(max(h/2, 1))
	for i := range g.Pix {
		g.Pix[i] = uint8(230 + rng.IntN(26))
	}
	for y := y0; y < min(h, y0+h/2+1); y++ {
		for x := x0; x < min(w, x0+w/4+1); x++ {
			g.Pix[y*g.Stride+x] = uint8(rng.IntN(60))
		}
	}
	return g
}

// outcome is a page's result in comparable form.
type outcome struct {
	output     string
	energy     float64
	confidence float64
	err        string
}

func outcomeOf(t *testing.T, r batch.Result, err error) outcome {
	t.Helper()
	if err != nil {
		return outcome{err: err.Error()}
	}
	b, jerr := json.Marshal(r.Output)
	if jerr != nil {
		t.Fatal(jerr)
	}
	return outcome{output: string(b), energy: *r.Energy, confidence: *r.Confidence}
}

// checkSame compares a group's outcomes with those of pages one by one:
// they must be equal, energies and confidences to the bit.
func checkSame(t *testing.T, group, single []outcome) {
	t.Helper()
	for i := range group {
		g, s := group[i], single[i]
		if g != s { // bit for bit: a batch's rows are computed as each image alone
			t.Errorf("page %d: in a group %+v, alone %+v", i, g, s)
		}
	}
}

// runBoth runs the pages through BatchProcessor as one group and through
// Processor one by one.
func runBoth(t *testing.T, p *Pipeline, pages []*batch.Page) (group, single []outcome) {
	t.Helper()
	bp, err := p.BatchProcessor()
	if err != nil {
		t.Fatal(err)
	}
	proc, err := p.Processor()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, errs := make([]batch.Result, len(pages)), make([]error, len(pages))
	bp(ctx, pages, res, errs)
	for i, pg := range pages {
		group = append(group, outcomeOf(t, res[i], errs[i]))
		r, err := proc(ctx, pg)
		single = append(single, outcomeOf(t, r, err))
	}
	return group, single
}

// TestBatchProcessorGroup runs a group of pages of many sizes, one of them
// empty, through BatchProcessor: each page gets what Processor gives it
// alone (the recognizer ran the group as one batch), the empty one its
// error.
func TestBatchProcessorGroup(t *testing.T) {
	p := lenetPipeline(t, DefaultRegistry(), "digit-input")
	rng := rand.New(rand.NewPCG(1, 2))
	var pages []*batch.Page
	for i := range 21 {
		g := strokeImage(rng, 20+rng.IntN(40), 20+rng.IntN(40))
		if i == 7 {
			g = &image.Gray{} // empty
		}
		pages = append(pages, &batch.Page{File: fmt.Sprint("p", i), Pages: 1, Index: i, Gray: g})
	}
	group, single := runBoth(t, p, pages)
	checkSame(t, group, single)
	for i, o := range group {
		if (o.err != "") != (i == 7) {
			t.Errorf("page %d: error %q", i, o.err)
		}
	}
	if !strings.Contains(group[7].err, "empty image") {
		t.Errorf("empty page: error %q, want one about an empty image", group[7].err)
	}
	distinct := map[float64]bool{}
	for _, o := range group {
		distinct[o.energy] = true
	}
	if len(distinct) < 10 {
		t.Errorf("only %d distinct energies among %d pages: the pages were not told apart", len(distinct), len(group))
	}
}

// rawInput is a node type that gives the page's ink as a [1, 1, H, W]
// tensor, so that pages of different sizes reach the recognizer with
// different shapes.
var rawInput = &NodeType{
	Name: "raw-input", Doc: "the ink as a tensor", Inputs: []Type{ImageType}, Output: TensorType,
	New: func(*Args) (Node, error) {
		return nodeFuncRC(func(rc *RunContext, in []any) (any, error) {
			im := in[0].(*Image)
			x := rc.Tape.Tensor(1, 1, im.Height, im.Width)
			copy(x.Data, im.Ink)
			return rc.Tape.Const(x), nil
		}), nil
	},
}

type nodeFuncRC func(rc *RunContext, in []any) (any, error)

func (f nodeFuncRC) Run(rc *RunContext, in []any) (any, error) { return f(rc, in) }

// TestBatchProcessorShapes gives the recognizer a group of tensors of two
// shapes, one of which the network refuses: the others are recognised as
// alone, those of the wrong shape get the network's error.
func TestBatchProcessorShapes(t *testing.T) {
	reg := DefaultRegistry()
	if err := reg.Register(rawInput); err != nil {
		t.Fatal(err)
	}
	p := lenetPipeline(t, reg, "raw-input")
	rng := rand.New(rand.NewPCG(3, 4))
	var pages []*batch.Page
	for i := range 9 {
		side := 32
		if i == 2 || i == 5 {
			side = 28
		}
		pages = append(pages, &batch.Page{File: fmt.Sprint("p", i), Pages: 1, Index: i, Gray: strokeImage(rng, side, side)})
	}
	group, single := runBoth(t, p, pages)
	checkSame(t, group, single)
	for i, o := range group {
		bad := i == 2 || i == 5
		if bad != strings.Contains(o.err, "node net (recognizer)") || bad != strings.Contains(o.err, "want [N, 1, 32, 32]") {
			t.Errorf("page %d: error %q", i, o.err)
		}
	}
}

// TestRecognizerGroupRows checks the rows of a batch against the network
// run on each image: the split must give each example its own row.
func TestRecognizerGroupRows(t *testing.T) {
	p := lenetPipeline(t, DefaultRegistry(), "digit-input")
	step := p.stepNamed("net")
	n := step.node.(recognizerNode)
	tp := gtn.NewTape(nil)
	rc := &RunContext{Tape: tp}
	rng := rand.New(rand.NewPCG(5, 6))
	var in [][]any
	for range 5 {
		x := tp.Tensor(1, 1, 32, 32)
		for i := range x.Data {
			x.Data[i] = rng.Float32()*1.275 - 0.1
		}
		in = append(in, []any{tp.Const(x)})
	}
	outs, errs := n.runGroup(rc, in)
	for k := range in {
		want, err := n.Run(rc, in[k])
		if err != nil || errs[k] != nil {
			t.Fatalf("example %d: %v, %v", k, err, errs[k])
		}
		got := outs[k].(*gtn.Var).Value
		if fmt.Sprint(got.Shape) != fmt.Sprint(want.(*gtn.Var).Value.Shape) {
			t.Fatalf("example %d: shape %v, want %v", k, got.Shape, want.(*gtn.Var).Value.Shape)
		}
		for i, v := range want.(*gtn.Var).Value.Data {
			if got.Data[i] != v {
				t.Fatalf("example %d, class %d: %v in the batch, %v alone", k, i, got.Data[i], v)
			}
		}
	}
}
