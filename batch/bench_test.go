package batch

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkRun runs a trivial processor over 3,000 small PNG files (28×28
// grey, about 800 bytes each), from the file list to the JSON Lines file:
// the cost of the engine itself (reading, decoding, records, output).
// images/CPU-s counts the CPU time of the whole process (all cores, the
// runtime's included), which other processes on the machine do not change.
func BenchmarkRun(b *testing.B) {
	dir := b.TempDir()
	const n = 3000
	paths := make([]string, n)
	for i := range paths {
		paths[i] = writeFile(b, dir, fmt.Sprintf("p%05d.png", i), pngBytes(b, digitImage(uint8(i), 28, 28)))
	}
	trivial := func(_ context.Context, p *Page) (Result, error) {
		return Result{Output: int(p.Gray.Pix[0])}, nil
	}
	for _, ordered := range []bool{false, true} {
		b.Run(fmt.Sprint("ordered=", ordered), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "out.jsonl")
			images := 0
			cpu0 := cpuTime()
			for b.Loop() {
				s, err := Run(context.Background(), Files(paths...), out, trivial, Options{Force: true, Ordered: ordered})
				if err != nil || s.Done != n {
					b.Fatalf("%+v, %v", s, err)
				}
				images += s.Done
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
			if cpu := cpuTime() - cpu0; cpu > 0 && cpu0 > 0 {
				b.ReportMetric(float64(images)/cpu.Seconds(), "images/CPU-s")
			}
		})
	}
}
