package graphs_test

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
)

func ExampleDeterminize() {
	// Two paths labeled "1 2", with energies 1+3 and 2+1.
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 1 1\n0 2 1 1 2\n1 3 2 2 3\n2 3 2 2 1\n3\n"), "g", nil)
	d, m, err := graphs.Determinize(g, graphs.Log, nil)
	if err != nil {
		panic(err)
	}
	for a := range d.NumArcs() {
		fmt.Printf("%d -> %d label %d energy %.4f\n", d.Src(a), d.Dst(a), d.ILabel(a), d.Weight(a))
	}
	// The gradient of the total energy with respect to g's weights: the
	// posteriors of g's arcs.
	grad := make([]float64, g.NumWeights())
	m.Backward([]float64{1, 1, 0, 0, 0}, grad)
	fmt.Printf("arc posteriors %.4f\n", grad[:g.NumArcs()])
	// Output:
	// 0 -> 1 label 1 energy 0.6867
	// 1 -> 2 label 2 energy 2.0000
	// arc posteriors [0.2689 0.7311 0.2689 0.7311]
}

func ExampleDeterminize_limit() {
	// The two a-loops have different energies: no deterministic
	// equivalent exists, and the size limit stops the construction.
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 1 1\n0 2 1 1 2\n1 1 1 1 1\n2 2 1 1 2\n1 3 2 2\n2 3 3 3\n3\n"), "g", nil)
	_, _, err := graphs.Determinize(g, graphs.Tropical, &graphs.DeterminizeOptions{MaxStates: 100})
	fmt.Println(err)
	// Output:
	// graphs: Determinize: size limit reached: more than 100 states (the input may not be determinizable; see DeterminizeOptions)
}
