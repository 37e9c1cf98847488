//go:build unix

package pipelines

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gotn/gotn/batch"
	"github.com/gotn/gotn/datasets"
)

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports images/s and images/CPU-s (the CPU time of the whole
// process, which other processes on the machine change less).
func reportRates(b *testing.B, images int, cpu0 time.Duration) {
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(images)/cpu.Seconds(), "images/CPU-s")
	}
}

// mnistLeNet5 loads pipelines/mnist-lenet5.yaml with the committed
// LeNet-5, skipping the benchmark when MNIST cannot be found.
func mnistLeNet5(b *testing.B) *Pipeline {
	b.Helper()
	if _, err := datasets.MNISTDir(""); err != nil {
		b.Skipf("no MNIST: %v", err)
	}
	p, err := Load("mnist-lenet5.yaml", DefaultRegistry())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.LoadModel("../models/lenet5.msgpack"); err != nil {
		b.Fatal(err)
	}
	return p
}

var (
	mnistPNGOnce sync.Once
	mnistPNGDir  string
	mnistPNGErr  error
)

// mnistPNGs writes the 10,000 MNIST test digits as PNG files (as
// bench/mnistpng does) once per test binary and returns the directory.
func mnistPNGs(b *testing.B) string {
	b.Helper()
	mnistPNGOnce.Do(func() {
		mnistPNGDir, mnistPNGErr = os.MkdirTemp("", "gotn-mnist-png")
		if mnistPNGErr != nil {
			return
		}
		var dir string
		if dir, mnistPNGErr = datasets.MNISTDir(""); mnistPNGErr != nil {
			return
		}
		var m *datasets.MNIST
		if m, mnistPNGErr = datasets.LoadMNIST(dir, "test"); mnistPNGErr != nil {
			return
		}
		for i := range m.Len() {
			img := &image.Gray{Pix: m.Image(i), Stride: m.Cols, Rect: image.Rect(0, 0, m.Cols, m.Rows)}
			f, err := os.Create(filepath.Join(mnistPNGDir, fmt.Sprintf("test-%05d.png", i)))
			if err != nil {
				mnistPNGErr = err
				return
			}
			err = png.Encode(f, img)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				mnistPNGErr = err
				return
			}
		}
	})
	if mnistPNGErr != nil {
		b.Fatal(mnistPNGErr)
	}
	return mnistPNGDir
}

// BenchmarkMNISTEval is gtn eval pipelines/mnist-lenet5.yaml: the 10,000
// test digits from memory, one at a time on each of GOMAXPROCS workers.
func BenchmarkMNISTEval(b *testing.B) {
	p := mnistLeNet5(b)
	c, err := p.EvalConfig()
	if err != nil {
		b.Fatal(err)
	}
	images := 0
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		res, err := p.Evaluate(context.Background(), c, nil)
		if err != nil {
			b.Fatal(err)
		}
		images += int(res.Metrics["total"])
	}
	reportRates(b, images, cpu0)
}

// BenchmarkMNISTBatch is gtn batch pipelines/mnist-lenet5.yaml over the
// 10,000 test digits as PNG files: reading, decoding, the pipeline and the
// JSON Lines output, with groups of 1 and of 32 pages.
func BenchmarkMNISTBatch(b *testing.B) {
	p := mnistLeNet5(b)
	bp, err := p.BatchProcessor()
	if err != nil {
		b.Fatal(err)
	}
	dir := mnistPNGs(b)
	for _, size := range []int{1, batch.DefaultBatchSize} {
		b.Run(fmt.Sprint("group=", size), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "out.jsonl")
			images := 0
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				s, err := batch.Run(context.Background(), batch.DirSource(dir), out, nil, batch.Options{Force: true, Batch: bp, BatchSize: size})
				if err != nil || s.Done != 10000 {
					b.Fatalf("%v, %v", s, err)
				}
				images += s.Done
			}
			reportRates(b, images, cpu0)
		})
	}
}
