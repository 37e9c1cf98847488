package sequence

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gotn/gotn/datasets"
)

// conll2000Train reads the CoNLL-2000 training set or skips.
func conll2000Train(b *testing.B) []datasets.Sentence {
	dir, err := datasets.CoNLL2000Dir("")
	if err != nil {
		b.Skipf("CoNLL-2000 data not available: %v", err)
	}
	train, err := datasets.ReadCoNLLFile(filepath.Join(dir, "train.txt"), nil)
	if err != nil {
		b.Fatal(err)
	}
	return train
}

// BenchmarkCRFObjective measures one evaluation of the CRF objective and
// gradient over the CoNLL-2000 training set (211,727 tokens), at the
// weights of a model trained for 3 perceptron epochs, on one worker.
func BenchmarkCRFObjective(b *testing.B) {
	train := conll2000Train(b)
	cfg := TrainConfig{Config: CoNLL2000Config(), Method: MethodPerceptron, Epochs: 3}
	m, _, err := Train(context.Background(), train, cfg)
	if err != nil {
		b.Fatal(err)
	}
	var st Stats
	m2, data, err := build(train, &cfg, &st)
	if err != nil {
		b.Fatal(err)
	}
	// Scale the perceptron's weights down to a CRF's range.
	for i, v := range m.params {
		m2.params[i] = v / 10
	}
	o := newObjective(m2, data, 1, 1)
	x := append([]float64(nil), m2.params...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x[0] += 1e-9 // a new point each time
		o.eval(x)
	}
	b.ReportMetric(float64(st.Tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkPerceptronEpoch measures one epoch of the averaged perceptron
// on the CoNLL-2000 training set.
func BenchmarkPerceptronEpoch(b *testing.B) {
	train := conll2000Train(b)
	cfg := TrainConfig{Config: CoNLL2000Config(), Method: MethodPerceptron, Epochs: 1}
	var st Stats
	m, data, err := build(train, &cfg, &st)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := trainPerceptron(context.Background(), m, data, &cfg, &st); err != nil {
			b.Fatal(err)
		}
	}
}
