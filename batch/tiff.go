package batch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// maxTIFFPages bounds the pages read from one TIFF file.
const maxTIFFPages = 1 << 16

// tiffPages returns the offsets of the image file directories (IFDs) of a
// TIFF file, one per page, following the chain from the header. A chain
// that comes back to an IFD already seen ends there. If an IFD lies outside
// the file, the offsets before it are returned with the error.
//
// golang.org/x/image/tiff decodes the first IFD only; a page is decoded by
// presenting its IFD as the first one (see tiffPage).
func tiffPages(b []byte) ([]uint32, error) {
	if len(b) < 8 {
		return nil, errors.New("truncated TIFF header")
	}
	var order binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return nil, errors.New("not a TIFF file")
	}
	switch order.Uint16(b[2:4]) {
	case 42:
	case 43:
		return nil, errors.New("BigTIFF files are not supported")
	default:
		return nil, errors.New("not a TIFF file")
	}
	var pages []uint32
	seen := map[uint32]bool{}
	for off := order.Uint32(b[4:8]); off != 0 && !seen[off]; {
		if len(pages) == maxTIFFPages {
			return pages, fmt.Errorf("more than %d pages", maxTIFFPages)
		}
		end := uint64(off) + 2
		if off < 8 || end > uint64(len(b)) {
			return pages, fmt.Errorf("page %d: image directory at offset %d, outside the file of %d bytes", len(pages), off, len(b))
		}
		n := uint64(order.Uint16(b[off:]))
		next := end + 12*n
		if next+4 > uint64(len(b)) {
			return pages, fmt.Errorf("page %d: image directory at offset %d truncated", len(pages), off)
		}
		seen[off] = true
		pages = append(pages, off)
		off = order.Uint32(b[next:])
	}
	if len(pages) == 0 {
		return nil, errors.New("TIFF file without images")
	}
	return pages, nil
}

// tiffPage reads a TIFF file as if the IFD at a given offset were its
// first: the header's offset of the first IFD is replaced.
type tiffPage struct {
	b   []byte
	hdr [8]byte
	off int64 // for Read and Seek
}

// newTIFFPage returns a reader of the TIFF file b whose first page is the
// IFD at ifd. b starts with a valid header (tiffPages checked it).
func newTIFFPage(b []byte, ifd uint32) *tiffPage {
	p := &tiffPage{b: b}
	copy(p.hdr[:], b[:8])
	if string(b[:2]) == "II" {
		binary.LittleEndian.PutUint32(p.hdr[4:], ifd)
	} else {
		binary.BigEndian.PutUint32(p.hdr[4:], ifd)
	}
	return p
}

// ReadAt implements io.ReaderAt.
func (p *tiffPage) ReadAt(dst []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("tiffPage.ReadAt: negative offset")
	}
	if off >= int64(len(p.b)) {
		return 0, io.EOF
	}
	n := copy(dst, p.b[off:])
	if off < int64(len(p.hdr)) {
		copy(dst, p.hdr[off:])
	}
	if n < len(dst) {
		return n, io.EOF
	}
	return n, nil
}

// Read implements io.Reader.
func (p *tiffPage) Read(dst []byte) (int, error) {
	n, err := p.ReadAt(dst, p.off)
	p.off += int64(n)
	if n > 0 && err == io.EOF {
		err = nil
	}
	return n, err
}

// Seek implements io.Seeker.
func (p *tiffPage) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += p.off
	case io.SeekEnd:
		offset += int64(len(p.b))
	default:
		return 0, errors.New("tiffPage.Seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("tiffPage.Seek: negative position")
	}
	p.off = offset
	return offset, nil
}
