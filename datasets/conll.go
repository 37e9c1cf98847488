package datasets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Sentence is one sentence of a CoNLL column file: a token per line, the
// fields of a token in columns (for CoNLL-2000 chunking: word, POS tag,
// chunk tag).
type Sentence struct {
	// Line is the 1-based line number of the sentence's first token in the
	// file it was read from (0 for sentences made in memory).
	Line int
	// Tokens holds the fields of each token: Tokens[i][j] is column j of
	// token i. Every token of a file has the same number of columns.
	Tokens [][]string
}

// Len returns the number of tokens.
func (s *Sentence) Len() int { return len(s.Tokens) }

// Column returns column j of every token (a new slice).
func (s *Sentence) Column(j int) []string {
	col := make([]string, len(s.Tokens))
	for i, tok := range s.Tokens {
		col[i] = tok[j]
	}
	return col
}

// WithColumn returns a copy of s with col appended to every token as a
// last column (for example a predicted tag); len(col) must be s.Len().
func (s *Sentence) WithColumn(col []string) (Sentence, error) {
	if len(col) != len(s.Tokens) {
		return Sentence{}, fmt.Errorf("datasets: sentence at line %d has %d tokens, new column has %d", s.Line, len(s.Tokens), len(col))
	}
	out := Sentence{Line: s.Line, Tokens: make([][]string, len(s.Tokens))}
	for i, tok := range s.Tokens {
		t := make([]string, len(tok)+1)
		copy(t, tok)
		t[len(tok)] = col[i]
		out.Tokens[i] = t
	}
	return out, nil
}

// CoNLLOptions says how to read a CoNLL column file. The zero value reads
// whitespace-separated columns, as many as the first token line has.
type CoNLLOptions struct {
	// Columns is the number of columns every token line must have; 0 means
	// that the first token line decides.
	Columns int
	// Delimiter separates the columns; "" means any run of spaces and tabs
	// (so a field never contains white space).
	Delimiter string
	// KeepDocStart keeps "-DOCSTART-" lines (CoNLL-2003) as tokens; by
	// default such a line ends the current sentence and is dropped.
	KeepDocStart bool
}

// ReadCoNLL reads a CoNLL column file: one token per line, its fields in
// columns, sentences separated by blank lines (lines of only white space).
// A line whose number of columns differs from the others is an error that
// names the file (name) and the line. Empty sentences are never returned.
func ReadCoNLL(r io.Reader, name string, opt *CoNLLOptions) ([]Sentence, error) {
	var o CoNLLOptions
	if opt != nil {
		o = *opt
	}
	if o.Columns < 0 {
		return nil, fmt.Errorf("%s: negative number of columns %d", name, o.Columns)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var (
		sents []Sentence
		cur   Sentence
		line  int
		ncol  = o.Columns
	)
	flush := func() {
		if len(cur.Tokens) > 0 {
			sents = append(sents, cur)
		}
		cur = Sentence{}
	}
	// Sentences share one backing array of fields per file chunk, so a
	// large file costs few allocations.
	var arena []string
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			flush()
			continue
		}
		if !o.KeepDocStart && strings.HasPrefix(text, "-DOCSTART-") {
			flush()
			continue
		}
		start := len(arena)
		if o.Delimiter == "" {
			arena = appendFields(arena, text)
		} else {
			arena = append(arena, strings.Split(text, o.Delimiter)...)
		}
		n := len(arena) - start
		if ncol == 0 {
			ncol = n
		}
		if n != ncol {
			return nil, fmt.Errorf("%s:%d: %d columns, want %d (as %s): %q", name, line, n, ncol, columnsSource(o), clip(text))
		}
		if len(cur.Tokens) == 0 {
			cur.Line = line
		}
		cur.Tokens = append(cur.Tokens, arena[start:len(arena):len(arena)])
		if cap(arena)-len(arena) < 64 {
			arena = make([]string, 0, 64*1024)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than 16 MiB", name, line+1)
		}
		return nil, fmt.Errorf("%s: line %d: %w", name, line+1, err)
	}
	flush()
	return sents, nil
}

func columnsSource(o CoNLLOptions) string {
	if o.Columns > 0 {
		return "configured"
	}
	return "on the first token line"
}

// appendFields appends the white-space separated fields of s to dst.
func appendFields(dst []string, s string) []string {
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		if j > i {
			dst = append(dst, s[i:j])
		}
		i = j
	}
	return dst
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// ReadCoNLLFile reads the CoNLL column file at path (see ReadCoNLL).
func ReadCoNLLFile(path string, opt *CoNLLOptions) ([]Sentence, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCoNLL(bufio.NewReaderSize(f, 1<<16), path, opt)
}

// WriteCoNLL writes sentences in CoNLL column format: the fields of a token
// on one line separated by delim (" " when empty), a blank line after each
// sentence. A field that is empty or contains the delimiter, a newline or
// (with the default delimiter) white space could not be read back, and is
// an error.
func WriteCoNLL(w io.Writer, sents []Sentence, delim string) error {
	if delim == "" {
		delim = " "
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	for si, s := range sents {
		for ti, tok := range s.Tokens {
			for j, f := range tok {
				if f == "" || strings.Contains(f, delim) || strings.ContainsAny(f, "\n\r") || (delim == " " && strings.ContainsAny(f, "\t")) {
					return fmt.Errorf("datasets: WriteCoNLL: sentence %d, token %d, column %d: field %q cannot be written with delimiter %q", si+1, ti+1, j+1, f, delim)
				}
				if j > 0 {
					bw.WriteString(delim)
				}
				bw.WriteString(f)
			}
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// CoNLL2000Dir returns the directory of the CoNLL-2000 chunking data
// (train.txt and test.txt): dir if not empty (typically a command-line
// flag; it must hold the files), else $GTN_DATA/conll2000. The error says
// where it looked.
func CoNLL2000Dir(dir string) (string, error) {
	if dir == "" {
		env := os.Getenv("GTN_DATA")
		if env == "" {
			return "", errors.New("datasets: CoNLL-2000 data not found: no directory given and GTN_DATA is not set (want $GTN_DATA/conll2000/{train,test}.txt)")
		}
		dir = filepath.Join(env, "conll2000")
	}
	for _, f := range []string{"train.txt", "test.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", fmt.Errorf("datasets: CoNLL-2000 directory %s: %w", dir, err)
		}
	}
	return dir, nil
}
