package graphs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// sameGraph reports whether g and h are equal in every stored respect.
func sameGraph(g, h *Graph) bool {
	if g.NumStates() != h.NumStates() || g.Start() != h.Start() {
		return false
	}
	if g.NumStates() > 0 && g.props != h.props { // the zero Graph has no properties
		return false
	}
	eqf := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	}
	first := func(g *Graph) []int32 {
		if g.NumStates() == 0 {
			return nil
		}
		return g.first
	}
	return slices.Equal(first(g), first(h)) && slices.Equal(g.src, h.src) && slices.Equal(g.dst, h.dst) &&
		slices.Equal(g.ilabel, h.ilabel) && slices.Equal(g.olabel, h.olabel) &&
		eqf(g.weight, h.weight) && eqf(g.final, h.final)
}

func TestBinaryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	graphs := []*Graph{{}, emptyGraph(), mustRead(t, graphA), mustRead(t, graphB)}
	for range 100 {
		o := rationalOptions(rng)
		o.MinW, o.MaxW = -1e6, 1e6
		graphs = append(graphs, randomGraph(rng, o))
	}
	// Small pieces exercise the growth of blobs read from streams.
	defer func(n int) { blobChunk = n }(blobChunk)
	blobChunk = 8
	for i, g := range graphs {
		var buf bytes.Buffer
		if err := WriteBinary(&buf, g); err != nil {
			t.Fatal(err)
		}
		h, err := ReadBinary(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("graph %d: %v", i, err)
		}
		if !sameGraph(g, h) {
			t.Fatalf("graph %d: round trip changed it:\n%s\n%s", i, TextString(g), TextString(h))
		}
		if g.IsAcceptor() && g.NumArcs() > 0 && &h.olabel[0] != &h.ilabel[0] {
			t.Errorf("graph %d: acceptor read with two label slices", i)
		}
		// The same through MarshalBinary, and through a stream of unknown
		// length read in small pieces.
		data, err := g.MarshalBinary()
		if err != nil || !bytes.Equal(data, buf.Bytes()) {
			t.Fatalf("graph %d: MarshalBinary differs from WriteBinary (%v)", i, err)
		}
		var u Graph
		if err := u.UnmarshalBinary(data); err != nil || !sameGraph(g, &u) {
			t.Fatalf("graph %d: UnmarshalBinary: %v", i, err)
		}
		h, err = ReadBinary(struct{ io.Reader }{bytes.NewReader(data)})
		if err != nil || !sameGraph(g, h) {
			t.Fatalf("graph %d: reading a stream: %v", i, err)
		}
	}
}

// TestBinaryLayout decodes the format with a generic msgpack decoder, as a
// reader in another language would.
func TestBinaryLayout(t *testing.T) {
	g := mustRead(t, "0 1 1 2 0.5\n1 0 3 3\n1 1.25\n")
	data, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := msgpack.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	le := func(v ...any) []byte {
		var b []byte
		for _, x := range v {
			b, _ = binary.Append(b, binary.LittleEndian, x)
		}
		return b
	}
	want := map[string]any{
		"format":  "gotn/graph",
		"version": int8(1),
		"states":  int8(2),
		"arcs":    int8(2),
		"start":   int8(0),
		"first":   le(int32(0), int32(1), int32(2)),
		"dst":     le(int32(1), int32(0)),
		"ilabel":  le(int32(1), int32(3)),
		"olabel":  le(int32(2), int32(3)),
		"weight":  le(0.5, 0.0),
		"final":   le(math.Inf(1), 1.25),
	}
	if len(m) != len(want) {
		t.Errorf("keys %v", m)
	}
	for k, w := range want {
		got := m[k]
		if gb, ok := got.([]byte); ok {
			if !bytes.Equal(gb, w.([]byte)) {
				t.Errorf("%s: %x, want %x", k, gb, w)
			}
		} else if got != w {
			t.Errorf("%s: %#v, want %#v", k, got, w)
		}
	}
	// An acceptor has no "olabel".
	a, _ := Project(g, ProjectInput)
	data, _ = a.MarshalBinary()
	m = nil
	if err := msgpack.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["olabel"]; ok || len(m) != 10 {
		t.Errorf("acceptor keys: %v", m)
	}
}

// field is a key and value of a hand-made binary document.
type field struct {
	key   string
	value any
}

// fieldsOf returns the fields of the binary form of g.
func fieldsOf(g *Graph) []field {
	first := g.first
	if g.NumStates() == 0 {
		first = []int32{0}
	}
	return []field{
		{"format", BinaryFormat}, {"version", BinaryVersion}, {"states", g.NumStates()},
		{"arcs", g.NumArcs()}, {"start", g.Start()}, {"first", first}, {"dst", g.dst},
		{"ilabel", g.ilabel}, {"olabel", g.olabel}, {"weight", g.weight}, {"final", g.final},
	}
}

// encodeFields writes a document with the fields in order; int32 and
// float64 slices become little-endian blobs.
func encodeFields(t testing.TB, fs []field) []byte {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	check := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	check(e.EncodeMapLen(len(fs)))
	for _, f := range fs {
		check(e.EncodeString(f.key))
		switch v := f.value.(type) {
		case []int32, []float64:
			b, err := binary.Append([]byte{}, binary.LittleEndian, v)
			check(err)
			check(e.EncodeBytes(b))
		default:
			check(e.Encode(v))
		}
	}
	return buf.Bytes()
}

// with returns fs with the value of key replaced (added at the end if
// absent; removed if value is the string "delete").
func with(fs []field, key string, value any) []field {
	out := slices.Clone(fs)
	for i, f := range out {
		if f.key == key {
			if value == "delete" {
				return slices.Delete(out, i, i+1)
			}
			out[i].value = value
			return out
		}
	}
	return append(out, field{key, value})
}

func TestReadBinaryErrors(t *testing.T) {
	g := mustRead(t, "0 1 1 2 0.5\n1 0 3 3\n1 1.25\n")
	ok := fieldsOf(g)
	if _, err := ReadBinary(bytes.NewReader(encodeFields(t, ok))); err != nil {
		t.Fatalf("hand-made document: %v", err)
	}
	for _, tc := range []struct {
		name   string
		fields []field
		want   string
	}{
		{"format", with(ok, "format", "gotn/tensor"), `format "gotn/tensor", want "gotn/graph"`},
		{"format not first", append([]field{{"version", 1}}, ok...), `first key "version", want "format"`},
		{"format type", with(ok, "format", 3), `"format" is not a string`},
		{"newer version", with(ok, "version", 2), "format version 2 is newer than this reader's (1)"},
		{"bad version", with(ok, "version", 0), "invalid format version 0"},
		{"missing", with(ok, "final", "delete"), `missing key "final"`},
		{"duplicate", append(slices.Clone(ok), field{"dst", []int32{1, 0}}), `key "dst" appears twice`},
		{"int type", with(ok, "states", "two"), `"states": want an integer`},
		{"nil int", with(ok, "start", nil), `"start": want an integer`},
		{"blob type", with(ok, "dst", "x"), `"dst": want an msgpack bin`},
		{"blob size", with(ok, "weight", []byte{1, 2, 3}), "blob of 3 bytes is not a whole number of 8-byte values"},
		{"states range", with(ok, "states", -1), "states: -1 out of range"},
		{"arcs range", with(ok, "arcs", int64(1)<<40), "arcs: 1099511627776 out of range"},
		{"first length", with(ok, "first", []int32{0, 2}), "first: 2 values, want states+1 = 3"},
		{"final length", with(ok, "final", []float64{0}), "final: 1 values, want states = 2"},
		{"dst length", with(ok, "dst", []int32{1}), "dst: 1 values, want arcs = 2"},
		{"olabel length", with(ok, "olabel", []int32{1, 2, 3}), "olabel: 3 values, want arcs = 2"},
		{"start range", with(ok, "start", 2), "start: state 2 out of range [0,2)"},
		{"start of empty", fieldsOfEmptyWith(0), "start: 0, want -1 for a graph without states"},
		{"first[0]", with(ok, "first", []int32{1, 1, 2}), "first[0] = 1, want 0"},
		{"first end", with(ok, "first", []int32{0, 1, 1}), "first[2] = 1, want arcs = 2"},
		{"first order", with(with(ok, "first", []int32{0, 3, 2}), "arcs", 2), "first[1] = 3 after first[0] = 0"},
		{"dst range", with(ok, "dst", []int32{1, 2}), "dst: arc 1: state 2 out of range [0,2)"},
		{"negative dst", with(ok, "dst", []int32{-1, 0}), "dst: arc 0: state -1 out of range"},
		{"ilabel", with(ok, "ilabel", []int32{1, -3}), "ilabel: arc 1: negative label -3"},
		{"olabel", with(ok, "olabel", []int32{-1, 3}), "olabel: arc 0: negative label -1"},
		{"nan weight", with(ok, "weight", []float64{math.NaN(), 0}), "weight: arc 0: invalid energy NaN"},
		{"inf weight", with(ok, "weight", []float64{0, math.Inf(1)}), "weight: arc 1: invalid energy +Inf"},
		{"nan final", with(ok, "final", []float64{math.NaN(), 0}), "final: state 0: invalid final energy NaN"},
		{"-inf final", with(ok, "final", []float64{0, math.Inf(-1)}), "final: state 1: invalid final energy -Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadBinary(bytes.NewReader(encodeFields(t, tc.fields)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "graphs: ReadBinary: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	// Unknown keys are skipped.
	h, err := ReadBinary(bytes.NewReader(encodeFields(t, with(ok, "comment", map[string]any{"x": []int{1, 2}}))))
	if err != nil || !sameGraph(g, h) {
		t.Errorf("unknown key: %v", err)
	}
	// Not a map at all.
	for _, data := range [][]byte{nil, {0x01}, []byte("hello"), {0x80}} {
		if _, err := ReadBinary(bytes.NewReader(data)); err == nil {
			t.Errorf("%q: no error", data)
		}
	}
}

// runtimeMem records the bytes allocated so far.
type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}

func fieldsOfEmptyWith(start int) []field {
	return with(fieldsOf(emptyGraph()), "start", start)
}

// TestReadBinaryTruncated reads every prefix of a document, from memory
// (whose length the reader knows) and as a stream (whose length it does
// not).
func TestReadBinaryTruncated(t *testing.T) {
	g := mustRead(t, "0 1 1 2 0.5\n1 0 3 3\n1 1.25\n")
	data, _ := g.MarshalBinary()
	for n := range len(data) {
		_, err := ReadBinary(bytes.NewReader(data[:n]))
		if err == nil {
			t.Fatalf("prefix of %d bytes: no error", n)
		}
		_, err2 := ReadBinary(struct{ io.Reader }{bytes.NewReader(data[:n])})
		if err2 == nil {
			t.Fatalf("stream prefix of %d bytes: no error", n)
		}
	}
	var u Graph
	if err := u.UnmarshalBinary(append(data, 0)); err == nil || !strings.Contains(err.Error(), "1 bytes after the graph") {
		t.Errorf("trailing byte: %v", err)
	}
}

// TestReadBinaryHugeClaim checks that a blob claiming 4 GiB in a short
// input is rejected without allocating it.
func TestReadBinaryHugeClaim(t *testing.T) {
	doc := encodeFields(t, fieldsOf(mustRead(t, graphB))[:5])
	doc[0] = 0x80 | 6 // one more key than written
	doc = append(doc, 0xa5, 'f', 'i', 'r', 's', 't', 0xc6, 0xff, 0xff, 0xff, 0xf0)
	_, err := ReadBinary(bytes.NewReader(doc))
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("error %v", err)
	}
	var before, after runtimeMem
	before.read()
	_, err = ReadBinary(struct{ io.Reader }{bytes.NewReader(doc)})
	after.read()
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("stream: error %v", err)
	}
	if d := after.total - before.total; d > 64<<20 {
		t.Errorf("stream: allocated %d bytes for a claim of 4 GiB", d)
	}
}

func TestReadBinaryStreamOfGraphs(t *testing.T) {
	a, b := mustRead(t, graphA), mustRead(t, graphB)
	var buf bytes.Buffer
	for _, g := range []*Graph{a, b, a} {
		if err := WriteBinary(&buf, g); err != nil {
			t.Fatal(err)
		}
	}
	buf.WriteString("tail")
	r := bufio.NewReader(&buf)
	for i, want := range []*Graph{a, b, a} {
		g, err := ReadBinary(r)
		if err != nil || !sameGraph(g, want) {
			t.Fatalf("graph %d: %v", i, err)
		}
	}
	if rest, _ := io.ReadAll(r); string(rest) != "tail" {
		t.Errorf("rest %q", rest)
	}
}

func TestReadBinaryFile(t *testing.T) {
	g := mustRead(t, graphA)
	path := filepath.Join(t.TempDir(), "g.msgpack")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteBinary(f, g); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := remaining(f); n <= 0 {
		t.Errorf("remaining(file) = %d", n)
	}
	h, err := ReadBinary(f)
	if err != nil || !sameGraph(g, h) {
		t.Fatalf("%v", err)
	}
}

// model is a value that embeds graphs, as a model file would.
type model struct {
	Name    string
	Grammar *Graph
	Lexicon []*Graph
}

func TestBinaryMsgpackEmbedding(t *testing.T) {
	a, b := mustRead(t, graphA), mustRead(t, graphB)
	data, err := msgpack.Marshal(&model{Name: "m", Grammar: a, Lexicon: []*Graph{b, a}})
	if err != nil {
		t.Fatal(err)
	}
	var m model
	if err := msgpack.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Name != "m" || !sameGraph(m.Grammar, a) || len(m.Lexicon) != 2 || !sameGraph(m.Lexicon[0], b) || !sameGraph(m.Lexicon[1], a) {
		t.Errorf("got %+v", m)
	}
	// A graph is stored as the map of the binary format, not as a blob.
	var generic map[string]any
	if err := msgpack.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	if gm, ok := generic["Grammar"].(map[string]any); !ok || gm["format"] != BinaryFormat {
		t.Errorf("Grammar stored as %T", generic["Grammar"])
	}
	// A corrupt nested graph is an error.
	bad := bytes.Replace(data, []byte(BinaryFormat), []byte("gotn/grap_"), 1)
	if err := msgpack.Unmarshal(bad, &m); err == nil || !strings.Contains(err.Error(), "graphs: DecodeMsgpack: not a graph") {
		t.Errorf("corrupt nested graph: %v", err)
	}
}

func FuzzReadBinary(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, g := range []*Graph{{}, mustRead(f, graphA), mustRead(f, graphB), randomGraph(rng, randomOptions{States: 4, ArcsPerState: 2, Labels: 3, MaxW: 1, FinalProb: 0.5, Acceptor: true})} {
		data, err := g.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(encodeFields(f, with(fieldsOf(mustRead(f, graphB)), "x", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ReadBinary(bytes.NewReader(data))
		// The stream path (unknown length) must agree.
		h, err2 := ReadBinary(struct{ io.Reader }{bytes.NewReader(data)})
		if (err == nil) != (err2 == nil) {
			t.Fatalf("memory: %v, stream: %v", err, err2)
		}
		if err != nil {
			return
		}
		if !sameGraph(g, h) {
			t.Fatal("memory and stream read different graphs")
		}
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		for s := range g.NumStates() {
			lo, hi := g.Arcs(s)
			for a := lo; a < hi; a++ {
				if g.Src(a) != s {
					t.Fatalf("arc %d: source %d, listed under state %d", a, g.Src(a), s)
				}
			}
		}
		checkPropsFuzz(t, g)
		again, err := g.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		k, err := ReadBinary(bytes.NewReader(again))
		if err != nil || !sameGraph(g, k) {
			t.Fatalf("re-encoding: %v", err)
		}
	})
}

func checkPropsFuzz(t *testing.T, g *Graph) {
	h := *g
	h.computeProps()
	if h.props != g.props {
		t.Fatalf("properties %b, want %b", g.props, h.props)
	}
}

// bigGraph returns a graph of n states with k arcs each, built directly.
func bigGraph(n, k int) *Graph {
	rng := rand.New(rand.NewPCG(9, 9))
	m := n * k
	g := &Graph{
		final: make([]float64, n), first: make([]int32, n+1),
		src: make([]int32, m), dst: make([]int32, m), ilabel: make([]int32, m),
		olabel: make([]int32, m), weight: make([]float64, m),
	}
	for s := range n {
		g.first[s+1] = int32((s + 1) * k)
		g.final[s] = Inf
		if rng.IntN(10) == 0 {
			g.final[s] = rng.Float64()
		}
	}
	for a := range m {
		g.src[a] = int32(a / k)
		g.dst[a] = rng.Int32N(int32(n))
		g.ilabel[a] = rng.Int32N(5000)
		g.olabel[a] = rng.Int32N(5000)
		g.weight[a] = rng.NormFloat64()
	}
	g.computeProps()
	return g
}

func benchmarkBinary(b *testing.B, read bool, file bool) {
	g := bigGraph(1_000_000, 10)
	var buf bytes.Buffer
	if err := WriteBinary(&buf, g); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	path := filepath.Join(b.TempDir(), "g.msgpack")
	if file {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		switch {
		case read && file:
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ReadBinary(f); err != nil {
				b.Fatal(err)
			}
			f.Close()
		case read:
			if _, err := ReadBinary(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		default:
			buf.Reset()
			if err := WriteBinary(&buf, g); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkReadBinary10M reads a graph of 1M states and 10M arcs (220 MB)
// from memory.
func BenchmarkReadBinary10M(b *testing.B) { benchmarkBinary(b, true, false) }

// BenchmarkReadBinaryFile10M reads it from a file (in the page cache).
func BenchmarkReadBinaryFile10M(b *testing.B) { benchmarkBinary(b, true, true) }

// BenchmarkWriteBinary10M writes it to memory.
func BenchmarkWriteBinary10M(b *testing.B) { benchmarkBinary(b, false, false) }
