package graphs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The binary graph format, written by WriteBinary, is one msgpack map with
// string keys, in this order:
//
//	"format"  str   BinaryFormat, required to be the first key
//	"version" int   BinaryVersion
//	"states"  int   number of states n
//	"arcs"    int   number of arcs m
//	"start"   int   start state, -1 when n = 0
//	"first"   bin   n+1 int32: the arcs of state s are first[s] <= a < first[s+1]
//	"dst"     bin   m int32: destination state of each arc
//	"ilabel"  bin   m int32: input labels
//	"olabel"  bin   m int32: output labels; left out for acceptors
//	"weight"  bin   m float64: arc energies
//	"final"   bin   n float64: final energies, +Inf for non-final states
//
// Each bin holds consecutive little-endian values (IEEE 754 binary64 for
// energies), so that readers copy them in bulk rather than decode msgpack
// arrays element by element. Arcs are sorted by source state, which is
// implied by "first". A blob holds at most 4 GiB, so a graph holds at most
// 2^29 arcs and 2^29 states.
//
// Readers accept the keys after "format" in any order, skip keys they do
// not know (later minor versions may add optional keys), and reject a newer
// version. Everything is validated on load: lengths, state and label
// ranges, the offsets of "first", and energies (no NaN; arcs finite; finals
// finite or +Inf).
const (
	// BinaryFormat is the value of the "format" key of the binary graph
	// format.
	BinaryFormat = "gotn/graph"
	// BinaryVersion is the version of the binary graph format written by
	// WriteBinary and the newest read by ReadBinary.
	BinaryVersion = 1
)

// littleEndian reports whether the host stores numbers little-endian, in
// which case blobs are copied to and from memory as they are.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// WriteBinary writes g to w in the binary graph format (see BinaryFormat):
// an msgpack map holding the graph's arrays as little-endian byte blobs.
// It buffers its writes and copies the arrays without conversion on
// little-endian hosts.
func WriteBinary(w io.Writer, g *Graph) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := encodeGraph(msgpack.NewEncoder(bw), g); err != nil {
		return fmt.Errorf("graphs: WriteBinary: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("graphs: WriteBinary: %w", err)
	}
	return nil
}

// ReadBinary reads a graph in the binary graph format (see BinaryFormat)
// from r and validates it. Errors say which field is at fault; corrupt or
// truncated input is an error, never a panic, and the memory allocated is
// bounded by the size of the data actually present.
//
// ReadBinary may read past the end of the graph unless r is an
// io.ByteScanner (such as a *bufio.Reader or *bytes.Reader), which it then
// reads exactly; pass one to read several graphs, or a graph followed by
// other data, from one stream.
func ReadBinary(r io.Reader) (*Graph, error) {
	g, err := decodeGraph(msgpack.NewDecoder(r), remaining(r))
	if err != nil {
		return nil, fmt.Errorf("graphs: ReadBinary: %w", err)
	}
	return g, nil
}

// MarshalBinary returns g in the binary graph format (see BinaryFormat). It
// implements encoding.BinaryMarshaler.
func (g *Graph) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeGraph(msgpack.NewEncoder(&buf), g); err != nil {
		return nil, fmt.Errorf("graphs: MarshalBinary: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary sets g to the graph encoded in data, in the binary graph
// format, which must hold nothing else. It implements
// encoding.BinaryUnmarshaler. Graphs are immutable: use it on a new Graph
// only, never on one that is in use.
func (g *Graph) UnmarshalBinary(data []byte) error {
	r := bytes.NewReader(data)
	h, err := decodeGraph(msgpack.NewDecoder(r), int64(len(data)))
	if err != nil {
		return fmt.Errorf("graphs: UnmarshalBinary: %w", err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("graphs: UnmarshalBinary: %d bytes after the graph", r.Len())
	}
	*g = *h
	return nil
}

// EncodeMsgpack writes g in the binary graph format to an msgpack encoder,
// so that a graph nested in a value encoded with msgpack is stored as the
// map of the binary format, blobs included. It implements
// msgpack.CustomEncoder.
func (g *Graph) EncodeMsgpack(e *msgpack.Encoder) error {
	if err := encodeGraph(e, g); err != nil {
		return fmt.Errorf("graphs: EncodeMsgpack: %w", err)
	}
	return nil
}

// DecodeMsgpack sets g to the graph in the binary graph format read from
// an msgpack decoder. It implements msgpack.CustomDecoder. Graphs are
// immutable: use it on a new Graph only, never on one that is in use.
func (g *Graph) DecodeMsgpack(d *msgpack.Decoder) error {
	h, err := decodeGraph(d, -1)
	if err != nil {
		return fmt.Errorf("graphs: DecodeMsgpack: %w", err)
	}
	*g = *h
	return nil
}

// encodeGraph writes the map of the binary format.
func encodeGraph(e *msgpack.Encoder, g *Graph) error {
	n, m := g.NumStates(), g.NumArcs()
	acceptor := g.IsAcceptor()
	keys := 11
	if acceptor {
		keys--
	}
	first := g.first
	if n == 0 {
		first = []int32{0}
	}
	if int64(m)*8 > math.MaxUint32 || int64(n)*8 > math.MaxUint32 {
		return fmt.Errorf("%v is too large for format version %d (blobs of at most 4 GiB)", g, BinaryVersion)
	}
	w := e.Writer()
	err := e.EncodeMapLen(keys)
	str := func(k, v string) {
		if err == nil {
			err = e.EncodeString(k)
		}
		if err == nil {
			err = e.EncodeString(v)
		}
	}
	num := func(k string, v int) {
		if err == nil {
			err = e.EncodeString(k)
		}
		if err == nil {
			err = e.EncodeInt(int64(v))
		}
	}
	blob := func(k string, nbytes int, write func(io.Writer) error) {
		if err == nil {
			err = e.EncodeString(k)
		}
		if err == nil {
			err = e.EncodeBytesLen(nbytes)
		}
		if err == nil {
			err = write(w)
		}
	}
	str("format", BinaryFormat)
	num("version", BinaryVersion)
	num("states", n)
	num("arcs", m)
	num("start", g.Start())
	blob("first", 4*len(first), func(w io.Writer) error { return writeInt32s(w, first) })
	blob("dst", 4*len(g.dst), func(w io.Writer) error { return writeInt32s(w, g.dst) })
	blob("ilabel", 4*len(g.ilabel), func(w io.Writer) error { return writeInt32s(w, g.ilabel) })
	if !acceptor {
		blob("olabel", 4*len(g.olabel), func(w io.Writer) error { return writeInt32s(w, g.olabel) })
	}
	blob("weight", 8*len(g.weight), func(w io.Writer) error { return writeFloat64s(w, g.weight) })
	blob("final", 8*len(g.final), func(w io.Writer) error { return writeFloat64s(w, g.final) })
	return err
}

// asBytes returns the memory of s as bytes (in host byte order).
func asBytes[T int32 | float64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// blobChunk is the size of the pieces in which blobs are converted on
// big-endian hosts, and the first allocation for a blob of a stream of
// unknown length. (A variable, for tests.)
var blobChunk = 16 << 20

func writeInt32s(w io.Writer, s []int32) error {
	if littleEndian {
		_, err := w.Write(asBytes(s))
		return err
	}
	buf := make([]byte, 0, min(len(s)*4, blobChunk))
	for len(s) > 0 {
		k := min(len(s), cap(buf)/4)
		buf = buf[:0]
		for _, v := range s[:k] {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		s = s[k:]
	}
	return nil
}

func writeFloat64s(w io.Writer, s []float64) error {
	if littleEndian {
		_, err := w.Write(asBytes(s))
		return err
	}
	buf := make([]byte, 0, min(len(s)*8, blobChunk))
	for len(s) > 0 {
		k := min(len(s), cap(buf)/8)
		buf = buf[:0]
		for _, v := range s[:k] {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		s = s[k:]
	}
	return nil
}

// remaining returns the number of bytes left in r when r knows it, -1
// otherwise.
func remaining(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Len() int }: // bytes.Reader, bytes.Buffer, strings.Reader
		return int64(r.Len())
	case *os.File:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		pos, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return fi.Size() - pos
	}
	return -1
}

// errTruncated reports input that ends early.
var errTruncated = errors.New("unexpected end of data (truncated input?)")

// binaryFields holds the fields read from the binary format.
type binaryFields struct {
	version, states, arcs, start int64
	first, dst, ilabel, olabel   []int32
	weight, final                []float64
}

// Key bits, to detect missing and repeated keys.
const (
	keyVersion = 1 << iota
	keyStates
	keyArcs
	keyStart
	keyFirst
	keyDst
	keyILabel
	keyOLabel
	keyWeight
	keyFinal
	keysRequired = keyVersion | keyStates | keyArcs | keyStart | keyFirst | keyDst | keyILabel | keyWeight | keyFinal
)

var keyNames = []string{"version", "states", "arcs", "start", "first", "dst", "ilabel", "olabel", "weight", "final"}

// maxBinaryKeys bounds the size of the map, against corrupt input.
const maxBinaryKeys = 1024

// decodeGraph reads the map of the binary format and validates the graph.
// budget is the number of bytes left in the input, or -1 if unknown.
func decodeGraph(d *msgpack.Decoder, budget int64) (*Graph, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, readErr(err)
	}
	if !msgpcode.IsFixedMap(c) && c != msgpcode.Map16 && c != msgpcode.Map32 {
		return nil, fmt.Errorf("not a graph: want an msgpack map, got code 0x%02x", c)
	}
	nkeys, err := d.DecodeMapLen()
	if err != nil {
		return nil, readErr(err)
	}
	if nkeys < 1 || nkeys > maxBinaryKeys {
		return nil, fmt.Errorf("not a graph: map of %d keys", nkeys)
	}
	key, err := decodeKey(d)
	if err != nil {
		return nil, err
	}
	if key != "format" {
		return nil, fmt.Errorf("not a graph: first key %q, want \"format\"", key)
	}
	if c, err = d.PeekCode(); err != nil {
		return nil, readErr(err)
	}
	if !msgpcode.IsString(c) {
		return nil, errors.New("not a graph: \"format\" is not a string")
	}
	format, err := d.DecodeString()
	if err != nil {
		return nil, readErr(err)
	}
	if format != BinaryFormat {
		return nil, fmt.Errorf("not a graph: format %q, want %q", format, BinaryFormat)
	}

	var f binaryFields
	seen := 0
	for range nkeys - 1 {
		key, err := decodeKey(d)
		if err != nil {
			return nil, err
		}
		bit := 0
		if i := slices.Index(keyNames, key); i >= 0 {
			bit = 1 << i
		}
		if bit == 0 { // a key of a later minor version
			if err := d.Skip(); err != nil {
				return nil, fmt.Errorf("%q: %w", key, readErr(err))
			}
			continue
		}
		if seen&bit != 0 {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		seen |= bit
		switch bit {
		case keyVersion:
			err = decodeInt(d, &f.version)
			if err == nil && f.version != BinaryVersion {
				if f.version > BinaryVersion {
					return nil, fmt.Errorf("format version %d is newer than this reader's (%d)", f.version, BinaryVersion)
				}
				return nil, fmt.Errorf("invalid format version %d", f.version)
			}
		case keyStates:
			err = decodeInt(d, &f.states)
		case keyArcs:
			err = decodeInt(d, &f.arcs)
		case keyStart:
			err = decodeInt(d, &f.start)
		case keyFirst:
			f.first, err = decodeBlob[int32](d, &budget)
		case keyDst:
			f.dst, err = decodeBlob[int32](d, &budget)
		case keyILabel:
			f.ilabel, err = decodeBlob[int32](d, &budget)
		case keyOLabel:
			f.olabel, err = decodeBlob[int32](d, &budget)
		case keyWeight:
			f.weight, err = decodeBlob[float64](d, &budget)
		case keyFinal:
			f.final, err = decodeBlob[float64](d, &budget)
		}
		if err != nil {
			return nil, fmt.Errorf("%q: %w", key, err)
		}
	}
	if missing := keysRequired &^ seen; missing != 0 {
		for i, k := range keyNames {
			if missing&(1<<i) != 0 {
				return nil, fmt.Errorf("missing key %q", k)
			}
		}
	}
	return f.graph()
}

// decodeKey reads a map key, which must be a string.
func decodeKey(d *msgpack.Decoder) (string, error) {
	c, err := d.PeekCode()
	if err != nil {
		return "", readErr(err)
	}
	if !msgpcode.IsString(c) {
		return "", fmt.Errorf("map key is not a string (code 0x%02x)", c)
	}
	k, err := d.DecodeString()
	if err != nil {
		return "", readErr(err)
	}
	return k, nil
}

// decodeInt reads an msgpack integer.
func decodeInt(d *msgpack.Decoder, v *int64) error {
	c, err := d.PeekCode()
	if err != nil {
		return readErr(err)
	}
	if !msgpcode.IsFixedNum(c) && (c < msgpcode.Uint8 || c > msgpcode.Int64) {
		return fmt.Errorf("want an integer, got code 0x%02x", c)
	}
	if *v, err = d.DecodeInt64(); err != nil {
		return readErr(err)
	}
	return nil
}

// decodeBlob reads an msgpack bin holding little-endian values of type T.
// budget is the number of bytes left in the input (-1: unknown); a blob
// that claims more is an error before anything is allocated. Otherwise the
// blob is read in pieces of growing size, so that a corrupt length cannot
// make the reader allocate much more than the input holds.
func decodeBlob[T int32 | float64](d *msgpack.Decoder, budget *int64) ([]T, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, readErr(err)
	}
	if c != msgpcode.Bin8 && c != msgpcode.Bin16 && c != msgpcode.Bin32 {
		return nil, fmt.Errorf("want an msgpack bin, got code 0x%02x", c)
	}
	nbytes, err := d.DecodeBytesLen()
	if err != nil {
		return nil, readErr(err)
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	if nbytes%size != 0 {
		return nil, fmt.Errorf("blob of %d bytes is not a whole number of %d-byte values", nbytes, size)
	}
	if *budget >= 0 {
		if int64(nbytes) > *budget {
			return nil, fmt.Errorf("blob of %d bytes: %w", nbytes, errTruncated)
		}
		*budget -= int64(nbytes)
	}
	n := nbytes / size
	c0 := n
	if *budget < 0 {
		c0 = min(n, blobChunk/size)
	}
	s := make([]T, 0, c0)
	var scratch []byte
	for len(s) < n {
		if len(s) == cap(s) {
			s = slices.Grow(s, min(n, 2*cap(s))-len(s))
		}
		k := min(cap(s), n) - len(s)
		piece := s[len(s) : len(s)+k]
		if littleEndian {
			err = d.ReadFull(asBytes(piece))
		} else {
			scratch, err = readBigEndianHost(d, piece, scratch)
		}
		if err != nil {
			return nil, readErr(err)
		}
		s = s[:len(s)+k]
	}
	return s, nil
}

// readBigEndianHost fills dst from little-endian data, converting in
// pieces through scratch.
func readBigEndianHost[T int32 | float64](d *msgpack.Decoder, dst []T, scratch []byte) ([]byte, error) {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if scratch == nil {
		scratch = make([]byte, min(len(dst)*size, 1<<16))
	}
	for len(dst) > 0 {
		k := min(len(dst), len(scratch)/size)
		b := scratch[:k*size]
		if err := d.ReadFull(b); err != nil {
			return scratch, err
		}
		switch dst := any(dst[:k]).(type) {
		case []int32:
			for i := range dst {
				dst[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case []float64:
			for i := range dst {
				dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			}
		}
		dst = dst[k:]
	}
	return scratch, nil
}

// readErr turns the end of input into errTruncated.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errTruncated
	}
	return err
}

// graph validates the fields and returns the graph they describe.
func (f *binaryFields) graph() (*Graph, error) {
	n, m := f.states, f.arcs
	if n < 0 || n >= math.MaxInt32 {
		return nil, fmt.Errorf("states: %d out of range [0,%d)", n, math.MaxInt32)
	}
	if m < 0 || m > math.MaxInt32 {
		return nil, fmt.Errorf("arcs: %d out of range [0,%d]", m, math.MaxInt32)
	}
	if int64(len(f.first)) != n+1 {
		return nil, fmt.Errorf("first: %d values, want states+1 = %d", len(f.first), n+1)
	}
	if int64(len(f.final)) != n {
		return nil, fmt.Errorf("final: %d values, want states = %d", len(f.final), n)
	}
	for _, x := range []struct {
		name string
		len  int
	}{{"dst", len(f.dst)}, {"ilabel", len(f.ilabel)}, {"weight", len(f.weight)}} {
		if int64(x.len) != m {
			return nil, fmt.Errorf("%s: %d values, want arcs = %d", x.name, x.len, m)
		}
	}
	if f.olabel != nil && int64(len(f.olabel)) != m {
		return nil, fmt.Errorf("olabel: %d values, want arcs = %d", len(f.olabel), m)
	}
	if n == 0 && f.start != -1 {
		return nil, fmt.Errorf("start: %d, want -1 for a graph without states", f.start)
	}
	if n > 0 && (f.start < 0 || f.start >= n) {
		return nil, fmt.Errorf("start: state %d out of range [0,%d)", f.start, n)
	}
	if f.first[0] != 0 {
		return nil, fmt.Errorf("first[0] = %d, want 0", f.first[0])
	}
	if f.first[n] != int32(m) {
		return nil, fmt.Errorf("first[%d] = %d, want arcs = %d", n, f.first[n], m)
	}
	src := make([]int32, m)
	for s := range int32(n) {
		lo, hi := f.first[s], f.first[s+1]
		if hi < lo || hi > int32(m) {
			return nil, fmt.Errorf("first[%d] = %d after first[%d] = %d: offsets must increase up to arcs = %d", s+1, hi, s, lo, m)
		}
		for a := lo; a < hi; a++ {
			src[a] = s
		}
	}
	for s, w := range f.final {
		if math.IsNaN(w) || math.IsInf(w, -1) {
			return nil, fmt.Errorf("final: state %d: invalid final energy %v", s, w)
		}
	}
	olabel := f.olabel
	if olabel == nil {
		olabel = f.ilabel
	}
	nn := int32(n)
	for a := range f.dst {
		if d := f.dst[a]; d < 0 || d >= nn {
			return nil, fmt.Errorf("dst: arc %d: state %d out of range [0,%d)", a, d, n)
		}
		if f.ilabel[a] < 0 {
			return nil, fmt.Errorf("ilabel: arc %d: negative label %d", a, f.ilabel[a])
		}
		if olabel[a] < 0 {
			return nil, fmt.Errorf("olabel: arc %d: negative label %d", a, olabel[a])
		}
		if w := f.weight[a]; math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("weight: arc %d: invalid energy %v", a, w)
		}
	}
	g := &Graph{start: int32(f.start), final: f.final, first: f.first, src: src,
		dst: f.dst, ilabel: f.ilabel, olabel: olabel, weight: f.weight}
	g.computeProps()
	return g, nil
}
