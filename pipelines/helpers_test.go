package pipelines

import "testing"

// assembleText assembles the pipeline text src, read as file name in
// directory dir, with the default registry; any error fails the test.
func assembleText(t testing.TB, name, dir, src string) *Pipeline {
	t.Helper()
	sp, err := ParseSpec(name, dir, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Assemble(sp, DefaultRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
