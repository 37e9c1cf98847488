package graphs_test

import (
	"fmt"

	"github.com/gotn/gotn/graphs"
)

func ExampleViterbi() {
	g := readLattice()
	p, _ := graphs.Viterbi(g)
	fmt.Println("energy", p.Energy, "arcs", p.Arcs, "labels", p.ILabels(g))
	fmt.Println("gradient", p.Gradient(g))
	// Output:
	// energy 3.5 arcs [1 3] labels [3 4]
	// gradient [0 1 0 1 0 0 0 1]
}

func ExampleNBest() {
	g := readLattice()
	paths, _ := graphs.NBest(g, 3) // the lattice has only two paths
	for _, p := range paths {
		fmt.Println(p.Energy, p.ILabels(g))
	}
	// Output:
	// 3.5 [3 4]
	// 4.5 [1 2]
}

func ExampleShortestPath() {
	g := readLattice()
	best, _, _ := graphs.ShortestPath(g, 1)
	fmt.Print(graphs.TextString(best))
	// Output:
	// 0	1	3	3	2
	// 1	2	4	4	1
	// 2	0.5
}
