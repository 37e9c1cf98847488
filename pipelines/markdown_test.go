package pipelines

import (
	"bytes"
	"os"
	"testing"
)

// TestDocsUpToDate fails when docs/pipelines.md differs from what the
// registry generates, so the documentation never drifts from the code.
func TestDocsUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := DefaultRegistry().WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("../docs/pipelines.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, buf.Bytes()) {
		t.Error("docs/pipelines.md is out of date: run go run ./cmd/gtn nodes --markdown > docs/pipelines.md")
	}
}
