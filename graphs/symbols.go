package graphs

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// SymbolTable maps labels to symbols (strings) and back, as OpenFst's
// symbol tables do. Label 0 is conventionally "<eps>".
//
// The zero value is an empty table ready to use.
type SymbolTable struct {
	byLabel map[int32]string
	byName  map[string]int32
	next    int32
}

// NewSymbolTable returns a table holding "<eps>" as label 0.
func NewSymbolTable() *SymbolTable {
	t := &SymbolTable{}
	t.AddWithLabel("<eps>", 0)
	return t
}

// Len returns the number of symbols.
func (t *SymbolTable) Len() int { return len(t.byLabel) }

// Add returns the label of sym, giving it the next free label if it is new.
func (t *SymbolTable) Add(sym string) int32 {
	if l, ok := t.byName[sym]; ok {
		return l
	}
	l := t.next
	t.AddWithLabel(sym, l)
	return l
}

// AddWithLabel binds sym to label, replacing earlier bindings of either.
func (t *SymbolTable) AddWithLabel(sym string, label int32) {
	if t.byLabel == nil {
		t.byLabel = map[int32]string{}
		t.byName = map[string]int32{}
	}
	if old, ok := t.byLabel[label]; ok {
		delete(t.byName, old)
	}
	if old, ok := t.byName[sym]; ok {
		delete(t.byLabel, old)
	}
	t.byLabel[label] = sym
	t.byName[sym] = label
	if label >= t.next {
		t.next = label + 1
	}
}

// Label returns the label of sym and whether it is in the table.
func (t *SymbolTable) Label(sym string) (int32, bool) {
	l, ok := t.byName[sym]
	return l, ok
}

// Symbol returns the symbol of label and whether it is in the table.
func (t *SymbolTable) Symbol(label int32) (string, bool) {
	s, ok := t.byLabel[label]
	return s, ok
}

// Labels returns all labels in increasing order.
func (t *SymbolTable) Labels() []int32 {
	ls := make([]int32, 0, len(t.byLabel))
	for l := range t.byLabel {
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i] < ls[j] })
	return ls
}

// ReadSymbols reads a symbol table in OpenFst text format: one
// "symbol<whitespace>label" pair a line. name is used in error messages.
func ReadSymbols(r io.Reader, name string) (*SymbolTable, error) {
	t := &SymbolTable{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"symbol label\", got %d fields", name, line, len(f))
		}
		l, err := strconv.ParseInt(f[1], 10, 32)
		if err != nil || l < 0 {
			return nil, fmt.Errorf("%s:%d: bad label %q: want a non-negative integer", name, line, f[1])
		}
		if prev, ok := t.byLabel[int32(l)]; ok {
			return nil, fmt.Errorf("%s:%d: label %d already names %q", name, line, l, prev)
		}
		if prev, ok := t.byName[f[0]]; ok {
			return nil, fmt.Errorf("%s:%d: symbol %q already has label %d", name, line, f[0], prev)
		}
		t.AddWithLabel(f[0], int32(l))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return t, nil
}

// WriteTo writes t in OpenFst text format, labels in increasing order.
func (t *SymbolTable) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	var n int64
	for _, l := range t.Labels() {
		k, err := fmt.Fprintf(bw, "%s\t%d\n", t.byLabel[l], l)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}
