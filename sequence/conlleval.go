package sequence

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Scheme is a tagging scheme: how chunk (phrase) boundaries are written in
// per-token tags of the form PREFIX-TYPE, or O outside chunks.
type Scheme int

// The tagging schemes.
const (
	// IOB2: every chunk starts with B-TYPE, continues with I-TYPE
	// (CoNLL-2000 chunking).
	IOB2 Scheme = iota
	// IOB1: I-TYPE everywhere; B-TYPE only on the first token of a chunk
	// that immediately follows a chunk of the same type (CoNLL-2003).
	IOB1
	// IOBES: B-TYPE begins, I-TYPE continues, E-TYPE ends a chunk of
	// several tokens; S-TYPE is a chunk of one token.
	IOBES
)

// String returns the scheme's name.
func (s Scheme) String() string {
	switch s {
	case IOB1:
		return "iob1"
	case IOB2:
		return "iob2"
	case IOBES:
		return "iobes"
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

// ParseScheme returns the scheme with the given name (iob1, iob2 or bio,
// iobes or bioes), case-insensitively.
func ParseScheme(name string) (Scheme, error) {
	switch strings.ToLower(name) {
	case "iob1":
		return IOB1, nil
	case "iob2", "bio", "":
		return IOB2, nil
	case "iobes", "bioes", "bilou":
		return IOBES, nil
	}
	return 0, fmt.Errorf("sequence: unknown tagging scheme %q (known: iob1, iob2, iobes)", name)
}

// splitTag splits a tag as conlleval does: the prefix is what precedes the
// first hyphen, the type what follows it ("" for a tag without hyphen).
func splitTag(tag string) (prefix, typ string) {
	if i := strings.IndexByte(tag, '-'); i >= 0 {
		return tag[:i], tag[i+1:]
	}
	return tag, ""
}

// Chunk is a phrase: tokens Start..End-1 of a sentence, of type Type.
type Chunk struct {
	Type       string
	Start, End int
}

// Chunks returns the chunks that tags spell in the given scheme, with the
// boundaries the conlleval script uses for IOB1 and IOB2 (IOBES tags are
// read as their IOB2 equivalents).
func Chunks(tags []string, scheme Scheme) []Chunk {
	if scheme == IOBES {
		tags = ConvertTags(tags, IOBES, IOB2)
	}
	var out []Chunk
	lastTag, lastType := "O", ""
	open := -1
	for i, t := range tags {
		tag, typ := splitTag(t)
		if open >= 0 && endOfChunk(lastTag, tag, lastType, typ) {
			out = append(out, Chunk{Type: lastType, Start: open, End: i})
			open = -1
		}
		if startOfChunk(lastTag, tag, lastType, typ) {
			open = i
		}
		lastTag, lastType = tag, typ
	}
	if open >= 0 {
		out = append(out, Chunk{Type: lastType, Start: open, End: len(tags)})
	}
	return out
}

// ConvertTags rewrites tags from one scheme to another (a new slice). The
// chunks are those Chunks reads in scheme from, so ill-formed sequences
// (I-NP after O in IOB2) are repaired the way conlleval reads them.
func ConvertTags(tags []string, from, to Scheme) []string {
	out := make([]string, len(tags))
	if from == IOBES {
		// IOBES is unambiguous: S and B start chunks, E and S end them.
		for i, t := range tags {
			p, typ := splitTag(t)
			switch p {
			case "S":
				out[i] = "B-" + typ
			case "E":
				out[i] = "I-" + typ
			default:
				out[i] = t
			}
		}
		if to == IOB2 {
			return out
		}
		tags, from = out, IOB2
		out = make([]string, len(tags))
	}
	for i := range out {
		out[i] = "O"
	}
	prevEnd, prevType := -1, ""
	for _, c := range Chunks(tags, from) {
		for i := c.Start; i < c.End; i++ {
			out[i] = "I-" + c.Type
		}
		switch to {
		case IOB2:
			out[c.Start] = "B-" + c.Type
		case IOB1:
			if prevEnd == c.Start && prevType == c.Type {
				out[c.Start] = "B-" + c.Type
			}
		case IOBES:
			if c.End-c.Start == 1 {
				out[c.Start] = "S-" + c.Type
			} else {
				out[c.Start] = "B-" + c.Type
				out[c.End-1] = "E-" + c.Type
			}
		}
		prevEnd, prevType = c.End, c.Type
	}
	return out
}

// endOfChunk and startOfChunk are the boundary rules of conlleval
// (version 2004-01-26), which read IOB1 and IOB2 alike: a chunk ends when
// the next tag begins another or is outside, or the type changes.
func endOfChunk(prevTag, tag, prevType, typ string) bool {
	switch {
	case prevTag == "B" && tag == "B",
		prevTag == "B" && tag == "O",
		prevTag == "I" && tag == "B",
		prevTag == "I" && tag == "O",
		prevTag == "E" && tag == "E",
		prevTag == "E" && tag == "I",
		prevTag == "E" && tag == "O":
		return true
	case prevTag != "O" && prevTag != "." && prevType != typ:
		return true
	case prevTag == "]" || prevTag == "[":
		return true
	}
	return false
}

func startOfChunk(prevTag, tag, prevType, typ string) bool {
	switch {
	case prevTag == "B" && tag == "B",
		prevTag == "I" && tag == "B",
		prevTag == "O" && tag == "B",
		prevTag == "O" && tag == "I",
		prevTag == "E" && tag == "E",
		prevTag == "E" && tag == "I",
		prevTag == "O" && tag == "E":
		return true
	case tag != "O" && tag != "." && prevType != typ:
		return true
	case tag == "[" || tag == "]":
		return true
	}
	return false
}

// Counter accumulates the counts of the conlleval script over sentences:
// tokens, correctly tagged tokens, and gold, predicted and correct chunks
// per type. The zero value is ready to use.
type Counter struct {
	Tokens, CorrectTags int
	// Gold, Found and Correct count chunks: in the gold tags, in the
	// predicted tags, and predicted exactly (same type, same boundaries).
	Gold, Found, Correct int
	types                map[string]*typeCount
	st                   state
}

type typeCount struct{ gold, found, correct int }

func (c *Counter) typ(name string) *typeCount {
	if c.types == nil {
		c.types = map[string]*typeCount{}
	}
	t := c.types[name]
	if t == nil {
		t = &typeCount{}
		c.types[name] = t
	}
	return t
}

// Add counts one sentence: gold and predicted tags in the given scheme.
// IOB1 and IOB2 tags are scored exactly as conlleval scores them (it reads
// both); IOBES tags are converted to IOB2 first, because conlleval's rules
// do not end a chunk at an S- or E- tag followed by a tag of the same type.
func (c *Counter) Add(gold, pred []string, scheme Scheme) error {
	if len(gold) != len(pred) {
		return fmt.Errorf("sequence: %d gold tags, %d predicted", len(gold), len(pred))
	}
	if scheme == IOBES {
		gold, pred = ConvertTags(gold, IOBES, IOB2), ConvertTags(pred, IOBES, IOB2)
	}
	c.addSentence(gold, pred)
	return nil
}

// state is conlleval's state between lines: the previous gold and
// predicted tags and whether the chunk being read is correct so far.
type state struct {
	lastC, lastG, lastCT, lastGT string
	inCorrect                    bool
	started                      bool
}

// step is conlleval's main loop for one line: gold tag (cor, corT),
// predicted tag (gue, gueT); boundary lines (blank or -X-) are steps with
// both tags O that count no token.
func (c *Counter) step(cor, corT, gue, gueT string, boundary bool) {
	s := &c.st
	if !s.started {
		s.lastC, s.lastG, s.started = "O", "O", true
	}
	if s.inCorrect {
		endC := endOfChunk(s.lastC, cor, s.lastCT, corT)
		endG := endOfChunk(s.lastG, gue, s.lastGT, gueT)
		if endC && endG && s.lastGT == s.lastCT {
			s.inCorrect = false
			c.Correct++
			c.typ(s.lastCT).correct++
		} else if endC != endG || gueT != corT {
			s.inCorrect = false
		}
	}
	startC := startOfChunk(s.lastC, cor, s.lastCT, corT)
	startG := startOfChunk(s.lastG, gue, s.lastGT, gueT)
	if startC && startG && gueT == corT {
		s.inCorrect = true
	}
	if startC {
		c.Gold++
		c.typ(corT).gold++
	}
	if startG {
		c.Found++
		c.typ(gueT).found++
	}
	if !boundary {
		if cor == gue && gueT == corT {
			c.CorrectTags++
		}
		c.Tokens++
	}
	s.lastC, s.lastG, s.lastCT, s.lastGT = cor, gue, corT, gueT
}

// addSentence runs conlleval over one sentence and the boundary line that
// follows it.
func (c *Counter) addSentence(gold, pred []string) {
	for i := range gold {
		cor, corT := splitTag(gold[i])
		gue, gueT := splitTag(pred[i])
		c.step(cor, corT, gue, gueT, false)
	}
	c.boundary()
}

func (c *Counter) boundary() { c.step("O", "", "O", "", true) }

// Result is what the conlleval script reports, with precision, recall,
// F1 (its FB1) and accuracy in percent.
type Result struct {
	Tokens, CorrectTags  int
	Gold, Found, Correct int
	Accuracy             float64
	Precision, Recall    float64
	F1                   float64
	// PerType holds the figures of each chunk type, sorted by name in
	// String and JSON.
	PerType map[string]TypeResult
}

// TypeResult is conlleval's line for one chunk type.
type TypeResult struct {
	Gold, Found, Correct int
	Precision, Recall    float64
	F1                   float64
}

// prf returns precision, recall and F1 in percent, computed as conlleval
// computes them.
func prf(correct, found, gold int) (p, r, f float64) {
	if found > 0 {
		p = 100 * float64(correct) / float64(found)
	}
	if gold > 0 {
		r = 100 * float64(correct) / float64(gold)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

// Result returns the figures counted so far.
func (c *Counter) Result() Result {
	r := Result{Tokens: c.Tokens, CorrectTags: c.CorrectTags, Gold: c.Gold, Found: c.Found, Correct: c.Correct,
		PerType: map[string]TypeResult{}}
	// At the end of its input the script counts a chunk still correct.
	pending := ""
	if c.st.inCorrect {
		r.Correct++
		pending = c.st.lastCT
		if c.types[pending] == nil {
			r.PerType[pending] = TypeResult{}
		}
	}
	if c.Tokens > 0 {
		r.Accuracy = 100 * float64(c.CorrectTags) / float64(c.Tokens)
	}
	r.Precision, r.Recall, r.F1 = prf(c.Correct, c.Found, c.Gold)
	for name, t := range c.types {
		tr := TypeResult{Gold: t.gold, Found: t.found, Correct: t.correct}
		if c.st.inCorrect && name == pending {
			tr.Correct++
		}
		tr.Precision, tr.Recall, tr.F1 = prf(t.correct, t.found, t.gold)
		r.PerType[name] = tr
	}
	return r
}

// Score scores predicted tag sequences against gold ones (one slice per
// sentence) as conlleval does (see Counter.Add).
func Score(gold, pred [][]string, scheme Scheme) (Result, error) {
	if len(gold) != len(pred) {
		return Result{}, fmt.Errorf("sequence: Score: %d gold sentences, %d predicted", len(gold), len(pred))
	}
	var c Counter
	for i := range gold {
		if err := c.Add(gold[i], pred[i], scheme); err != nil {
			return Result{}, fmt.Errorf("sequence: Score: sentence %d: %w", i+1, err)
		}
	}
	return c.Result(), nil
}

// types returns the chunk types in conlleval's order (sorted).
func (r Result) types() []string {
	names := make([]string, 0, len(r.PerType))
	for n := range r.PerType {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// String formats the result exactly as the conlleval script prints it.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "processed %d tokens with %d phrases; found: %d phrases; correct: %d.\n", r.Tokens, r.Gold, r.Found, r.Correct)
	if r.Tokens > 0 {
		fmt.Fprintf(&b, "accuracy: %6.2f%%; precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f\n", r.Accuracy, r.Precision, r.Recall, r.F1)
	}
	for _, n := range r.types() {
		t := r.PerType[n]
		fmt.Fprintf(&b, "%17s: precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  %d\n", n, t.Precision, t.Recall, t.F1, t.Found)
	}
	return b.String()
}

// round2 rounds a percentage to the two decimals conlleval prints: the
// number that %.2f prints.
func round2(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 2, 64), 64)
	return v
}

type jsonType struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Gold      int     `json:"gold"`
	Found     int     `json:"found"`
	Correct   int     `json:"correct"`
}

type jsonResult struct {
	F1        float64             `json:"f1"`
	Precision float64             `json:"precision"`
	Recall    float64             `json:"recall"`
	Accuracy  float64             `json:"accuracy"`
	Tokens    int                 `json:"tokens"`
	Gold      int                 `json:"gold"`
	Found     int                 `json:"found"`
	Correct   int                 `json:"correct"`
	PerType   map[string]jsonType `json:"per_type"`
}

// MarshalJSON writes the result as
// {"f1": ..., "precision": ..., "recall": ..., "accuracy": ..., "tokens": ...,
// "gold": ..., "found": ..., "correct": ..., "per_type": {"NP": {...}, ...}},
// percentages rounded to the two decimals conlleval prints.
func (r Result) MarshalJSON() ([]byte, error) {
	j := jsonResult{F1: round2(r.F1), Precision: round2(r.Precision), Recall: round2(r.Recall), Accuracy: round2(r.Accuracy),
		Tokens: r.Tokens, Gold: r.Gold, Found: r.Found, Correct: r.Correct, PerType: map[string]jsonType{}}
	for n, t := range r.PerType {
		j.PerType[n] = jsonType{Precision: round2(t.Precision), Recall: round2(t.Recall), F1: round2(t.F1), Gold: t.Gold, Found: t.Found, Correct: t.Correct}
	}
	return json.Marshal(j)
}

// ConllevalOptions are the settings of the conlleval script.
type ConllevalOptions struct {
	// Delimiter separates the fields; "" means a single space (the
	// script's default), which this reader widens to any run of spaces
	// and tabs.
	Delimiter string
	// Boundary is the first field of a line that separates sentences like
	// a blank line; "" means "-X-".
	Boundary string
	// OTag is the outside tag, "" meaning "O"; Raw marks tags without
	// prefixes (each token its own chunk), the script's -r.
	OTag string
	Raw  bool
}

// Conlleval reads the conlleval script's input (tokens one per line, the
// last two fields the gold and the predicted tag, a blank line or a
// boundary line between sentences) and returns its figures. Unlike the
// script, which exits on the first inconsistent line, it returns an error
// naming the line (name:line).
func Conlleval(r io.Reader, name string, opt *ConllevalOptions) (Result, error) {
	var o ConllevalOptions
	if opt != nil {
		o = *opt
	}
	if o.Boundary == "" {
		o.Boundary = "-X-"
	}
	if o.OTag == "" {
		o.OTag = "O"
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var (
		c    Counter
		nf   = -1
		line int
	)
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		var f []string
		if o.Delimiter == "" {
			f = strings.Fields(text)
		} else if text != "" {
			f = strings.Split(text, o.Delimiter)
		}
		if len(f) == 0 {
			c.boundary()
			continue
		}
		if nf < 0 {
			nf = len(f)
		} else if len(f) != nf {
			return Result{}, fmt.Errorf("%s:%d: %d fields, want %d as on the first line", name, line, len(f), nf)
		}
		if len(f) < 2 {
			return Result{}, fmt.Errorf("%s:%d: %d field, want at least 2 (gold and predicted tags)", name, line, len(f))
		}
		if f[0] == o.Boundary {
			c.boundary()
			continue
		}
		g, p := f[len(f)-2], f[len(f)-1]
		if o.Raw {
			g, p = rawTag(g, o.OTag), rawTag(p, o.OTag)
		}
		cor, corT := splitTag(g)
		gue, gueT := splitTag(p)
		c.step(cor, corT, gue, gueT, false)
	}
	if err := sc.Err(); err != nil {
		return Result{}, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return c.Result(), nil
}

func rawTag(t, oTag string) string {
	if t == oTag || t == "O" {
		return "O"
	}
	return "B-" + t
}
