package graphs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// TextOptions control the AT&T (OpenFst) text format. The zero value reads
// and writes transducers with integer labels.
type TextOptions struct {
	// ISymbols and OSymbols, when set, map labels to the symbols written
	// in the file, for input and output labels. For acceptors ISymbols is
	// used for both.
	ISymbols, OSymbols *SymbolTable
	// Acceptor selects the acceptor format: arc lines carry one label.
	Acceptor bool
}

// maxTextStates bounds the state numbers a text file may use, so that a
// typo cannot make the reader allocate tens of gigabytes.
const maxTextStates = 1 << 27

// ReadText reads a graph in the AT&T text format of OpenFst's fstcompile:
// one arc a line, "src dst ilabel olabel [energy]" ("src dst label [energy]"
// for acceptors), and final states as "state [energy]". The source of the
// first line is the start state. Energies default to 0; "Infinity" is +Inf.
// Blank lines are skipped. name is used in error messages, which give the
// line at fault.
func ReadText(r io.Reader, name string, opt *TextOptions) (*Graph, error) {
	if opt == nil {
		opt = &TextOptions{}
	}
	isyms, osyms := opt.ISymbols, opt.OSymbols
	if opt.Acceptor && osyms == nil {
		osyms = isyms
	}
	b := NewBuilder()
	br := bufio.NewReaderSize(r, 1<<16)
	var fields [6][]byte
	line := 0
	started := false
	ensure := func(s int64) {
		if n := int64(b.NumStates()); n <= s {
			b.AddStates(int(s + 1 - n))
		}
	}
	for {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", name, line+1, br.Size())
		}
		if len(raw) == 0 && err != nil {
			if err == io.EOF {
				break
			}
			return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
		}
		line++
		n := splitFields(raw, fields[:])
		if n == 0 {
			if err == io.EOF {
				break
			}
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: "+format, append([]any{name, line}, args...)...)
		}
		if n > 5 {
			return nil, bad("too many fields (%d)", n)
		}
		src, e := parseState(fields[0])
		if e != nil {
			return nil, bad("bad state %q: %v", fields[0], e)
		}
		ensure(src)
		if !started {
			b.SetStart(int(src))
			started = true
		}
		arcFields := 4
		if opt.Acceptor {
			arcFields = 3
		}
		switch {
		case n <= 2: // final state
			w := 0.0
			if n == 2 {
				if w, e = parseEnergy(fields[1]); e != nil {
					return nil, bad("bad final energy %q: %v", fields[1], e)
				}
			}
			b.SetFinal(int(src), w)
		case n == arcFields || n == arcFields+1:
			dst, e := parseState(fields[1])
			if e != nil {
				return nil, bad("bad state %q: %v", fields[1], e)
			}
			ensure(dst)
			il, e := parseLabel(fields[2], isyms)
			if e != nil {
				return nil, bad("bad input label %q: %v", fields[2], e)
			}
			ol := il
			if !opt.Acceptor {
				if ol, e = parseLabel(fields[3], osyms); e != nil {
					return nil, bad("bad output label %q: %v", fields[3], e)
				}
			}
			w := 0.0
			if n == arcFields+1 {
				if w, e = parseEnergy(fields[n-1]); e != nil {
					return nil, bad("bad energy %q: %v", fields[n-1], e)
				}
				if math.IsInf(w, 1) {
					return nil, bad("arc energy is infinite: leave the arc out instead")
				}
			}
			b.AddArc(int(src), int(dst), il, ol, w)
		default:
			if opt.Acceptor {
				return nil, bad("want \"src dst label [energy]\" or \"state [energy]\", got %d fields", n)
			}
			return nil, bad("want \"src dst ilabel olabel [energy]\" or \"state [energy]\", got %d fields (use the acceptor format for one label)", n)
		}
		if err == io.EOF {
			break
		}
	}
	g, _, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return g, nil
}

// splitFields splits line at spaces and tabs into fields, returning how many
// there are; it stops counting (but keeps going) past len(fields).
func splitFields(line []byte, fields [][]byte) int {
	n := 0
	i := 0
	for i < len(line) {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		if n < len(fields) {
			fields[n] = line[i:j]
		}
		n++
		i = j
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func parseState(f []byte) (int64, error) {
	s, err := parseInt(f)
	if err != nil {
		return 0, err
	}
	if s < 0 || s >= maxTextStates {
		return 0, fmt.Errorf("state number out of range [0,%d)", maxTextStates)
	}
	return s, nil
}

func parseLabel(f []byte, syms *SymbolTable) (int32, error) {
	if syms != nil {
		l, ok := syms.Label(string(f))
		if !ok {
			return 0, errors.New("not in the symbol table")
		}
		return l, nil
	}
	l, err := parseInt(f)
	if err != nil {
		return 0, err
	}
	if l < 0 || l > math.MaxInt32 {
		return 0, errors.New("label out of range [0,2147483647]")
	}
	return int32(l), nil
}

// parseInt parses a decimal integer without allocating.
func parseInt(f []byte) (int64, error) {
	if len(f) == 0 || len(f) > 18 {
		return 0, errors.New("not an integer")
	}
	neg := false
	i := 0
	if f[0] == '-' || f[0] == '+' {
		neg = f[0] == '-'
		i = 1
		if len(f) == 1 {
			return 0, errors.New("not an integer")
		}
	}
	var v int64
	for ; i < len(f); i++ {
		c := f[i]
		if c < '0' || c > '9' {
			return 0, errors.New("not an integer")
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, nil
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimal parses the common "[-]digits[.digits]" form without
// allocating. When the digits fit in 15 decimal places, the mantissa and the
// power of ten are exact in float64 and one division is correctly rounded
// (Clinger's fast path), so the result equals strconv.ParseFloat's; ok is
// false for anything else.
func parseDecimal(f []byte) (v float64, ok bool) {
	i, neg := 0, false
	if len(f) > 0 && (f[0] == '-' || f[0] == '+') {
		neg, i = f[0] == '-', 1
	}
	var mant uint64
	digits, frac := 0, -1
	for ; i < len(f); i++ {
		c := f[i]
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	v = float64(mant)
	if frac > 0 {
		v /= pow10[frac]
	}
	if neg {
		v = -v
	}
	return v, true
}

func parseEnergy(f []byte) (float64, error) {
	if v, ok := parseDecimal(f); ok {
		return v, nil
	}
	switch string(f) {
	case "Infinity", "inf", "Inf", "+inf", "+Infinity":
		return Inf, nil
	}
	w, err := strconv.ParseFloat(string(f), 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	if math.IsNaN(w) || math.IsInf(w, -1) {
		return 0, errors.New("energy must be a number or Infinity")
	}
	return w, nil
}

// WriteText writes g in the AT&T text format read by ReadText and by
// OpenFst's fstcompile: the start state's arcs first, then the other states
// in order; each state's arcs, then its final line if it is final. Zero
// energies are left out. Labels missing from a symbol table are an error.
func WriteText(w io.Writer, g *Graph, opt *TextOptions) error {
	if opt == nil {
		opt = &TextOptions{}
	}
	isyms, osyms := opt.ISymbols, opt.OSymbols
	if opt.Acceptor && osyms == nil {
		osyms = isyms
	}
	if opt.Acceptor && !g.IsAcceptor() {
		return errors.New("graphs: WriteText: acceptor format for a transducer")
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var buf []byte
	var err error
	writeState := func(s int) error {
		lo, hi := g.Arcs(s)
		for a := lo; a < hi; a++ {
			buf = buf[:0]
			buf = strconv.AppendInt(buf, int64(s), 10)
			buf = append(buf, '\t')
			buf = strconv.AppendInt(buf, int64(g.dst[a]), 10)
			buf = append(buf, '\t')
			if buf, err = appendLabel(buf, g.ilabel[a], isyms); err != nil {
				return err
			}
			if !opt.Acceptor {
				buf = append(buf, '\t')
				if buf, err = appendLabel(buf, g.olabel[a], osyms); err != nil {
					return err
				}
			}
			if w := g.weight[a]; w != 0 {
				buf = append(buf, '\t')
				buf = appendEnergy(buf, w)
			}
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
		if g.IsFinal(s) {
			buf = buf[:0]
			buf = strconv.AppendInt(buf, int64(s), 10)
			if f := g.final[s]; f != 0 {
				buf = append(buf, '\t')
				buf = appendEnergy(buf, f)
			}
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
		return nil
	}
	if n := g.NumStates(); n > 0 {
		start := g.Start()
		if err := writeState(start); err != nil {
			return err
		}
		for s := range n {
			if s != start {
				if err := writeState(s); err != nil {
					return err
				}
			}
		}
	}
	return bw.Flush()
}

func appendLabel(buf []byte, l int32, syms *SymbolTable) ([]byte, error) {
	if syms == nil {
		return strconv.AppendInt(buf, int64(l), 10), nil
	}
	s, ok := syms.Symbol(l)
	if !ok {
		return buf, fmt.Errorf("graphs: WriteText: label %d is not in the symbol table", l)
	}
	return append(buf, s...), nil
}

func appendEnergy(buf []byte, w float64) []byte {
	if math.IsInf(w, 1) {
		return append(buf, "Infinity"...)
	}
	return strconv.AppendFloat(buf, w, 'g', -1, 64)
}

// TextString returns g in AT&T text with integer labels, for tests and
// debugging.
func TextString(g *Graph) string {
	var buf bytes.Buffer
	if err := WriteText(&buf, g, nil); err != nil {
		return "error: " + err.Error()
	}
	return buf.String()
}
