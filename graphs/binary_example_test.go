package graphs_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
	"github.com/vmihailenco/msgpack/v5"
)

func ExampleWriteBinary() {
	g, _ := graphs.ReadText(strings.NewReader("0 1 1 2 0.5\n1 0.25\n"), "g", nil)
	var buf bytes.Buffer
	if err := graphs.WriteBinary(&buf, g); err != nil {
		panic(err)
	}
	h, err := graphs.ReadBinary(&buf)
	if err != nil {
		panic(err)
	}
	fmt.Print(graphs.TextString(h))
	// Output:
	// 0	1	1	2	0.5
	// 1	0.25
}

// Graphs nested in values encoded with msgpack are stored in the binary
// graph format.
func ExampleGraph_EncodeMsgpack() {
	type Model struct {
		Name    string
		Grammar *graphs.Graph
	}
	g, _ := graphs.LinearAcceptor([]int32{1, 2})
	data, err := msgpack.Marshal(&Model{Name: "digits", Grammar: g})
	if err != nil {
		panic(err)
	}
	var m Model
	if err := msgpack.Unmarshal(data, &m); err != nil {
		panic(err)
	}
	fmt.Println(m.Name, m.Grammar)
	// Output:
	// digits graph(3 states, 2 arcs, start 0)
}
