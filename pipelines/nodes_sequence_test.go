package pipelines

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotn/gotn/sequence"
)

// TestChunkPipelines trains each CoNLL-2000 pipeline file on the first
// 1,000 training sentences (a few epochs) and scores it on 300 test
// sentences through the pipeline machinery: it must learn (F1 > 80) and
// its saved model must tag a CoNLL file with the same labels.
func TestChunkPipelines(t *testing.T) {
	root := os.Getenv("GTN_DATA")
	if root == "" {
		t.Skip("GTN_DATA is not set: skipping the CoNLL-2000 pipelines (CI sets it to ../shared/data)")
	}
	if _, err := os.Stat(filepath.Join(root, "conll2000", "train.txt")); err != nil {
		t.Skipf("no CoNLL-2000 data under GTN_DATA: %v", err)
	}
	for _, name := range []string{"chunk-crf", "chunk-perceptron", "chunk-m3n"} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			small := strings.NewReplacer(
				"file: conll2000/train.txt}", "file: conll2000/train.txt, limit: 1000}",
				"file: conll2000/test.txt}", "file: conll2000/test.txt, limit: 300}",
				"epochs: 50", "epochs: 5", "epochs: 20", "epochs: 5",
				"c2: 1", "c2: 1\n  iterations: 40",
			).Replace(string(src))
			p := assembleText(t, name+".yaml", ".", small)
			cfg, err := p.TrainConfig()
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "m.msgpack")
			var log bytes.Buffer
			if err := p.Train(context.Background(), cfg, TrainOptions{Out: out, Log: &log}); err != nil {
				t.Fatal(err)
			}
			ev, err := p.EvalConfig()
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.Evaluate(context.Background(), ev, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := res.Report.(sequence.Result)
			if r.F1 < 80 {
				t.Errorf("F1 %.2f, want > 80\n%s", r.F1, log.String())
			}
			// A fresh pipeline with the saved model tags like the trained one.
			q := assembleText(t, name+".yaml", ".", small)
			if _, err := q.LoadModel(out); err != nil {
				t.Fatal(err)
			}
			in := "He PRP\nreckons VBZ\nthe DT\ncurrent JJ\naccount NN\ndeficit NN\n"
			var a, b bytes.Buffer
			if err := p.Tag(strings.NewReader(in), "in", &a); err != nil {
				t.Fatal(err)
			}
			if err := q.Tag(strings.NewReader(in), "in", &b); err != nil {
				t.Fatal(err)
			}
			if a.String() != b.String() || !strings.Contains(a.String(), "He PRP B-NP") {
				t.Errorf("tags differ or are wrong:\n%s\n%s", a.String(), b.String())
			}
		})
	}
}
