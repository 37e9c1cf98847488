package recognizers

import (
	"fmt"

	"github.com/gotn/gotn/gtn"
)

// The input levels of LeCun et al. (1998): the background (white) is -0.1
// and the foreground (black) 1.175, which makes the mean input roughly 0 and
// the variance roughly 1 on MNIST.
const (
	LeNetBackground = -0.1
	LeNetInk        = 1.175
)

// LeNetInputInto writes the network input for one grey image into dst
// (size×size values): the height×width image (8-bit, 0 = background, 255 =
// full ink, row by row: MNIST's convention) centred in a size×size field of
// background, its pixels mapped linearly from [0, 255] to [LeNetBackground,
// LeNetInk]. LeNet-5 takes 28×28 MNIST digits into a 32×32 field (size 32);
// LeNet-1 uses size 28.
func LeNetInputInto(dst []float32, image []byte, height, width, size int) error {
	if len(image) != height*width {
		return fmt.Errorf("recognizers: LeNetInput: image has %d pixels, want %d×%d", len(image), height, width)
	}
	if height > size || width > size {
		return fmt.Errorf("recognizers: LeNetInput: %d×%d image does not fit the %d×%d input", height, width, size, size)
	}
	if len(dst) != size*size {
		return fmt.Errorf("recognizers: LeNetInput: destination holds %d values, want %d", len(dst), size*size)
	}
	for i := range dst {
		dst[i] = LeNetBackground
	}
	top, left := (size-height)/2, (size-width)/2
	const scale = (LeNetInk - LeNetBackground) / 255
	for y := range height {
		row := dst[(top+y)*size+left : (top+y)*size+left+width]
		for x, p := range image[y*width : (y+1)*width] {
			row[x] = LeNetBackground + scale*float32(p)
		}
	}
	return nil
}

// LeNetInput returns the input batch [N, 1, size, size] of the images (see
// LeNetInputInto).
func LeNetInput(images [][]byte, height, width, size int) (*gtn.Tensor, error) {
	t := gtn.NewTensor(len(images), 1, size, size)
	for i, img := range images {
		if err := LeNetInputInto(t.Data[i*size*size:(i+1)*size*size], img, height, width, size); err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
	}
	return t, nil
}
