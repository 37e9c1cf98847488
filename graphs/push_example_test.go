package graphs_test

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
)

func ExamplePush() {
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 1 1\n1 2 2 2 1\n1 2 3 3 2\n1 3\n2\n"), "g", nil)
	p, _, err := graphs.Push(g, graphs.Tropical, false)
	if err != nil {
		panic(err)
	}
	// The best path from every state now costs 0, except from the start,
	// which carries the total.
	fmt.Print(graphs.TextString(p))
	// Output:
	// 0	1	1	1	2
	// 1	2	2	2
	// 1	2	3	3	1
	// 1	2
	// 2
}
