package graphs_test

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
)

func ExampleRmEpsilon() {
	// 0 -ε/1-> 1 -a/2-> 2, and 0 -a/4-> 2 directly.
	g, _ := graphs.ReadText(strings.NewReader("0 1 0 0 1\n1 2 1 1 2\n0 2 1 1 4\n2 0.5\n"), "g", nil)
	r, m, err := graphs.RmEpsilon(g, graphs.Tropical)
	if err != nil {
		panic(err)
	}
	fmt.Print(graphs.TextString(r))
	// The new arc's energy is the epsilon arc's plus 1 -a-> 2's (the
	// better of the two paths), so its row holds them both.
	fmt.Println(m.Row(0))
	// Output:
	// 0	1	1	1	3
	// 1	0.5
	// [{0 2 1} {0 0 1}]
}
