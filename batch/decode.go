package batch

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// format is an image file format, sniffed from the first bytes.
type format int

const (
	formatUnknown format = iota
	formatPNG
	formatJPEG
	formatGIF
	formatBMP
	formatTIFF
	formatWebP
)

var formatNames = [...]string{"unknown", "png", "jpeg", "gif", "bmp", "tiff", "webp"}

func (f format) String() string { return formatNames[f] }

// sniff returns the format of an image file from its first bytes.
func sniff(b []byte) format {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(b, []byte("\xff\xd8")):
		return formatJPEG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return formatGIF
	case bytes.HasPrefix(b, []byte("BM")):
		return formatBMP
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return formatTIFF
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return formatWebP
	}
	return formatUnknown
}

// errNotImage is the error for content that is no image format we know.
var errNotImage = errors.New("not an image: the content is not PNG, JPEG, TIFF, BMP, GIF or WebP")

// DefaultMaxPixels is the largest image, in pixels, that a run decodes
// unless Options.MaxPixels says otherwise: a 600 dpi A3 page has about a
// quarter of it.
const DefaultMaxPixels = 1 << 28

// decoders of each format, whole image and configuration only.
var (
	decoders = [...]func(io.Reader) (image.Image, error){
		formatPNG: png.Decode, formatJPEG: jpeg.Decode, formatGIF: gif.Decode,
		formatBMP: bmp.Decode, formatTIFF: tiff.Decode, formatWebP: webp.Decode,
	}
	configDecoders = [...]func(io.Reader) (image.Config, error){
		formatPNG: png.DecodeConfig, formatJPEG: jpeg.DecodeConfig, formatGIF: gif.DecodeConfig,
		formatBMP: bmp.DecodeConfig, formatTIFF: tiff.DecodeConfig, formatWebP: webp.DecodeConfig,
	}
)

// decodeGray decodes an image of format f from data (for TIFF, the page
// whose image directory is at ifd) and converts it to grey, refusing images
// of more than maxPixels pixels before decoding them.
func decodeGray(f format, data []byte, ifd uint32, maxPixels int) (*image.Gray, error) {
	var r io.ReadSeeker
	switch f {
	case formatUnknown:
		return nil, errNotImage
	case formatPNG:
		if g, ok := pngGray(data, maxPixels); ok {
			return g, nil
		}
		r = bytes.NewReader(data)
	case formatTIFF:
		r = newTIFFPage(data, ifd)
	default:
		r = bytes.NewReader(data)
	}
	cfg, err := configDecoders[f](r)
	if err != nil {
		return nil, decodeError(f, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("decoding %v: empty image (%d×%d)", f, cfg.Width, cfg.Height)
	}
	if cfg.Width > maxPixels/cfg.Height {
		return nil, fmt.Errorf("decoding %v: image of %d×%d pixels, more than the limit of %d", f, cfg.Width, cfg.Height, maxPixels)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, err := decoders[f](r)
	if err != nil {
		return nil, decodeError(f, err)
	}
	return Gray(img), nil
}

// decodeError returns "decoding png: …" for an error of the decoder of f,
// whether the decoder's message starts with the format's name or not. An
// io.EOF, which some decoders return for a truncated file, is reported as
// io.ErrUnexpectedEOF.
func decodeError(f format, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if strings.HasPrefix(err.Error(), f.String()+": ") {
		return fmt.Errorf("decoding %w", err)
	}
	return fmt.Errorf("decoding %v: %w", f, err)
}

// Gray returns img as an 8-bit grey image whose bounds start at (0, 0) and
// whose Stride is its width, so that Pix holds the rows one after the
// other. An *image.Gray that is already so is returned as it is.
//
// Colours are converted to their luminance as color.GrayModel does (the
// weights 0.299, 0.587 and 0.114 of ITU-R BT.601), with the same rounding;
// a YCbCr image (a colour JPEG) gives its Y plane, which is that luminance.
// Transparent pixels are composed over white, the paper of a document:
// img's colour c of alpha a counts as c + (1-a)·white.
func Gray(img image.Image) *image.Gray {
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	if g, ok := img.(*image.Gray); ok && bd.Min == (image.Point{}) && g.Stride == w {
		return g
	}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	switch src := img.(type) {
	case *image.Gray:
		for y := range h {
			i := src.PixOffset(bd.Min.X, bd.Min.Y+y)
			copy(dst.Pix[y*w:(y+1)*w], src.Pix[i:i+w])
		}
	case *image.YCbCr:
		for y := range h {
			i := src.YOffset(bd.Min.X, bd.Min.Y+y)
			copy(dst.Pix[y*w:(y+1)*w], src.Y[i:i+w])
		}
	case *image.Gray16:
		for y := range h {
			row := dst.Pix[y*w : (y+1)*w]
			i := src.PixOffset(bd.Min.X, bd.Min.Y+y)
			for x := range row {
				row[x] = src.Pix[i+2*x] // the high byte, as color.GrayModel
			}
		}
	case *image.Paletted:
		var lut [256]uint8
		for i, c := range src.Palette {
			r, g, b, a := c.RGBA()
			lut[i] = luma16(r, g, b, a)
		}
		for y := range h {
			row := dst.Pix[y*w : (y+1)*w]
			i := src.PixOffset(bd.Min.X, bd.Min.Y+y)
			for x, p := range src.Pix[i : i+w] {
				row[x] = lut[p]
			}
		}
	case *image.RGBA:
		for y := range h {
			row := dst.Pix[y*w : (y+1)*w]
			i := src.PixOffset(bd.Min.X, bd.Min.Y+y)
			s := src.Pix[i : i+4*w]
			for x := range row {
				p := s[4*x : 4*x+4 : 4*x+4]
				a := uint32(p[3]) * 0x101
				row[x] = luma16(uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101, a)
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := dst.Pix[y*w : (y+1)*w]
			i := src.PixOffset(bd.Min.X, bd.Min.Y+y)
			s := src.Pix[i : i+4*w]
			for x := range row {
				p := s[4*x : 4*x+4 : 4*x+4]
				r, g, b := uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101
				if p[3] != 0xff {
					// Premultiply as color.NRGBA.RGBA does.
					a := uint32(p[3]) * 0x101
					r, g, b = r*a/0xffff, g*a/0xffff, b*a/0xffff
					row[x] = luma16(r, g, b, a)
					continue
				}
				row[x] = luma16(r, g, b, 0xffff)
			}
		}
	default:
		for y := range h {
			row := dst.Pix[y*w : (y+1)*w]
			for x := range row {
				r, g, b, a := img.At(bd.Min.X+x, bd.Min.Y+y).RGBA()
				row[x] = luma16(r, g, b, a)
			}
		}
	}
	return dst
}

// luma16 returns the 8-bit luminance of the premultiplied 16-bit colour
// (r, g, b, a) composed over white, with the weights and rounding of
// color.GrayModel.
func luma16(r, g, b, a uint32) uint8 {
	white := 0xffff - a
	// min guards against colours brighter than their alpha, which a valid
	// premultiplied image does not have.
	r, g, b = min(r+white, 0xffff), min(g+white, 0xffff), min(b+white, 0xffff)
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24)
}
