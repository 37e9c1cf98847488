package pipelines

import (
	"context"
	"fmt"
	"image"
	"sync"

	"github.com/gotn/gotn/batch"
	"github.com/gotn/gotn/gtn"
)

// FromGray converts an 8-bit grey page (0 black, 255 white) to ink, with
// the polarity rule of FromImage.
func FromGray(g *image.Gray, file string, page int) (*Image, error) {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%s: empty image", file)
	}
	im := &Image{Width: w, Height: h, Ink: make([]float32, w*h), File: file, Page: page}
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
// output {"text", "labels"} and the fields of its AnswerReader nodes (an
// amount grammar's "digits" and "amount"), energy and confidence (by its
// AnswerScorer node, if it has one: the posterior of an amount's value).
func (p *Pipeline) Processor() (batch.Processor, error) {
	if len(p.Spec.Inputs) != 1 || p.Spec.Inputs[0].Type != ImageType {
		return nil, fmt.Errorf("%s: batch processing needs a pipeline with one image input", p.Spec.File)
	}
	if p.OutputType() != GraphType {
		return nil, fmt.Errorf("%s: batch processing needs a pipeline whose output is a graph, not %s", p.Spec.File, p.OutputType())
	}
	tapes := sync.Pool{New: func() any { return gtn.NewTape(nil) }}
	return func(ctx context.Context, pg *batch.Page) (batch.Result, error) {
		im, err := FromGray(pg.Gray, pg.File, pg.Page)
		if err != nil {
			return batch.Result{}, err
		}
		tp := tapes.Get().(*gtn.Tape)
		defer func() {
			tp.Reset()
			tapes.Put(tp)
		}()
		out, err := p.Run(&RunContext{Tape: tp}, im)
		if err != nil {
			return batch.Result{}, err
		}
		ans, err := Interpret(out.(*gtn.GraphVar).G, p.Symbols)
		if err != nil {
			return batch.Result{}, err
		}
		if ans.Confidence, err = p.AnswerConfidence(out.(*gtn.GraphVar).G, ans); err != nil {
			return batch.Result{}, err
		}
		output := map[string]any{"text": ans.Text, "labels": ans.Labels}
		extra, err := p.ReadAnswer(ans)
		if err != nil {
			return batch.Result{}, err
		}
		for k, v := range extra {
			output[k] = v
		}
		return batch.Result{
			Output:     output,
			Energy:     &ans.Energy,
			Confidence: &ans.Confidence,
		}, nil
	}, nil
}
