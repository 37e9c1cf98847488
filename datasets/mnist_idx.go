package datasets

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// IDX is the content of an IDX file of unsigned bytes, the format of the
// MNIST files: a big-endian header (two zero bytes, the element type 0x08,
// the number of dimensions, then each dimension as a uint32) followed by the
// elements in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

// Maximum sizes accepted by ReadIDX; larger headers are reported as errors
// rather than trusted.
const (
	maxIDXDims  = 16
	maxIDXBytes = 1 << 34
)

// idxTypes names the element types the IDX format defines.
var idxTypes = map[byte]string{
	0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16",
	0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
}

// ReadIDX reads an IDX file of unsigned bytes from r, decompressing it
// first if it is gzip-compressed (detected from its first bytes). It reads r
// to its end: trailing data, a truncated file, a bad magic number, an element
// type other than unsigned byte and a corrupt gzip stream are errors.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: compressed data: %w", err)
		}
		x, err := readIDX(bufio.NewReaderSize(zr, 1<<16))
		if err != nil {
			var ce compressionError
			if errors.As(err, &ce) {
				return nil, fmt.Errorf("idx: compressed data: %w", ce.err)
			}
			return nil, err
		}
		return x, nil
	}
	return readIDX(br)
}

// ReadIDXFile reads the IDX file at path (gzip-compressed or not); errors
// name the file.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	x, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// compressionError marks errors of the gzip layer met while reading data.
type compressionError struct{ err error }

func (e compressionError) Error() string { return e.err.Error() }

// readFull is io.ReadFull that tells a short read (io.ErrUnexpectedEOF or
// io.EOF) from an error of the reader, which is wrapped as a
// compressionError when r decompresses.
func readFull(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return n, compressionError{err}
	}
	return n, err
}

func readIDX(r *bufio.Reader) (*IDX, error) {
	var head [4]byte
	if n, err := readFull(r, head[:]); err != nil {
		if _, ok := err.(compressionError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("idx: truncated header: %d of 4 magic bytes", n)
	}
	magic := binary.BigEndian.Uint32(head[:])
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("idx: bad magic number 0x%08x: not an IDX file (the first two bytes must be zero)", magic)
	}
	if head[2] != 0x08 {
		name, ok := idxTypes[head[2]]
		if !ok {
			name = "unknown"
		}
		return nil, fmt.Errorf("idx: magic number 0x%08x: element type 0x%02x (%s) not supported, want 0x08 (unsigned byte)", magic, head[2], name)
	}
	nd := int(head[3])
	if nd == 0 || nd > maxIDXDims {
		return nil, fmt.Errorf("idx: magic number 0x%08x: %d dimensions, want 1 to %d", magic, nd, maxIDXDims)
	}
	dimBytes := make([]byte, 4*nd)
	if n, err := readFull(r, dimBytes); err != nil {
		if _, ok := err.(compressionError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("idx: truncated header: %d of %d dimension bytes", n, len(dimBytes))
	}
	dims := make([]int, nd)
	size := 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(dimBytes[4*i:]))
		if dims[i] == 0 {
			size = 0
		} else if size > 0 && size > maxIDXBytes/dims[i] {
			return nil, fmt.Errorf("idx: dimensions %v hold more than %d bytes", dims, maxIDXBytes)
		} else {
			size *= dims[i]
		}
	}
	data, err := readData(r, size)
	if err != nil {
		if _, ok := err.(compressionError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("idx: truncated data: dimensions %v need %d bytes, got %d", dims, size, len(data))
	}
	// The file must end here (reading to the end also makes gzip verify its
	// checksum).
	var extra [1 << 12]byte
	trailing := 0
	for {
		n, err := r.Read(extra[:])
		trailing += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, compressionError{err}
		}
	}
	if trailing > 0 {
		return nil, fmt.Errorf("idx: %d bytes of trailing data after the %d bytes of dimensions %v", trailing, size, dims)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// readData reads exactly size bytes, growing its buffer as data arrives so
// that a header that lies about its size cannot make it allocate much more
// than the input holds.
func readData(r io.Reader, size int) ([]byte, error) {
	buf := make([]byte, 0, min(size, 1<<20))
	for len(buf) < size {
		if len(buf) == cap(buf) {
			grow := min(size-len(buf), max(cap(buf), 1<<20))
			buf = slices.Grow(buf, grow)
		}
		n, err := readFull(r, buf[len(buf):min(cap(buf), size)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// WriteIDX writes x to w as an uncompressed IDX file of unsigned bytes.
func WriteIDX(w io.Writer, x *IDX) error {
	if len(x.Dims) == 0 || len(x.Dims) > maxIDXDims {
		return fmt.Errorf("idx: %d dimensions, want 1 to %d", len(x.Dims), maxIDXDims)
	}
	size := 1
	head := []byte{0, 0, 0x08, byte(len(x.Dims))}
	for _, d := range x.Dims {
		if d < 0 || uint64(d) > 1<<32-1 {
			return fmt.Errorf("idx: dimension %d out of range", d)
		}
		size *= d
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	if size != len(x.Data) {
		return fmt.Errorf("idx: dimensions %v hold %d bytes, data has %d", x.Dims, size, len(x.Data))
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	_, err := w.Write(x.Data)
	return err
}
