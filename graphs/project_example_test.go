package graphs_test

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
)

func ExampleProject() {
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 2 0.5\n1\n"), "t", nil)
	in, _ := graphs.Project(g, graphs.ProjectInput)
	out, _ := graphs.Project(g, graphs.ProjectOutput)
	fmt.Print(graphs.TextString(in), graphs.TextString(out))
	// Output:
	// 0	1	1	1	0.5
	// 1
	// 0	1	2	2	0.5
	// 1
}

func ExampleInvert() {
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 2 0.5\n1\n"), "t", nil)
	inv, _ := graphs.Invert(g)
	fmt.Print(graphs.TextString(inv))
	// Output:
	// 0	1	2	1	0.5
	// 1
}

func ExampleReverse() {
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 1 0.5\n1 2 2 2\n2 0.25\n"), "t", nil)
	r, _ := graphs.Reverse(g)
	fmt.Print(graphs.TextString(r))
	// Output:
	// 0	3	0	0	0.25
	// 1
	// 2	1	1	1	0.5
	// 3	2	2	2
}

func ExampleRelabel() {
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 2\n1 2 3 4\n2\n"), "t", nil)
	r, _, err := graphs.Relabel(g, map[int32]int32{1: 10}, map[int32]int32{4: 0})
	if err != nil {
		panic(err)
	}
	fmt.Print(graphs.TextString(r))
	// Output:
	// 0	1	10	2
	// 1	2	3	0
	// 2
}
