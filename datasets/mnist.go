package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// MNIST is a split of the MNIST handwritten digit database (LeCun, Cortes &
// Burges): grey-level images of Rows×Cols pixels (28×28), 0 = background and
// 255 = ink, with their labels 0-9.
type MNIST struct {
	// Images holds the pixels of all images, image after image, each in
	// row-major order.
	Images []byte
	// Labels holds the digit of each image.
	Labels     []uint8
	Rows, Cols int
}

// MNIST file names (the names of LeCun's distribution; each may also be
// stored gzip-compressed with a .gz suffix).
var mnistFiles = map[string][2]string{
	"train": {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
	"test":  {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
}

// LoadMNIST reads split "train" (60,000 images) or "test" (10,000 images)
// of MNIST from dir, which holds LeCun's four IDX files, compressed (.gz) or
// not (see MNISTDir to find them). It checks that the files are IDX files of
// the expected shapes, that they agree on the number of images and that
// every label is a digit.
func LoadMNIST(dir, split string) (*MNIST, error) {
	names, ok := mnistFiles[split]
	if !ok {
		return nil, fmt.Errorf("datasets: MNIST split %q: want \"train\" or \"test\"", split)
	}
	ipath, err := mnistFile(dir, names[0])
	if err != nil {
		return nil, err
	}
	lpath, err := mnistFile(dir, names[1])
	if err != nil {
		return nil, err
	}
	images, err := ReadIDXFile(ipath)
	if err != nil {
		return nil, fmt.Errorf("datasets: MNIST %s images: %w", split, err)
	}
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("datasets: MNIST %s images: %s has dimensions %v, want [images rows cols]", split, ipath, images.Dims)
	}
	labels, err := ReadIDXFile(lpath)
	if err != nil {
		return nil, fmt.Errorf("datasets: MNIST %s labels: %w", split, err)
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("datasets: MNIST %s labels: %s has dimensions %v, want [labels]", split, lpath, labels.Dims)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("datasets: MNIST %s: %d images in %s but %d labels in %s", split, images.Dims[0], ipath, labels.Dims[0], lpath)
	}
	for i, l := range labels.Data {
		if l > 9 {
			return nil, fmt.Errorf("datasets: MNIST %s: %s: label %d of image %d is not a digit", split, lpath, l, i)
		}
	}
	return &MNIST{Images: images.Data, Labels: labels.Data, Rows: images.Dims[1], Cols: images.Dims[2]}, nil
}

// mnistFile returns the path of the named file in dir, compressed or not.
func mnistFile(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("datasets: MNIST: %w", err)
		}
	}
	return "", fmt.Errorf("datasets: MNIST: no %s or %s.gz in %s", name, name, dir)
}

// Len returns the number of images.
func (m *MNIST) Len() int { return len(m.Labels) }

// Image returns the pixels of image i (Rows×Cols bytes, row-major; shares
// storage with m).
func (m *MNIST) Image(i int) []byte {
	n := m.Rows * m.Cols
	return m.Images[i*n : (i+1)*n : (i+1)*n]
}

// Head returns the first n images of m (all of them if n >= m.Len()),
// sharing storage with m.
func (m *MNIST) Head(n int) *MNIST {
	n = max(0, min(n, m.Len()))
	return &MNIST{Images: m.Images[:n*m.Rows*m.Cols], Labels: m.Labels[:n], Rows: m.Rows, Cols: m.Cols}
}

// Float32 writes image i into dst as float32 values, surrounded by a
// border of pad background pixels: dst holds (Rows+2·pad)×(Cols+2·pad)
// values, row-major. Pixel value 0 maps to background and 255 to ink,
// linearly. LeNet-5 (LeCun et al. 1998) uses pad 2 (a 32×32 input),
// background -0.1 and ink 1.175, which makes the mean input roughly 0 and
// its variance roughly 1. It panics if dst has the wrong length.
func (m *MNIST) Float32(dst []float32, i, pad int, background, ink float32) {
	w := m.Cols + 2*pad
	if len(dst) != w*(m.Rows+2*pad) {
		panic(fmt.Sprintf("datasets: MNIST.Float32: dst has %d values, want %d×%d", len(dst), m.Rows+2*pad, w))
	}
	scale := (ink - background) / 255
	for j := range dst[:pad*w] {
		dst[j] = background
	}
	img := m.Image(i)
	for r := range m.Rows {
		row := dst[(pad+r)*w : (pad+r+1)*w]
		for j := range pad {
			row[j] = background
			row[w-1-j] = background
		}
		for c, v := range img[r*m.Cols : (r+1)*m.Cols] {
			row[pad+c] = background + scale*float32(v)
		}
	}
	for j := range dst[(pad+m.Rows)*w:] {
		dst[(pad+m.Rows)*w+j] = background
	}
}
