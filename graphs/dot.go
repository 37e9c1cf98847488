package graphs

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// DOTOptions control the drawing written by WriteDOT. The zero value draws
// integer labels, left to right, with energies to 5 significant digits.
type DOTOptions struct {
	// Title is drawn as the graph's label.
	Title string
	// ISymbols and OSymbols, when set, give the symbols drawn for input
	// and output labels; for acceptors ISymbols is used for both when
	// OSymbols is nil. A label missing from a table is an error.
	ISymbols, OSymbols *SymbolTable
	// Transducer draws "i:o" labels even when g is an acceptor, whose
	// arcs are otherwise labelled with one label.
	Transducer bool
	// RankDir is Graphviz's rankdir: "LR" (the default), "TB", "RL" or
	// "BT".
	RankDir string
	// Precision is the number of significant digits of energies; 0 means
	// 5 (as fstdraw), and a negative value the fewest digits that
	// represent each energy exactly.
	Precision int
	// ShowZero draws energies equal to 0, which are otherwise left out
	// ("a" rather than "a/0", and a final state "3" rather than "3/0").
	ShowZero bool
	// HighlightArcs are arc numbers drawn in red and bold, for example
	// a best path.
	HighlightArcs []int32
}

// WriteDOT draws g in the Graphviz DOT language, as OpenFst's fstdraw does:
// states are circles labelled with their numbers, final states double
// circles labelled "state/final energy", the start state is bold, and arcs
// are labelled "ilabel:olabel/energy" ("label/energy" for acceptors). Render
// it with, for example, "dot -Tsvg". Symbols and the title are escaped, so
// any string may be drawn.
func WriteDOT(w io.Writer, g *Graph, opt *DOTOptions) error {
	if opt == nil {
		opt = &DOTOptions{}
	}
	acceptor := g.IsAcceptor() && !opt.Transducer
	isyms, osyms := opt.ISymbols, opt.OSymbols
	if acceptor && osyms == nil {
		osyms = isyms
	}
	rankdir := opt.RankDir
	switch rankdir {
	case "":
		rankdir = "LR"
	case "LR", "TB", "RL", "BT":
	default:
		return fmt.Errorf("graphs: WriteDOT: rankdir %q: want LR, TB, RL or BT", rankdir)
	}
	prec := opt.Precision
	if prec == 0 {
		prec = 5
	}
	highlight := make(map[int32]bool, len(opt.HighlightArcs))
	for _, a := range opt.HighlightArcs {
		if a < 0 || int(a) >= g.NumArcs() {
			return fmt.Errorf("graphs: WriteDOT: highlighted arc %d out of range [0,%d)", a, g.NumArcs())
		}
		highlight[a] = true
	}

	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "digraph FST {\nrankdir = %s;\n", rankdir)
	if opt.Title != "" {
		fmt.Fprintf(bw, "label = %s;\nlabelloc = t;\n", dotQuote(opt.Title))
	}
	bw.WriteString("center = 1;\nranksep = \"0.4\";\nnodesep = \"0.25\";\n")

	var buf []byte
	energy := func(buf []byte, w float64) []byte {
		if !opt.ShowZero && w == 0 {
			return buf
		}
		buf = append(buf, '/')
		return strconv.AppendFloat(buf, w, 'g', prec, 64)
	}
	for s := range g.NumStates() {
		buf = strconv.AppendInt(buf[:0], int64(s), 10)
		shape := "circle"
		if g.IsFinal(s) {
			shape = "doublecircle"
			buf = energy(buf, g.final[s])
		}
		style := "solid"
		if s == g.Start() {
			style = "bold"
		}
		fmt.Fprintf(bw, "%d [label = %s, shape = %s, style = %s, fontsize = 14]\n", s, dotQuote(string(buf)), shape, style)
		lo, hi := g.Arcs(s)
		for a := lo; a < hi; a++ {
			var err error
			if buf, err = appendDOTLabel(buf[:0], g.ilabel[a], isyms); err != nil {
				return err
			}
			if !acceptor {
				buf = append(buf, ':')
				if buf, err = appendDOTLabel(buf, g.olabel[a], osyms); err != nil {
					return err
				}
			}
			buf = energy(buf, g.weight[a])
			extra := ""
			if highlight[int32(a)] {
				extra = ", color = red, fontcolor = red, penwidth = 2.5, style = bold"
			}
			fmt.Fprintf(bw, "\t%d -> %d [label = %s, fontsize = 14%s];\n", s, g.dst[a], dotQuote(string(buf)), extra)
		}
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

func appendDOTLabel(buf []byte, l int32, syms *SymbolTable) ([]byte, error) {
	if syms == nil {
		return strconv.AppendInt(buf, int64(l), 10), nil
	}
	s, ok := syms.Symbol(l)
	if !ok {
		return buf, fmt.Errorf("graphs: WriteDOT: label %d is not in the symbol table", l)
	}
	return append(buf, s...), nil
}

// dotQuote returns s as a DOT double-quoted string that Graphviz draws as
// s: quotes and backslashes are escaped (a backslash would otherwise start
// one of Graphviz's label escapes such as \N), a newline becomes a line
// break, other control characters are drawn as \xNN, and invalid UTF-8 as
// U+FFFD.
func dotQuote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = utf8.AppendRune(b, utf8.RuneError)
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r < 0x20 || r == 0x7f:
			b = append(b, fmt.Sprintf(`\\x%02x`, r)...)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(append(b, '"'))
}
