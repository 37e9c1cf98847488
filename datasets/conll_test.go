package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadCoNLL(t *testing.T) {
	in := "\n-DOCSTART- -X- O\n\nHe PRP B-NP\nreckons\tVBZ  B-VP\n\n\n  \nthe DT B-NP\r\n"
	sents, err := ReadCoNLL(strings.NewReader(in), "in", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Sentence{
		{Line: 4, Tokens: [][]string{{"He", "PRP", "B-NP"}, {"reckons", "VBZ", "B-VP"}}},
		{Line: 9, Tokens: [][]string{{"the", "DT", "B-NP"}}},
	}
	if !reflect.DeepEqual(sents, want) {
		t.Errorf("got %+v, want %+v", sents, want)
	}
	if got := sents[0].Column(2); !reflect.DeepEqual(got, []string{"B-NP", "B-VP"}) {
		t.Errorf("Column(2) = %v", got)
	}
	var buf bytes.Buffer
	s2, err := sents[0].WithColumn([]string{"B-NP", "I-NP"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteCoNLL(&buf, []Sentence{s2, sents[1]}, ""); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "He PRP B-NP B-NP\nreckons VBZ B-VP I-NP\n\nthe DT B-NP\n\n"; got != want {
		t.Errorf("WriteCoNLL wrote %q, want %q", got, want)
	}
}

func TestReadCoNLLErrors(t *testing.T) {
	tests := []struct {
		name, in string
		opt      *CoNLLOptions
		want     string
	}{
		{"ragged", "a B\nb C\n\nc D E\n", nil, "f.txt:4: 3 columns, want 2"},
		{"configured", "a B C\n", &CoNLLOptions{Columns: 2}, "f.txt:1: 3 columns, want 2"},
		{"tab delimiter", "a b\tB\nc\td\tE\n", &CoNLLOptions{Delimiter: "\t"}, "f.txt:2: 3 columns, want 2"},
	}
	for _, tt := range tests {
		_, err := ReadCoNLL(strings.NewReader(tt.in), "f.txt", tt.opt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	var buf bytes.Buffer
	if err := WriteCoNLL(&buf, []Sentence{{Tokens: [][]string{{"a b", "X"}}}}, ""); err == nil {
		t.Error("WriteCoNLL wrote a field with a space")
	}
}

// TestCoNLL2000 reads the CoNLL-2000 files and checks their published sizes.
func TestCoNLL2000(t *testing.T) {
	dir, err := CoNLL2000Dir("")
	if err != nil {
		t.Skipf("CoNLL-2000 data not available (set GTN_DATA to the directory holding conll2000/): %v", err)
	}
	for _, c := range []struct {
		file          string
		sents, tokens int
	}{{"train.txt", 8936, 211727}, {"test.txt", 2012, 47377}} {
		sents, err := ReadCoNLLFile(filepath.Join(dir, c.file), &CoNLLOptions{Columns: 3})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range sents {
			n += s.Len()
		}
		if len(sents) != c.sents || n != c.tokens {
			t.Errorf("%s: %d sentences, %d tokens; want %d, %d", c.file, len(sents), n, c.sents, c.tokens)
		}
	}
}

func TestCoNLL2000DirMissing(t *testing.T) {
	if _, err := CoNLL2000Dir(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("no error for a missing directory")
	}
	t.Setenv("GTN_DATA", "")
	os.Unsetenv("GTN_DATA")
	if _, err := CoNLL2000Dir(""); err == nil || !strings.Contains(err.Error(), "GTN_DATA") {
		t.Errorf("error %v, want one mentioning GTN_DATA", err)
	}
}
