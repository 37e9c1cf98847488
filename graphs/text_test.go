package graphs

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestReadTextRoundTrip(t *testing.T) {
	const in = "0\t1\t1\t2\t0.5\n1\t2\t3\t0\n1\t0.25\n2\n"
	g, err := ReadText(strings.NewReader(in), "in.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.NumStates() != 3 || g.NumArcs() != 2 || g.Start() != 0 {
		t.Fatalf("got %v", g)
	}
	if got := TextString(g); got != in {
		t.Errorf("round trip:\n got %q\nwant %q", got, in)
	}
}

func TestReadTextStartNotZero(t *testing.T) {
	g, err := ReadText(strings.NewReader("2 0 1 1\n0 1.5\n"), "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Start() != 2 || !g.IsFinal(0) || g.Final(0) != 1.5 {
		t.Fatalf("start %d final(0) %v", g.Start(), g.Final(0))
	}
	if got, want := TextString(g), "2\t0\t1\t1\n0\t1.5\n"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestReadTextErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"three fields", "0 1 2\n", "f:1: want"},
		{"bad state", "0 1 1 1\nx 1 1 1\n", "f:2: bad state"},
		{"negative state", "-1 1 1 1\n", "f:1: bad state"},
		{"bad label", "0 1 a 1\n", "f:1: bad input label"},
		{"bad weight", "0 1 1 1 zz\n", "f:1: bad energy"},
		{"nan final", "0 1 1 1\n1 nan\n", "f:2: bad final energy"},
		{"infinite arc", "0 1 1 1 Infinity\n", "f:1: arc energy is infinite"},
		{"too many", "0 1 1 1 1 1\n", "f:1: too many fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadText(strings.NewReader(tc.in), "f", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReadTextSymbols(t *testing.T) {
	syms := NewSymbolTable()
	syms.Add("a")
	syms.Add("b")
	g, err := ReadText(strings.NewReader("0 1 a 1.5\n1 2 b\n2\n"), "f", &TextOptions{ISymbols: syms, Acceptor: true})
	if err != nil {
		t.Fatal(err)
	}
	if g.ILabel(0) != 1 || g.OLabel(1) != 2 || !g.IsAcceptor() {
		t.Fatalf("labels %d %d", g.ILabel(0), g.OLabel(1))
	}
	var sb strings.Builder
	if err := WriteText(&sb, g, &TextOptions{ISymbols: syms, Acceptor: true}); err != nil {
		t.Fatal(err)
	}
	if want := "0\t1\ta\t1.5\n1\t2\tb\n2\n"; sb.String() != want {
		t.Errorf("got %q want %q", sb.String(), want)
	}
}

func TestBuilderMapFollowsSort(t *testing.T) {
	b := NewMapBuilder(1)
	b.AddStates(2)
	b.SetStart(0)
	b.AddArc(1, 0, 1, 1, 1, R(0, 7))
	b.AddArc(0, 1, 2, 2, 2, R(0, 3), R(0, 4))
	b.SetFinal(1, 0.5, R(0, 9))
	g, m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if g.Src(0) != 0 || g.Weight(0) != 2 {
		t.Fatalf("arcs not sorted by source: %s", TextString(g))
	}
	grad := make([]float64, 10)
	if err := m.Backward([]float64{1, 10, 0, 100}, grad); err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 0, 0, 1, 1, 0, 0, 10, 0, 100}
	for i := range want {
		if grad[i] != want[i] {
			t.Fatalf("grad = %v, want %v", grad, want)
		}
	}
}

// TestParseDecimalMatchesStrconv checks the allocation-free fast path
// against strconv.ParseFloat, bit for bit.
func TestParseDecimalMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	cases := []string{"0", "-0", "1", "-1.5", "0.1", "3.14159265358979", "123456789012345", ".5", "5.", "+2.25", "0.000001"}
	for range 20000 {
		cases = append(cases, strconv.FormatFloat((rng.Float64()-0.5)*math.Pow(10, float64(rng.IntN(12)-4)), 'f', rng.IntN(10), 64))
	}
	for _, c := range cases {
		got, ok := parseDecimal([]byte(c))
		want, err := strconv.ParseFloat(c, 64)
		if !ok {
			if len(strings.Trim(c, "+-.")) <= 15 && err == nil {
				t.Errorf("%q: fast path refused a short decimal", c)
			}
			continue
		}
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("%q: got %v, strconv %v (%v)", c, got, want, err)
		}
	}
	for _, c := range []string{"", "-", ".", "1e5", "1..2", "abc", "1234567890123456"} {
		if _, ok := parseDecimal([]byte(c)); ok {
			t.Errorf("%q: fast path accepted it", c)
		}
	}
}
