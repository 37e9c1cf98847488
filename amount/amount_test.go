package amount

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotn/gotn/graphs"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		syms                 string // space-separated output symbols
		text, digits, amount string
	}{
		{"$ 1 , 2 3 4 . 5 6", "$1,234.56", "123456", "1234.56"},
		{"2 0 0", "200", "200", "200.00"},
		{"$ 2 0 0 - -", "$200--", "200", "200.00"},
		{"0 . 5 0", "0.50", "050", "0.50"},
		{"1 , 2 3 4 5 6 / 1 0 0", "1,234 56/100", "123456", "1234.56"},
		{"$ 1 2 0 0 / 1 0 0 -", "$12 00/100-", "1200", "12.00"},
		{"1 th. 5 0 0 th. 0 0 0 end. -", "1.500.000.-", "1500000", "1500000.00"},
		{"$ 1 th. 2 3 4 dec, 5 6 =", "$1.234,56=", "123456", "1234.56"},
		{"0 dec, 0 5", "0,05", "005", "0.05"},
		// Not well-formed amounts: text and digits, no amount.
		{"", "", "", ""},
		{"$", "$", "", ""},
		{"0 0 7", "007", "007", ""},
		{"1 . 5", "1.5", "15", ""},
		{"1 . 5 0 . 1", "1.50.1", "1501", ""},
		{"5 / 1 0 0", "5/100", "5", ""},
		{"1 2 3 / 1 0", "1 23/10", "123", ""},
		{", 1", ",1", "1", ""},
	}
	for _, tt := range tests {
		r, err := Decode(strings.Fields(tt.syms))
		if err != nil {
			t.Errorf("Decode(%q): %v", tt.syms, err)
			continue
		}
		if r.Text != tt.text || r.Digits != tt.digits || r.Amount != tt.amount {
			t.Errorf("Decode(%q) = %+v, want text %q digits %q amount %q", tt.syms, r, tt.text, tt.digits, tt.amount)
		}
	}
	if _, err := Decode([]string{"1", "x"}); err == nil {
		t.Error("Decode accepted an unknown symbol")
	}
}

// grammar loads one of the amount grammars and its symbol tables.
func grammar(t *testing.T, name string) (*graphs.Graph, *graphs.SymbolTable, *graphs.SymbolTable) {
	t.Helper()
	dir := filepath.Join("..", "pipelines", "grammars")
	readSyms := func(f string) *graphs.SymbolTable {
		r, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		s, err := graphs.ReadSymbols(r, f)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	in, out := readSyms("amount.syms"), readSyms("amount-out.syms")
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := graphs.ReadText(f, name, &graphs.TextOptions{ISymbols: in, OSymbols: out})
	if err != nil {
		t.Fatal(err)
	}
	return g, in, out
}

// read composes the characters of s with grammar g and decodes the best
// path; ok is false when g rejects s. It also checks that every path
// that accepts s writes the same output (the grammar is functional on s,
// so the posterior of an answer is not split between spellings).
func read(t *testing.T, g *graphs.Graph, in, out *graphs.SymbolTable, s string) (Reading, float64, bool) {
	t.Helper()
	labels := make([]int32, 0, len(s))
	for _, c := range s {
		l, ok := in.Label(string(c))
		if !ok {
			t.Fatalf("%q: %q is not in amount.syms", s, c)
		}
		labels = append(labels, l)
	}
	lin, err := graphs.LinearAcceptor(labels)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := graphs.Compose(lin, g)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := graphs.NBest(c, 8)
	if err != nil || len(paths) == 0 {
		return Reading{}, 0, false
	}
	spell := func(p graphs.Path) []string {
		var syms []string
		for _, l := range p.OLabels(c) {
			sym, ok := out.Symbol(l)
			if !ok {
				t.Fatalf("%q: output label %d is not in amount-out.syms", s, l)
			}
			syms = append(syms, sym)
		}
		return syms
	}
	best := strings.Join(spell(paths[0]), " ")
	for _, p := range paths[1:] {
		if o := strings.Join(spell(p), " "); o != best {
			t.Errorf("%q: two readings, %q and %q", s, best, o)
		}
	}
	r, err := Decode(spell(paths[0]))
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return r, paths[0].Energy, true
}

func TestGrammars(t *testing.T) {
	tests := []struct {
		s           string
		us, latin   bool   // accepted by amount-us, amount-latin (amount-any: either)
		text, value string // the reading (text "" = s)
	}{
		{"$1,234.56", true, false, "", "1234.56"},
		{"1234.56", true, false, "", "1234.56"},
		{"$200.00", true, false, "", "200.00"},
		{"$200--", true, true, "", "200.00"},
		{"$200-", true, true, "", "200.00"},
		{"$1,000,000.00", true, false, "", "1000000.00"},
		{"0.50", true, false, "", "0.50"},
		{"$1,23456/100", true, false, "$1,234 56/100", "1234.56"},
		{"1200/100--", true, false, "12 00/100--", "12.00"},
		{"7", true, true, "", "7.00"},
		{"$12345", true, true, "", "12345.00"},
		{"1.500.000.-", false, true, "", "1500000.00"},
		{"$1.500=", false, true, "", "1500.00"},
		{"1.234,56", false, true, "", "1234.56"},
		{"0,05", false, true, "", "0.05"},
		{"15.000-", false, true, "", "15000.00"},
		{"15000.-", true, true, "", "15000.00"},
		{"$8.--", true, true, "", "8.00"},
		{"$50=-", true, true, "", "50.00"},
		{"$925.=", true, true, "", "925.00"},
		{"$47.478=-", false, true, "", "47478.00"},
		{"$1,234.56=", true, false, "", "1234.56"},
		{"$75 50/100", true, false, "", "75.50"},
		{"1.500--", false, true, "", "1500.00"},
		{"1,234.-", true, false, "", "1234.00"},
		// Rejected everywhere.
		{"", false, false, "", ""},
		{"$", false, false, "", ""},
		{"007", false, false, "", ""},
		{"0", false, false, "", ""},
		{"1,23", false, true, "", "1.23"},
		{"1,2345", false, false, "", ""},
		{"12,34,567", false, false, "", ""},
		{"1.5", false, false, "", ""},
		{"1.500", false, true, "", "1500.00"},
		{"1.50", true, false, "", "1.50"},
		{"1.2.3", false, false, "", ""},
		{"$$1", false, false, "", ""},
		{"1$", false, false, "", ""},
		{"-1", false, false, "", ""},
		{"56/100", false, false, "", ""},
		{"1 56/10", false, false, "", ""},
		{"1,234.5", false, false, "", ""},
		{"1.234.56", false, false, "", ""},
		{"1234==", false, false, "", ""},
		{"1234-=", false, false, "", ""},
		{"1234..-", false, false, "", ""},
		{"1234---", false, false, "", ""},
		{"1234.", false, false, "", ""},
		{"1,234,-", false, false, "", ""},
		{"#1", false, false, "", ""},
	}
	type gram struct {
		g       *graphs.Graph
		in, out *graphs.SymbolTable
	}
	load := func(name string) gram {
		g, in, out := grammar(t, name)
		return gram{g, in, out}
	}
	us, latin, any := load("amount-us.fst.txt"), load("amount-latin.fst.txt"), load("amount-any.fst.txt")
	for _, tt := range tests {
		s := strings.ReplaceAll(tt.s, " ", "")
		want := tt.text
		if want == "" {
			want = tt.s
		}
		for _, c := range []struct {
			name   string
			g      gram
			accept bool
		}{{"us", us, tt.us}, {"latin", latin, tt.latin}, {"any", any, tt.us || tt.latin}} {
			r, _, ok := read(t, c.g.g, c.g.in, c.g.out, s)
			if ok != c.accept {
				t.Errorf("amount-%s: %q accepted %v, want %v", c.name, s, ok, c.accept)
				continue
			}
			if ok && (r.Text != want || r.Amount != tt.value) {
				t.Errorf("amount-%s: %q reads %+v, want text %q amount %q", c.name, s, r, want, tt.value)
			}
		}
	}
}

func TestGrammarEnergies(t *testing.T) {
	g, in, out := grammar(t, "amount-any.fst.txt")
	// The common forms cost nothing; rarer ones cost a little.
	for s, want := range map[string]float64{"$1,234.56": 0, "1.500": 0, "1,23456/100": 0.5, "200--": 0.7, "0.50": 0.5} {
		_, e, ok := read(t, g, in, out, s)
		if !ok || e < want-1e-9 || e > want+1e-9 {
			t.Errorf("%q: energy %g (accepted %v), want %g", s, e, ok, want)
		}
	}
}
