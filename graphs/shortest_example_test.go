package graphs_test

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
)

// lattice has two paths: "a b" with energy 1 + 3 + 0.5 = 4.5 and "c d" with
// energy 2 + 1 + 0.5 = 3.5.
const lattice = `0 1 1 1 1
0 2 3 3 2
1 3 2 2 3
2 3 4 4 1
3 0.5
`

func readLattice() *graphs.Graph {
	g, err := graphs.ReadText(strings.NewReader(lattice), "lattice", nil)
	if err != nil {
		panic(err)
	}
	return g
}

func ExampleShortestDistance() {
	g := readLattice()
	for _, sr := range []graphs.Semiring{graphs.Tropical, graphs.Log} {
		from, _ := graphs.ShortestDistance(g, sr, nil)
		to, _ := graphs.ShortestDistance(g, sr, &graphs.DistanceOptions{Reverse: true})
		fmt.Printf("%-8v from start %.4f, to finals %.4f\n", sr, from, to)
	}
	// Output:
	// tropical from start [0.0000 1.0000 2.0000 3.0000], to finals [3.5000 3.5000 1.5000 0.5000]
	// log      from start [0.0000 1.0000 2.0000 2.6867], to finals [3.1867 3.5000 1.5000 0.5000]
}

func ExampleTopSorted() {
	// State 2 is the start state; 2 -> 0 -> 1.
	g, _ := graphs.ReadText(strings.NewReader("2 0 1 1 1\n0 1 2 2 2\n1\n"), "g", nil)
	order, ok := graphs.TopSort(g)
	fmt.Println(order, ok)
	h, _, _ := graphs.TopSorted(g)
	fmt.Print(graphs.TextString(h))
	// Output:
	// [2 0 1] true
	// 0	1	1	1	1
	// 1	2	2	2	2
	// 2
}
