package main

import (
	"fmt"
	"io"
)

// runFst runs "gtn fst ARGS".
func runFst(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "gtn fst: not yet implemented")
	return 2
}
