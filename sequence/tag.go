package sequence

import (
	"fmt"
	"io"

	"github.com/gotn/gotn/datasets"
)

// TagCoNLL reads CoNLL sentences from r (name is used in errors), labels
// them on workers goroutines (0: GOMAXPROCS) and writes them to w with the
// predicted label appended as a last column: what `gtn run PIPELINE
// --model M < in.conll > out.conll` does. The input needs the columns
// before the model's label column; when it has the label column too, the
// output is the input of the conlleval script (gold, then predicted). It
// returns the number of sentences tagged.
func TagCoNLL(m *Model, r io.Reader, name string, w io.Writer, workers int) (int, error) {
	sents, err := datasets.ReadCoNLL(r, name, nil)
	if err != nil {
		return 0, err
	}
	pred, err := m.PredictAll(sents, workers)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	out := make([]datasets.Sentence, len(sents))
	for i := range sents {
		if out[i], err = sents[i].WithColumn(pred[i]); err != nil {
			return 0, err
		}
	}
	return len(sents), datasets.WriteCoNLL(w, out, "")
}
