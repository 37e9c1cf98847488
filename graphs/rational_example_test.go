package graphs_test

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
)

func ExampleUnion() {
	ab, _ := graphs.LinearAcceptor([]int32{1, 2})
	c, _ := graphs.Linear([]int32{3}, nil, []float64{0.5})
	u, m := graphs.Union(ab, c)
	fmt.Print(graphs.TextString(u))
	fmt.Println("map inputs:", m.NumInputs())
	// Output:
	// 0	1	1	1
	// 0	3	0	0
	// 1	2	2	2
	// 2
	// 3	4	3	3	0.5
	// 4
	// map inputs: 2
}

func ExampleConcat() {
	a, _ := graphs.Linear([]int32{1}, []int32{7}, []float64{0.25})
	b, _ := graphs.Linear([]int32{2}, []int32{8}, []float64{0.5})
	g, m := graphs.Concat(a, b)
	fmt.Print(graphs.TextString(g))

	// The Map sends gradients with respect to the result's weights back to
	// the inputs: here, a gradient of 1 on every arc of the result.
	gradOut := make([]float64, g.NumWeights())
	for i := range g.NumArcs() {
		gradOut[i] = 1
	}
	gradA, gradB := make([]float64, a.NumWeights()), make([]float64, b.NumWeights())
	if err := m.Backward(gradOut, gradA, gradB); err != nil {
		panic(err)
	}
	fmt.Println(gradA, gradB)
	// Output:
	// 0	1	1	7	0.25
	// 1	2	0	0
	// 2	3	2	8	0.5
	// 3
	// [1 0 1] [1 0 0]
}

func ExampleClosure() {
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 1 0.5\n1 0.25\n"), "a", nil)
	star, _ := graphs.Closure(g, graphs.ClosureStar)
	fmt.Print(graphs.TextString(star))
	// Output:
	// 2	0	0	0
	// 2
	// 0	1	1	1	0.5
	// 1	0	0	0	0.25
	// 1	0.25
}

func ExampleLinear() {
	g, err := graphs.Linear([]int32{1, 2, 3}, []int32{4, 0, 6}, []float64{0.5, 1, 1.5})
	if err != nil {
		panic(err)
	}
	fmt.Print(graphs.TextString(g))
	// Output:
	// 0	1	1	4	0.5
	// 1	2	2	0	1
	// 2	3	3	6	1.5
	// 3
}

func ExampleLinearAcceptor() {
	g, err := graphs.LinearAcceptor([]int32{5, 6})
	if err != nil {
		panic(err)
	}
	fmt.Print(graphs.TextString(g))
	// Output:
	// 0	1	5	5
	// 1	2	6	6
	// 2
}
