package batch

import (
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
	"strconv"
	"sync"
)

// pngGray decodes a PNG file straight to grey, as Gray(png.Decode(b))
// would, for the common kinds: not interlaced, and grey of 1, 2, 4 or 8
// bits, palette of 1 to 8 bits (with or without transparency), grey and
// alpha, RGB or RGBA of 8 bits. It reuses its buffers and its
// decompressor from file to file, which is what makes small files fast.
//
// ok is false for any other kind, and for any file with something wrong
// or unusual (a checksum, a length, the order of the chunks, too little or
// too much pixel data, more than maxPixels pixels); image/png then decodes
// the file or says what is wrong with it. The fast path is thus no less
// strict than image/png, and gives the same pixels where both succeed.
func pngGray(b []byte, maxPixels int) (g *image.Gray, ok bool) {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(b) < len(sig) || string(b[:len(sig)]) != sig {
		return nil, false
	}
	be := binary.BigEndian
	var (
		width, height int
		depth, ctype  byte
		lut           [256]uint8   // grey level of each palette index, for ctype 3
		palette       [256][3]byte // black past the PLTE entries
		trns          []byte
		idat          [][]byte
		stage         int // 0 start, 1 IHDR, 2 PLTE, 3 tRNS, 4 IDAT, 5 after IDAT
	)
	for pos := len(sig); ; {
		if len(b)-pos < 12 {
			return nil, false
		}
		n := int(be.Uint32(b[pos:]))
		if n > len(b)-pos-12 {
			return nil, false
		}
		typ := string(b[pos+4 : pos+8])
		data := b[pos+8 : pos+8+n]
		if crc32.ChecksumIEEE(b[pos+4:pos+8+n]) != be.Uint32(b[pos+8+n:]) {
			return nil, false
		}
		pos += 12 + n
		if stage == 0 && typ != "IHDR" {
			return nil, false
		}
		if stage == 4 && typ != "IDAT" {
			stage = 5
		}
		switch typ {
		case "IHDR":
			if stage != 0 || n != 13 || data[10] != 0 || data[11] != 0 || data[12] != 0 {
				return nil, false
			}
			w, h := be.Uint32(data), be.Uint32(data[4:])
			if w == 0 || h == 0 || w > 1<<30 || h > 1<<30 || int(w) > maxPixels/int(h) {
				return nil, false
			}
			width, height, depth, ctype = int(w), int(h), data[8], data[9]
			switch {
			case (ctype == 0 || ctype == 3) && (depth == 1 || depth == 2 || depth == 4 || depth == 8):
			case (ctype == 2 || ctype == 4 || ctype == 6) && depth == 8:
			default:
				return nil, false
			}
			stage = 1
		case "PLTE":
			if stage != 1 || ctype != 3 || n%3 != 0 || n == 0 || n/3 > 1<<depth {
				return nil, false
			}
			for i := range n / 3 {
				copy(palette[i][:], data[3*i:])
			}
			stage = 2
		case "tRNS":
			if stage != 2 || ctype != 3 || n > 256 {
				return nil, false // tRNS of grey or RGB: left to image/png
			}
			trns = data
			stage = 3
		case "IDAT":
			if stage < 1 || stage > 4 || (ctype == 3 && stage < 2) {
				return nil, false
			}
			idat = append(idat, data)
			stage = 4
		case "IEND":
			if stage < 4 || n != 0 {
				return nil, false
			}
			if ctype == 3 {
				paletteLUT(&lut, &palette, trns)
			}
			return pngPixels(idat, width, height, depth, ctype, &lut)
		}
	}
}

// paletteLUT fills lut with the grey level of each palette index, as Gray
// converts image/png's palette: entries past the palette (zeros in
// palette) are opaque black, and tRNS gives the alphas of the first
// entries.
func paletteLUT(lut *[256]uint8, palette *[256][3]byte, trns []byte) *[256]uint8 {
	for i := range lut {
		c := palette[i] // black past nPal
		r, g, b := uint32(c[0])*0x101, uint32(c[1])*0x101, uint32(c[2])*0x101
		a := uint32(0xffff)
		if i < len(trns) {
			a = uint32(trns[i]) * 0x101
			r, g, b = r*a/0xffff, g*a/0xffff, b*a/0xffff
		}
		lut[i] = luma16(r, g, b, a)
	}
	return lut
}

// streamState is what pngPixels reuses from one file to the next.
type streamState struct {
	zr   io.ReadCloser // zlib reader, a zlib.Resetter
	src  chunkReader
	rows []byte // the previous and the current row, each with its filter byte
}

var streamPool = sync.Pool{New: func() any { return new(streamState) }}

// pngPixels inflates the image data a row at a time with a compress/zlib
// reader reused from file to file (image/png allocates some 40 KB of
// decompressor for every file), unfilters the rows and converts them to
// grey.
func pngPixels(idat [][]byte, width, height int, depth, ctype byte, lut *[256]uint8) (*image.Gray, bool) {
	st := streamPool.Get().(*streamState)
	defer func() {
		st.src.reset(nil) // keep no file in the pool
		streamPool.Put(st)
	}()
	st.src.reset(idat)
	if st.zr == nil {
		zr, err := zlib.NewReader(&st.src)
		if err != nil {
			return nil, false
		}
		st.zr = zr
	} else if err := st.zr.(zlib.Resetter).Reset(&st.src, nil); err != nil {
		return nil, false
	}
	channels := [7]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
	bitsPerPixel := int(depth) * channels
	rowLen := (width*bitsPerPixel + 7) / 8
	bpp := max(bitsPerPixel/8, 1) // the distance of the filters
	if cap(st.rows) < 2*(rowLen+1) {
		st.rows = make([]byte, 2*(rowLen+1))
	}
	prev, cur := st.rows[:rowLen+1], st.rows[rowLen+1:2*(rowLen+1)]
	clear(prev)
	dst := image.NewGray(image.Rect(0, 0, width, height))
	for y := range height {
		if _, err := io.ReadFull(st.zr, cur); err != nil {
			return nil, false
		}
		if !unfilter(cur[0], cur[1:], prev[1:], bpp) {
			return nil, false
		}
		grayRow(dst.Pix[y*width:(y+1)*width], cur[1:], depth, ctype, lut)
		prev, cur = cur, prev
	}
	// The stream must end here, checksum verified, and so must the data.
	var one [1]byte
	if n, err := st.zr.Read(one[:]); n != 0 || err != io.EOF || st.src.remaining() != 0 {
		return nil, false
	}
	return dst, true
}

// unfilter undoes the PNG filter f of row, given the previous row (zeros
// for the first) and the bytes per pixel.
func unfilter(f byte, row, prev []byte, bpp int) bool {
	switch f {
	case 0:
	case 1: // Sub
		for i := bpp; i < len(row); i++ {
			row[i] += row[i-bpp]
		}
	case 2: // Up
		for i, p := range prev[:len(row)] {
			row[i] += p
		}
	case 3: // Average
		for i := range bpp {
			row[i] += prev[i] / 2
		}
		for i := bpp; i < len(row); i++ {
			row[i] += uint8((int(row[i-bpp]) + int(prev[i])) / 2)
		}
	case 4: // Paeth, one channel at a time, the left and upper-left bytes in registers
		prev = prev[:len(row)]
		for k := range bpp {
			a, c := 0, 0
			for i := k; i < len(row); i += bpp {
				b := int(prev[i])
				pa, pb := b-c, a-c // |p-a| and |p-b| before abs, p = a+b-c
				pc := abs(pa + pb)
				pa, pb = abs(pa), abs(pb)
				switch {
				case pa <= pb && pa <= pc:
				case pb <= pc:
					a = b
				default:
					a = c
				}
				a = (a + int(row[i])) & 0xff
				row[i] = uint8(a)
				c = b
			}
		}
	default:
		return false
	}
	return true
}

// abs returns |x|, without a branch.
func abs(x int) int {
	m := x >> (strconv.IntSize - 1) // -1 if x < 0, else 0
	return (x ^ m) - m
}

// grayRow converts a row of unfiltered PNG pixels to grey levels, as Gray
// converts the images of image/png.
func grayRow(dst, src []byte, depth, ctype byte, lut *[256]uint8) {
	switch {
	case ctype == 0 && depth == 8:
		copy(dst, src)
	case ctype == 0: // 1, 2 or 4 bits
		scale := uint8(255 / (1<<depth - 1))
		unpack(dst, src, depth, func(v uint8) uint8 { return v * scale })
	case ctype == 3 && depth == 8:
		for x, i := range src[:len(dst)] {
			dst[x] = lut[i]
		}
	case ctype == 3:
		unpack(dst, src, depth, func(v uint8) uint8 { return lut[v] })
	case ctype == 2:
		for x := range dst {
			p := src[3*x : 3*x+3 : 3*x+3]
			dst[x] = luma16(uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101, 0xffff)
		}
	case ctype == 4: // image/png gives NRGBA{y, y, y, a}
		for x := range dst {
			v, a := uint32(src[2*x])*0x101, uint32(src[2*x+1])*0x101
			if a != 0xffff {
				v = v * a / 0xffff
			}
			dst[x] = luma16(v, v, v, a)
		}
	case ctype == 6:
		for x := range dst {
			p := src[4*x : 4*x+4 : 4*x+4]
			r, g, b, a := uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101, uint32(p[3])*0x101
			if a != 0xffff {
				r, g, b = r*a/0xffff, g*a/0xffff, b*a/0xffff
			}
			dst[x] = luma16(r, g, b, a)
		}
	}
}

// unpack maps the depth-bit samples of src, most significant first, to
// dst.
func unpack(dst, src []byte, depth byte, f func(uint8) uint8) {
	perByte := 8 / int(depth)
	mask := uint8(1<<depth - 1)
	for x := range dst {
		shift := 8 - depth*uint8(x%perByte+1)
		dst[x] = f(src[x/perByte] >> shift & mask)
	}
}

// chunkReader reads the data of consecutive IDAT chunks as one stream.
type chunkReader struct {
	chunks [][]byte
	cur    []byte
}

func (r *chunkReader) reset(chunks [][]byte) {
	r.chunks, r.cur = chunks, nil
}

func (r *chunkReader) next() bool {
	for len(r.cur) == 0 {
		if len(r.chunks) == 0 {
			return false
		}
		r.cur, r.chunks = r.chunks[0], r.chunks[1:]
	}
	return true
}

// Read implements io.Reader.
func (r *chunkReader) Read(p []byte) (int, error) {
	if !r.next() {
		return 0, io.EOF
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// ReadByte implements io.ByteReader, so that the decompressor reads no
// more than it needs.
func (r *chunkReader) ReadByte() (byte, error) {
	if len(r.cur) > 0 {
		c := r.cur[0]
		r.cur = r.cur[1:]
		return c, nil
	}
	if !r.next() {
		return 0, io.EOF
	}
	c := r.cur[0]
	r.cur = r.cur[1:]
	return c, nil
}

// remaining returns the number of bytes not read.
func (r *chunkReader) remaining() int {
	n := len(r.cur)
	for _, c := range r.chunks {
		n += len(c)
	}
	return n
}
