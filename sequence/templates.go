package sequence

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A Template declares one kind of attribute (observation predicate) of a
// token, computed from the columns of the tokens around it. The syntax:
//
//	w[0]              column "w" of the current token
//	pos[-1]           column "pos" of the previous token
//	w[-1]|w[0]        a conjunction: both values together (a bigram)
//	pos[-2..2]        shorthand for five templates pos[-2] ... pos[2]
//	prefix(w[0],3)    the first 3 characters (runes) of the word
//	suffix(w[0],1..4) shorthand for four suffix templates, lengths 1 to 4
//	lower(w[0])       the word in lower case
//	shape(w[0])       the word's shape: upper case letters become X,
//	                  lower case x, digits d, other characters stay, and
//	                  runs of the same class collapse ("McDonald's" → "XxXx'x")
//	bias              a constant attribute of every token
//	bos, eos          attributes of the first and of the last token
//
// Column names are those given to ParseTemplates. An attribute whose
// positions fall outside the sentence is not generated (as in CRFsuite's
// feature extractors), so w[-1] is absent on the first token: use bos and
// eos to mark the edges.
type Template struct {
	Name  string // canonical spelling, e.g. "w[-1]|w[0]"
	items []item
	kind  templateKind
}

type templateKind uint8

const (
	conjunction templateKind = iota
	bias
	bos
	eos
)

type itemFunc uint8

const (
	identity itemFunc = iota
	prefixFn
	suffixFn
	lowerFn
	shapeFn
)

type item struct {
	fn     itemFunc
	col    int
	offset int
	n      int // prefix and suffix lengths
}

// ParseTemplates parses template specifications (see Template); columns
// names the columns of a token, in order. Ranges expand into several
// templates; duplicates are an error.
func ParseTemplates(specs []string, columns []string) ([]Template, error) {
	colIndex := map[string]int{}
	for i, c := range columns {
		colIndex[c] = i
	}
	var out []Template
	seen := map[string]bool{}
	for _, spec := range specs {
		ts, err := parseTemplate(strings.TrimSpace(spec), colIndex, columns)
		if err != nil {
			return nil, fmt.Errorf("sequence: template %q: %w", spec, err)
		}
		for _, t := range ts {
			if seen[t.Name] {
				return nil, fmt.Errorf("sequence: template %q: %s declared twice", spec, t.Name)
			}
			seen[t.Name] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func parseTemplate(spec string, colIndex map[string]int, columns []string) ([]Template, error) {
	switch spec {
	case "bias":
		return []Template{{Name: spec, kind: bias}}, nil
	case "bos":
		return []Template{{Name: spec, kind: bos}}, nil
	case "eos":
		return []Template{{Name: spec, kind: eos}}, nil
	case "":
		return nil, fmt.Errorf("empty template")
	}
	parts := strings.Split(spec, "|")
	// Each part may expand into several alternatives (ranges); only one
	// part of a conjunction may be a range.
	alts := make([][]item, len(parts))
	ranged := -1
	for i, p := range parts {
		its, err := parseItem(strings.TrimSpace(p), colIndex, columns)
		if err != nil {
			return nil, err
		}
		if len(its) > 1 {
			if ranged >= 0 {
				return nil, fmt.Errorf("only one part of a conjunction may be a range")
			}
			ranged = i
		}
		alts[i] = its
	}
	n := 1
	if ranged >= 0 {
		n = len(alts[ranged])
	}
	out := make([]Template, n)
	for k := range n {
		t := Template{kind: conjunction}
		names := make([]string, len(parts))
		for i := range parts {
			it := alts[i][0]
			if i == ranged {
				it = alts[i][k]
			}
			t.items = append(t.items, it)
			names[i] = it.name(columns)
		}
		t.Name = strings.Join(names, "|")
		out[k] = t
	}
	return out, nil
}

// parseItem parses col[o], col[a..b], fn(col[o]) or fn(col[o],n|a..b).
func parseItem(s string, colIndex map[string]int, columns []string) ([]item, error) {
	fn := identity
	nArg := ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return nil, fmt.Errorf("%q: missing )", s)
		}
		name := s[:i]
		args := strings.Split(s[i+1:len(s)-1], ",")
		switch name {
		case "prefix", "suffix":
			if len(args) != 2 {
				return nil, fmt.Errorf("%s takes a column and a length: %s(w[0],3)", name, name)
			}
			fn = prefixFn
			if name == "suffix" {
				fn = suffixFn
			}
			nArg = strings.TrimSpace(args[1])
		case "lower", "shape":
			if len(args) != 1 {
				return nil, fmt.Errorf("%s takes one column: %s(w[0])", name, name)
			}
			fn = lowerFn
			if name == "shape" {
				fn = shapeFn
			}
		default:
			return nil, fmt.Errorf("unknown function %q (known: prefix, suffix, lower, shape)", name)
		}
		s = strings.TrimSpace(args[0])
	}
	open := strings.IndexByte(s, '[')
	if open < 0 || !strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("%q: want column[offset], e.g. w[0] or pos[-2..2]", s)
	}
	col, ok := colIndex[s[:open]]
	if !ok {
		return nil, fmt.Errorf("unknown column %q (columns: %s)", s[:open], strings.Join(columns, ", "))
	}
	offs, err := parseRange(s[open+1 : len(s)-1])
	if err != nil {
		return nil, fmt.Errorf("%q: offset: %w", s, err)
	}
	ns := []int{0}
	if nArg != "" {
		if ns, err = parseRange(nArg); err != nil {
			return nil, fmt.Errorf("length: %w", err)
		}
		for _, n := range ns {
			if n < 1 {
				return nil, fmt.Errorf("length %d: want at least 1", n)
			}
		}
	}
	if len(offs) > 1 && len(ns) > 1 {
		return nil, fmt.Errorf("%q: a range of offsets and a range of lengths", s)
	}
	var out []item
	for _, o := range offs {
		for _, n := range ns {
			out = append(out, item{fn: fn, col: col, offset: o, n: n})
		}
	}
	return out, nil
}

// parseRange parses "k" or "a..b" (a <= b).
func parseRange(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if a, b, ok := strings.Cut(s, ".."); ok {
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || lo > hi || hi-lo > 64 {
			return nil, fmt.Errorf("bad range %q (want a..b with a <= b)", s)
		}
		r := make([]int, 0, hi-lo+1)
		for k := lo; k <= hi; k++ {
			r = append(r, k)
		}
		return r, nil
	}
	k, err := strconv.Atoi(s)
	if err != nil {
		return nil, fmt.Errorf("bad integer %q", s)
	}
	return []int{k}, nil
}

func (it item) name(columns []string) string {
	ref := columns[it.col] + "[" + strconv.Itoa(it.offset) + "]"
	switch it.fn {
	case prefixFn:
		return "prefix(" + ref + "," + strconv.Itoa(it.n) + ")"
	case suffixFn:
		return "suffix(" + ref + "," + strconv.Itoa(it.n) + ")"
	case lowerFn:
		return "lower(" + ref + ")"
	case shapeFn:
		return "shape(" + ref + ")"
	}
	return ref
}

// appendValue appends the item's value at token i of tokens to buf; ok is
// false when the position is outside the sentence.
func (it item) appendValue(buf []byte, tokens [][]string, i int) ([]byte, bool) {
	p := i + it.offset
	if p < 0 || p >= len(tokens) {
		return buf, false
	}
	v := tokens[p][it.col]
	switch it.fn {
	case prefixFn:
		n := 0
		for j := range v {
			if n == it.n {
				v = v[:j]
				break
			}
			n++
		}
		return append(buf, v...), true
	case suffixFn:
		n, j := 0, len(v)
		for j > 0 && n < it.n {
			_, size := utf8.DecodeLastRuneInString(v[:j])
			j -= size
			n++
		}
		return append(buf, v[j:]...), true
	case lowerFn:
		for _, r := range v {
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		}
		return buf, true
	case shapeFn:
		return appendShape(buf, v), true
	}
	return append(buf, v...), true
}

// appendShape appends the collapsed shape of v (see Template).
func appendShape(buf []byte, v string) []byte {
	var last rune = -1
	for _, r := range v {
		c := r
		switch {
		case unicode.IsUpper(r):
			c = 'X'
		case unicode.IsLower(r):
			c = 'x'
		case unicode.IsDigit(r):
			c = 'd'
		}
		if c != last {
			buf = utf8.AppendRune(buf, c)
			last = c
		}
	}
	return buf
}

// appendAttribute appends the attribute of template t at token i, in the
// form "name=value" (values of a conjunction separated by "|"); ok is false
// when the template does not apply there.
func (t *Template) appendAttribute(buf []byte, tokens [][]string, i int) ([]byte, bool) {
	switch t.kind {
	case bias:
		return append(buf, t.Name...), true
	case bos:
		return append(buf, t.Name...), i == 0
	case eos:
		return append(buf, t.Name...), i == len(tokens)-1
	}
	buf = append(buf, t.Name...)
	buf = append(buf, '=')
	for k, it := range t.items {
		if k > 0 {
			buf = append(buf, '|')
		}
		var ok bool
		if buf, ok = it.appendValue(buf, tokens, i); !ok {
			return buf, false
		}
	}
	return buf, true
}

// hash64 is FNV-1a over b.
func hash64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// Attributes returns the attributes of token i of tokens under templates,
// as strings ("w[-1]|w[0]=He|reckons"): what the model's features are
// keyed by (through a 64-bit hash).
func Attributes(templates []Template, tokens [][]string, i int) []string {
	var out []string
	var buf []byte
	for k := range templates {
		var ok bool
		buf, ok = templates[k].appendAttribute(buf[:0], tokens, i)
		if ok {
			out = append(out, string(buf))
		}
	}
	return out
}

// attributeHashes appends the hashes of the attributes of every token of
// tokens to dst and the end offset of each token's hashes to ends.
func attributeHashes(templates []Template, tokens [][]string, dst []uint64, ends []int32, buf []byte) ([]uint64, []int32, []byte) {
	for i := range tokens {
		for k := range templates {
			var ok bool
			buf, ok = templates[k].appendAttribute(buf[:0], tokens, i)
			if ok {
				dst = append(dst, hash64(buf))
			}
		}
		ends = append(ends, int32(len(dst)))
	}
	return dst, ends, buf
}
