package graphs_test

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
)

func ExampleMinimize() {
	// States 1 and 2 differ only by where the energy sits.
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 1 1\n0 2 2 2 2\n1 3 3 3 3\n2 4 3 3 4\n3\n4\n"), "g", nil)
	m, _, err := graphs.Minimize(g, graphs.Tropical)
	if err != nil {
		panic(err)
	}
	fmt.Print(graphs.TextString(m))
	// Output:
	// 0	1	1	1	4
	// 0	1	2	2	6
	// 1	2	3	3
	// 2
}
