package graphs_test

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
)

func parseComposeExample(text string) *graphs.Graph {
	g, err := graphs.ReadText(strings.NewReader(text), "example", nil)
	if err != nil {
		panic(err)
	}
	return g
}

// Compose a recognizer's output, an acceptor of class labels with energies,
// with a transducer that maps the classes 1 and 2 to the words 10 and 20
// and deletes class 3 (an output epsilon).
func ExampleCompose() {
	recog := parseComposeExample(`0 1 1 1 0.5
0 1 3 3 1.5
1 2 2 2 0.25
2
`)
	lexicon := parseComposeExample(`0 0 1 10 0.125
0 0 2 20
0 0 3 0 1
0
`)
	g, m, err := graphs.Compose(recog, lexicon)
	if err != nil {
		panic(err)
	}
	fmt.Print(graphs.TextString(g))

	// The map sends gradients back to both inputs: here d(total)/d(weight)
	// of every output weight is 1.
	gradOut := make([]float64, g.NumWeights())
	for i := range gradOut {
		gradOut[i] = 1
	}
	gradRecog := make([]float64, recog.NumWeights())
	gradLexicon := make([]float64, lexicon.NumWeights())
	if err := m.Backward(gradOut, gradRecog, gradLexicon); err != nil {
		panic(err)
	}
	fmt.Println(gradRecog, gradLexicon)
	// Output:
	// 0	1	1	10	0.625
	// 0	1	3	0	2.5
	// 1	2	2	20	0.25
	// 2
	// [1 1 1 0 0 1] [1 1 1 1]
}

// Intersect two acceptors: strings of a's and b's (labels 1 and 2) with
// an energy per symbol, and the strings of length 2.
func ExampleIntersect() {
	symbols := parseComposeExample(`0 0 1 1 0.5
0 0 2 2 1
0
`)
	length2 := parseComposeExample(`0 1 1 1
0 1 2 2
1 2 1 1
1 2 2 2
2
`)
	g, _, err := graphs.Intersect(symbols, length2)
	if err != nil {
		panic(err)
	}
	fmt.Print(graphs.TextString(g))
	// Output:
	// 0	1	1	1	0.5
	// 0	1	2	2	1
	// 1	2	1	1	0.5
	// 1	2	2	2	1
	// 2
}

// Connect removes the states that are not on a successful path: state 2
// cannot reach a final state, state 3 cannot be reached.
func ExampleConnect() {
	g := parseComposeExample(`0 1 1 1
0 2 2 2
3 1 3 3
1
`)
	h, _ := graphs.Connect(g)
	fmt.Print(graphs.TextString(h))
	// Output:
	// 0	1	1	1
	// 1
}

// ArcSort sorts the arcs of each state, here by input label and then output
// label.
func ExampleArcSort() {
	g := parseComposeExample(`0 1 3 1
0 1 1 2
0 1 1 1
1
`)
	h, _ := graphs.ArcSort(g, graphs.ByILabel)
	fmt.Print(graphs.TextString(h))
	fmt.Println(h.Has(graphs.ILabelSorted))
	// Output:
	// 0	1	1	1
	// 0	1	1	2
	// 0	1	3	1
	// 1
	// true
}
