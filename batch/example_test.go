package batch_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/gotn/gotn/batch"
)

// Example runs a processor that measures the ink of each page over a
// folder of images (one of them broken), writing one JSON record a page,
// then runs again: the second run finds everything done.
func Example() {
	dir, err := os.MkdirTemp("", "batch-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for i, name := range []string{"a.png", "b.png", "c.png"} {
		img := image.NewGray(image.Rect(0, 0, 10, 10))
		for p := range img.Pix {
			img.Pix[p] = 255 // white paper
		}
		for p := range 10 * i {
			img.Pix[p] = 0 // i rows of ink
		}
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			log.Fatal(err)
		}
		png.Encode(f, img)
		f.Close()
	}
	os.WriteFile(filepath.Join(dir, "d.png"), []byte("not an image"), 0o644)

	// The processor: the share of dark pixels, and a confidence.
	ink := func(ctx context.Context, p *batch.Page) (batch.Result, error) {
		dark := 0
		for _, v := range p.Gray.Pix {
			if v < 128 {
				dark++
			}
		}
		share := float64(dark) / float64(len(p.Gray.Pix))
		return batch.Result{Output: map[string]float64{"ink": share}, Confidence: new(1 - share)}, nil
	}
	out := filepath.Join(dir, "results.jsonl")
	for range 2 {
		s, err := batch.Run(context.Background(), batch.DirSource(dir), out, ink, batch.Options{Ordered: true})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("done %d, failed %d, skipped %d\n", s.Done, s.Failed, s.Skipped)
	}

	f, err := os.Open(out)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r batch.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			log.Fatal(err)
		}
		if r.Failed() {
			fmt.Printf("%s: %s\n", filepath.Base(r.File), *r.Error)
			continue
		}
		fmt.Printf("%s page %d of %d: %s, confidence %.1f\n", filepath.Base(r.File), r.Page, r.Pages, r.Output, *r.Confidence)
	}
	// Output:
	// done 3, failed 1, skipped 0
	// done 0, failed 0, skipped 4
	// a.png page 0 of 1: {"ink":0}, confidence 1.0
	// b.png page 0 of 1: {"ink":0.1}, confidence 0.9
	// c.png page 0 of 1: {"ink":0.2}, confidence 0.8
	// d.png: not an image: the content is not PNG, JPEG, TIFF, BMP, GIF or WebP
}

// ExampleBatchProcessor processes pages in groups, as a network running
// them as one batch would: the processor gets up to BatchSize decoded
// pages at once and gives each its result or its error.
func ExampleBatchProcessor() {
	dir, err := os.MkdirTemp("", "batch-groups")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for i := range 5 {
		img := image.NewGray(image.Rect(0, 0, 4+i, 3))
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("p%d.png", i)))
		if err != nil {
			log.Fatal(err)
		}
		png.Encode(f, img)
		f.Close()
	}

	// The width of each page; a page narrower than 5 pixels is refused.
	widths := func(ctx context.Context, pages []*batch.Page, res []batch.Result, errs []error) {
		for i, p := range pages {
			if w := p.Gray.Rect.Dx(); w < 5 {
				errs[i] = fmt.Errorf("%d pixels wide: too narrow", w)
			} else {
				res[i] = batch.Result{Output: w}
			}
		}
	}
	sink := &printSink{}
	opt := batch.Options{Batch: widths, BatchSize: 4, Ordered: true}
	s, err := batch.RunTo(context.Background(), batch.DirSource(dir), sink, nil, opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("done %d, failed %d\n", s.Done, s.Failed)
	// Output:
	// p0.png: error 4 pixels wide: too narrow
	// p1.png: 5
	// p2.png: 6
	// p3.png: 7
	// p4.png: 8
	// done 4, failed 1
}

// printSink prints each record's output or error.
type printSink struct{}

func (printSink) Write(r *batch.Record) error {
	if r.Failed() {
		fmt.Printf("%s: error %s\n", filepath.Base(r.File), *r.Error)
	} else {
		fmt.Printf("%s: %s\n", filepath.Base(r.File), r.Output)
	}
	return nil
}

func (printSink) Flush() error { return nil }
