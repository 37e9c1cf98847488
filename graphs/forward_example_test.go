package graphs_test

import (
	"fmt"

	"github.com/gotn/gotn/graphs"
)

func ExampleForward() {
	g := readLattice()
	F, _ := graphs.Forward(g, 1) // -log(exp(-4.5) + exp(-3.5))
	fmt.Printf("free energy %.4f\n", F)
	F, _ = graphs.Forward(g, 10) // colder: closer to the best path's 3.5
	fmt.Printf("at beta = 10: %.4f\n", F)
	// Output:
	// free energy 3.1867
	// at beta = 10: 3.5000
}

func ExampleArcPosteriors() {
	g := readLattice()
	F, grad, _ := graphs.ArcPosteriors(g, 1)
	fmt.Printf("F = %.4f\n", F)
	for a := range g.NumArcs() {
		fmt.Printf("arc %d -> %d: posterior %.4f\n", g.Src(a), g.Dst(a), grad[a])
	}
	fmt.Printf("final state 3: %.4f\n", grad[g.FinalIndex(3)])
	// Output:
	// F = 3.1867
	// arc 0 -> 1: posterior 0.2689
	// arc 0 -> 2: posterior 0.7311
	// arc 1 -> 3: posterior 0.2689
	// arc 2 -> 3: posterior 0.7311
	// final state 3: 1.0000
}
