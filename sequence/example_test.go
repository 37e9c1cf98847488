package sequence_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/sequence"
)

// Example trains a CRF on three sentences in CoNLL format and tags a new
// one.
func Example() {
	train, err := datasets.ReadCoNLL(strings.NewReader(`the DT B-NP
dog NN I-NP
sees VBZ B-VP
a DT B-NP
cat NN I-NP

a DT B-NP
cat NN I-NP
sleeps VBZ B-VP

the DT B-NP
old JJ I-NP
dog NN I-NP
likes VBZ B-VP
the DT B-NP
cat NN I-NP
`), "train", nil)
	if err != nil {
		panic(err)
	}
	cfg := sequence.TrainConfig{
		Config: sequence.Config{Columns: []string{"w", "pos", "chunk"}, Templates: []string{"w[0]", "pos[-1..1]", "pos[-1]|pos[0]"}},
		Method: sequence.MethodCRF,
		C2:     0.1,
	}
	m, _, err := sequence.Train(context.Background(), train, cfg)
	if err != nil {
		panic(err)
	}
	s := datasets.Sentence{Tokens: [][]string{{"a", "DT"}, {"old", "JJ"}, {"cat", "NN"}, {"sees", "VBZ"}, {"the", "DT"}, {"dog", "NN"}}}
	tags, err := m.Predict(&s)
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Join(tags, " "))
	r, err := sequence.Score([][]string{{"B-NP", "I-NP", "I-NP", "B-VP", "B-NP", "I-NP"}}, [][]string{tags}, sequence.IOB2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("F1 %.2f\n", r.F1)
	// Output:
	// B-NP I-NP I-NP B-VP B-NP I-NP
	// F1 100.00
}
