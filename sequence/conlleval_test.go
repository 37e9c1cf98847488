package sequence

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestConllevalHandChecked scores a small file whose figures were counted
// by hand (see the comments) and checks conlleval's exact output.
//
// Sentence 1: gold NP He, VP reckons, NP the..deficit, VP will narrow,
// PP to, NP only..billion, PP in, NP September; the prediction splits
// "the current account | deficit": 8 gold, 9 found, 7 correct.
// Sentence 2: the prediction opens NP Rockwell with I-NP (conlleval starts
// a chunk at O→I: correct), tags "calls" NP for VP and "for" PP for SBAR,
// leaves "to" outside (VP "to supply" → VP "supply"): 10 gold, 10 found,
// 7 correct. Tokens 33, correctly tagged 27 (wrong: deficit, Rockwell,
// calls, for, to, supply).
// Totals: P = 14/19 = 73.68, R = 14/18 = 77.78, F = 28/37 = 75.68;
// NP 8/11, 8/9; PP 3/4, 3/3; SBAR 0/0, 0/1; VP 3/4, 3/5.
func TestConllevalHandChecked(t *testing.T) {
	f, err := os.Open("testdata/conlleval-small.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Conlleval(f, "conlleval-small.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/conlleval-small.out")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.String(); got != string(want) {
		t.Errorf("conlleval output:\n%s\nwant:\n%s", got, want)
	}
	if r.Tokens != 33 || r.CorrectTags != 27 || r.Gold != 18 || r.Found != 19 || r.Correct != 14 {
		t.Errorf("counts %+v", r)
	}
	if np := r.PerType["NP"]; np.Gold != 9 || np.Found != 11 || np.Correct != 8 {
		t.Errorf("NP counts %+v", np)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		F1, Precision, Recall float64
		PerType               map[string]struct{ F1, Precision, Recall float64 } `json:"per_type"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if j.F1 != 75.68 || j.Precision != 73.68 || j.Recall != 77.78 || j.PerType["PP"].F1 != 85.71 || j.PerType["VP"].Recall != 60 {
		t.Errorf("JSON %s", b)
	}

	// The same through Score on tag sequences.
	gold := [][]string{
		strings.Fields("B-NP B-VP B-NP I-NP I-NP I-NP B-VP I-VP B-PP B-NP I-NP I-NP I-NP B-PP B-NP O"),
		strings.Fields("B-NP B-VP B-NP I-NP B-VP B-SBAR B-NP B-VP I-VP B-NP I-NP I-NP I-NP B-PP B-NP I-NP O"),
	}
	pred := [][]string{
		strings.Fields("B-NP B-VP B-NP I-NP I-NP B-NP B-VP I-VP B-PP B-NP I-NP I-NP I-NP B-PP B-NP O"),
		strings.Fields("I-NP B-VP B-NP I-NP B-NP B-PP B-NP O B-VP B-NP I-NP I-NP I-NP B-PP B-NP I-NP O"),
	}
	r2, err := Score(gold, pred, IOB2)
	if err != nil {
		t.Fatal(err)
	}
	if r2.String() != string(want) {
		t.Errorf("Score output:\n%s\nwant:\n%s", r2.String(), want)
	}
	// IOBES tags of the same chunks score the same.
	var ge, pe [][]string
	for i := range gold {
		ge = append(ge, ConvertTags(gold[i], IOB2, IOBES))
		pe = append(pe, ConvertTags(pred[i], IOB2, IOBES))
	}
	r3, err := Score(ge, pe, IOBES)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Gold != r2.Gold || r3.Found != r2.Found || r3.Correct != r2.Correct {
		t.Errorf("IOBES: %d/%d/%d, IOB2 %d/%d/%d", r3.Gold, r3.Found, r3.Correct, r2.Gold, r2.Found, r2.Correct)
	}
}

func TestConvertTags(t *testing.T) {
	tests := []struct {
		name     string
		from, to Scheme
		in, want string
	}{
		{"iob2→iobes", IOB2, IOBES, "B-NP I-NP B-NP O B-VP I-VP I-VP B-PP", "B-NP E-NP S-NP O B-VP I-VP E-VP S-PP"},
		{"iob2→iob1", IOB2, IOB1, "B-NP I-NP B-NP O B-VP B-PP", "I-NP I-NP B-NP O I-VP I-PP"},
		{"iob1→iob2", IOB1, IOB2, "I-NP I-NP B-NP O I-VP I-PP", "B-NP I-NP B-NP O B-VP B-PP"},
		{"iobes→iob2", IOBES, IOB2, "S-NP S-NP B-VP E-VP O", "B-NP B-NP B-VP I-VP O"},
		{"iobes→iob1", IOBES, IOB1, "S-NP S-NP B-VP E-VP O", "I-NP B-NP I-VP I-VP O"},
		{"ill-formed iob2", IOB2, IOB2, "O I-NP I-VP", "O B-NP B-VP"},
		{"hyphenated type", IOB2, IOBES, "B-A-B I-A-B", "B-A-B E-A-B"},
	}
	for _, tt := range tests {
		got := ConvertTags(strings.Fields(tt.in), tt.from, tt.to)
		if !reflect.DeepEqual(got, strings.Fields(tt.want)) {
			t.Errorf("%s: %v, want %s", tt.name, got, tt.want)
		}
	}
}

func TestConllevalErrors(t *testing.T) {
	_, err := Conlleval(strings.NewReader("a B-NP B-NP\nb B-NP\n"), "x.txt", nil)
	if err == nil || !strings.Contains(err.Error(), "x.txt:2:") {
		t.Errorf("error %v, want one naming x.txt:2", err)
	}
	// -X- boundary lines separate sentences like blank lines.
	r, err := Conlleval(strings.NewReader("a B-NP B-NP\n-X- -X- O\nb I-NP I-NP\n"), "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Gold != 2 || r.Correct != 2 || r.Tokens != 2 {
		t.Errorf("boundary: %+v", r)
	}
	// Raw tags: each token its own chunk.
	r, err = Conlleval(strings.NewReader("a NP NP\nb NP VP\nc O O\n"), "x", &ConllevalOptions{Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Gold != 2 || r.Found != 2 || r.Correct != 1 {
		t.Errorf("raw: %+v", r)
	}
}
