package graphs_test

import (
	"os"
	"strings"

	"github.com/gotn/gotn/graphs"
)

func ExampleWriteDOT() {
	syms := graphs.NewSymbolTable()
	syms.Add("a")
	syms.Add("b")
	g, _ := graphs.ReadText(strings.NewReader("0 1 a 0.5\n0 1 b 1.5\n1 0.25\n"), "g",
		&graphs.TextOptions{ISymbols: syms, Acceptor: true})
	// Draw the best path (arc 0) in red; render with "dot -Tsvg".
	err := graphs.WriteDOT(os.Stdout, g, &graphs.DOTOptions{
		Title: "example", ISymbols: syms, HighlightArcs: []int32{0}})
	if err != nil {
		panic(err)
	}
	// Output:
	// digraph FST {
	// rankdir = LR;
	// label = "example";
	// labelloc = t;
	// center = 1;
	// ranksep = "0.4";
	// nodesep = "0.25";
	// 0 [label = "0", shape = circle, style = bold, fontsize = 14]
	// 	0 -> 1 [label = "a/0.5", fontsize = 14, color = red, fontcolor = red, penwidth = 2.5, style = bold];
	// 	0 -> 1 [label = "b/1.5", fontsize = 14];
	// 1 [label = "1/0.25", shape = doublecircle, style = solid, fontsize = 14]
	// }
}
