package graphs_test

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/graphs"
)

func ExampleEquivalent() {
	a, _ := graphs.ReadText(strings.NewReader("0 1 1 1 1\n1 2 2 2 2\n2\n"), "a", nil)
	b, _ := graphs.ReadText(strings.NewReader("0 1 1 1 2\n1 2 2 2 0.5\n2 0.5\n"), "b", nil)
	eq, err := graphs.Equivalent(a, b, 1e-6)
	fmt.Println(eq, err)
	// Output:
	// true <nil>
}

func ExampleRandEquivalent() {
	// Two paths with the same labels against their log-sum.
	a, _ := graphs.ReadText(strings.NewReader("0 1 1 1 1\n0 1 1 1 2\n1\n"), "a", nil)
	b, _ := graphs.ReadText(strings.NewReader("0 1 1 1 0.686738312\n1\n"), "b", nil)
	inLog, _ := graphs.RandEquivalent(a, b, graphs.Log, 10, 1, 1e-6)
	inTropical, _ := graphs.RandEquivalent(a, b, graphs.Tropical, 10, 1, 1e-6)
	fmt.Println(inLog, inTropical)
	// Output:
	// true false
}
