//go:build !unix

package batch

import "os"

// readFile returns the content of the file name.
func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
