package pipelines

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"sync"

	"github.com/gotn/gotn/batch"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// FromGray converts an 8-bit grey page (0 black, 255 white) to ink, with
// the polarity rule of FromImage.
func FromGray(g *image.Gray, file string, page int) (*Image, error) {
	return fromGray(g, file, page, nil)
}

// fromGray is FromGray with the ink in alloc(n) if alloc is not nil.
func fromGray(g *image.Gray, file string, page int, alloc func(n int) []float32) (*Image, error) {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%s: empty image", file)
	}
	var ink []float32
	if alloc != nil {
		ink = alloc(w * h)
	} else {
		ink = make([]float32, w*h)
	}
	im := &Image{Width: w, Height: h, Ink: ink, File: file, Page: page}
	var hist [256]int
	for y := range h {
		row := g.Pix[(y)*g.Stride : y*g.Stride+w]
		for x, v := range row {
			hist[v]++
			im.Ink[y*w+x] = float32(v) / 255
		}
	}
	half, acc := w*h/2, 0
	for v, n := range hist {
		acc += n
		if acc > half {
			if v >= 128 { // light paper, dark ink
				for i, x := range im.Ink {
					im.Ink[i] = 1 - x
				}
			}
			break
		}
	}
	return im, nil
}

// Processor returns a batch processor that runs the pipeline, which must
// take one image and give a graph, on each page and records its answer:
// output {"labels", "text"} and the fields of its AnswerReader nodes (an
// amount grammar's "digits" and "amount"), energy and confidence (by its
// AnswerScorer node, if it has one: the posterior of an amount's value).
// It is BatchProcessor on one page at a time.
func (p *Pipeline) Processor() (batch.Processor, error) {
	bp, err := p.BatchProcessor()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, pg *batch.Page) (batch.Result, error) {
		var res [1]batch.Result
		var errs [1]error
		bp(ctx, []*batch.Page{pg}, res[:], errs[:])
		return res[0], errs[0]
	}, nil
}

// BatchProcessor returns a batch processor that runs the pipeline, which
// must take one image and give a graph, on groups of pages and records
// each page's answer as Processor does. Each page goes through the nodes
// on its own, save the recognizers: a recognizer runs the tensors of the
// group that have the same shape as one batch (the same answers, in one
// pass of larger matrix products). A page whose node fails gets its
// error; the others go on.
func (p *Pipeline) BatchProcessor() (batch.BatchProcessor, error) {
	if len(p.Spec.Inputs) != 1 || p.Spec.Inputs[0].Type != ImageType {
		return nil, fmt.Errorf("%s: batch processing needs a pipeline with one image input", p.Spec.File)
	}
	if p.OutputType() != GraphType {
		return nil, fmt.Errorf("%s: batch processing needs a pipeline whose output is a graph, not %s", p.Spec.File, p.OutputType())
	}
	tapes := &tapeStore{free: map[int][]*gtn.Tape{}}
	return func(ctx context.Context, pages []*batch.Page, res []batch.Result, errs []error) {
		tp := tapes.get(len(pages))
		defer tapes.put(len(pages), tp)
		// The images live on the tape, as the nodes' values do: nothing
		// of them is left once the answers are read.
		alloc := func(n int) []float32 { return tp.Tensor(n).Data }
		inputs := make([][]any, len(pages))
		for i, pg := range pages {
			im, err := fromGray(pg.Gray, pg.File, pg.Page, alloc)
			if err != nil {
				errs[i] = err
				continue
			}
			inputs[i] = []any{im}
		}
		outs := p.runGroup(&RunContext{Tape: tp}, inputs, errs)
		for i, out := range outs {
			if errs[i] != nil {
				continue
			}
			g := out.(*gtn.GraphVar).G
			ans, err := Interpret(g, p.Symbols)
			if errors.Is(err, graphs.ErrNoPath) {
				// Nothing on the page reads as an answer (a blank
				// page, a grammar that accepts none of the readings):
				// no answer, confidence 0, as gtn read reports it.
				zero := 0.0
				res[i] = batch.Result{Output: map[string]any{"text": nil, "labels": nil}, Confidence: &zero}
				continue
			}
			if err == nil {
				ans.Confidence, err = p.AnswerConfidence(g, ans)
			}
			var extra map[string]any
			if err == nil {
				extra, err = p.ReadAnswer(ans)
			}
			if err != nil {
				errs[i] = err
				continue
			}
			var output any = batchOutput{Labels: ans.Labels, Text: ans.Text}
			if extra != nil {
				m := map[string]any{"labels": ans.Labels, "text": ans.Text}
				for k, v := range extra {
					m[k] = v
				}
				output = m
			}
			res[i] = batch.Result{
				Output:     output,
				Energy:     &ans.Energy,
				Confidence: &ans.Confidence,
			}
		}
	}, nil
}

// tapeStore keeps the tapes of a batch processor by group size: a tape
// reuses the buffers of its last use when they have the same sizes, which
// groups of another size would undo, and kept here (not in a sync.Pool,
// which a garbage collection empties) its buffers are not allocated again
// and again over a run.
type tapeStore struct {
	mu   sync.Mutex
	free map[int][]*gtn.Tape
}

// maxFreeTapes is the most tapes kept for a group size.
const maxFreeTapes = 8

func (s *tapeStore) get(n int) *gtn.Tape {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.free[n]; len(l) > 0 {
		tp := l[len(l)-1]
		s.free[n] = l[:len(l)-1]
		return tp
	}
	return gtn.NewTape(nil)
}

func (s *tapeStore) put(n int, tp *gtn.Tape) {
	tp.Reset()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.free[n]) < maxFreeTapes {
		s.free[n] = append(s.free[n], tp)
	}
}

// batchOutput is the output of a batch record.
type batchOutput struct {
	Labels []int32 `json:"labels"`
	Text   string  `json:"text"`
}

// groupNode is a node that runs on a group of examples at once.
type groupNode interface {
	// runGroup runs the node on the inputs of each example (in[i] for
	// example i), giving each example's output or error.
	runGroup(rc *RunContext, in [][]any) ([]any, []error)
}

// runGroup runs the pipeline on a group of examples (inputs[i] holds the
// pipeline inputs of example i) and returns the output of each. errs[i]
// is set when a node fails on example i; an example whose errs[i] is set
// on entry is left out. Nodes that implement groupNode run on the
// examples still going at once, the others on each in turn.
func (p *Pipeline) runGroup(rc *RunContext, inputs [][]any, errs []error) []any {
	n := len(inputs)
	need := make([]bool, len(p.steps))
	need[p.out] = true
	for i := p.out; i >= 0; i-- {
		if need[i] {
			for _, d := range p.steps[i].in {
				if d >= 0 {
					need[d] = true
				}
			}
		}
	}
	vals := make([][]any, n) // by example, by step
	for e := range vals {
		vals[e] = make([]any, p.out+1)
	}
	var live []int // examples still going
	var args [][]any
	for i, s := range p.steps[:p.out+1] {
		if !need[i] {
			continue
		}
		live, args = live[:0], args[:0]
		for e := range n {
			if errs[e] != nil {
				continue
			}
			a := make([]any, len(s.in))
			for k, d := range s.in {
				if d < 0 {
					a[k] = inputs[e][-1-d]
				} else {
					a[k] = vals[e][d]
				}
			}
			live = append(live, e)
			args = append(args, a)
		}
		if len(live) == 0 {
			break
		}
		var (
			outs  []any
			nerrs []error
		)
		if g, ok := s.node.(groupNode); ok && len(live) > 1 {
			outs, nerrs = g.runGroup(rc, args)
		} else {
			outs, nerrs = make([]any, len(live)), make([]error, len(live))
			for k, a := range args {
				outs[k], nerrs[k] = s.node.Run(rc, a)
			}
		}
		for k, e := range live {
			if err := nerrs[k]; err != nil {
				errs[e] = fmt.Errorf("node %s (%s): %w", s.spec.Name, s.typ.Name, err)
				continue
			}
			vals[e][i] = outs[k]
		}
	}
	out := make([]any, n)
	for e := range out {
		if errs[e] == nil {
			out[e] = vals[e][p.out]
		}
	}
	return out
}

// runGroup implements groupNode: the images of the same shape [1, C, H, W]
// go through the network as one batch, whose rows are then the examples'
// outputs (constants: a group is run for inference, not training). Others,
// and every image of a batch that fails, go through on their own.
func (n recognizerNode) runGroup(rc *RunContext, in [][]any) ([]any, []error) {
	outs, errs := make([]any, len(in)), make([]error, len(in))
	done := make([]bool, len(in))
	for first := range in {
		if done[first] {
			continue
		}
		x0, ok := in[first][0].(*gtn.Var)
		if !ok || len(x0.Value.Shape) != 4 || x0.Value.Shape[0] != 1 {
			outs[first], errs[first] = n.Run(rc, in[first])
			done[first] = true
			continue
		}
		shape := x0.Value.Shape
		var same []int
		for k := first; k < len(in); k++ {
			if x, ok := in[k][0].(*gtn.Var); ok && !done[k] && slices.Equal(x.Value.Shape, shape) {
				same = append(same, k)
				done[k] = true
			}
		}
		if len(same) == 1 || !n.runBatch(rc, in, same, outs) {
			for _, k := range same {
				outs[k], errs[k] = n.Run(rc, in[k])
			}
		}
	}
	return outs, errs
}

// runBatch runs the images in[k] for k in same, all of the same shape [1,
// C, H, W], as one batch and sets their outputs; it reports whether it
// could.
func (n recognizerNode) runBatch(rc *RunContext, in [][]any, same []int, outs []any) bool {
	shape := in[same[0]][0].(*gtn.Var).Value.Shape
	size := shape[1] * shape[2] * shape[3]
	x := rc.Tape.Tensor(len(same), shape[1], shape[2], shape[3])
	for i, k := range same {
		copy(x.Data[i*size:(i+1)*size], in[k][0].(*gtn.Var).Value.Data)
	}
	y, err := n.net.Forward(rc.Tape, rc.Tape.Const(x))
	if err != nil || len(y.Value.Shape) < 1 || y.Value.Shape[0] != len(same) {
		return false
	}
	rowShape := append([]int{1}, y.Value.Shape[1:]...)
	row := y.Value.Len() / len(same)
	for i, k := range same {
		t := rc.Tape.Tensor(rowShape...)
		copy(t.Data, y.Value.Data[i*row:(i+1)*row])
		outs[k] = rc.Tape.Const(t)
	}
	return true
}
