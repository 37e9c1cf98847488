package transformers

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMinMax checks the running minimum and maximum filter against the
// direct definition on random images, windows larger than the image
// included.
func TestMinMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ w, h, r int }{{1, 1, 1}, {7, 5, 0}, {9, 13, 1}, {31, 17, 4}, {20, 6, 9}, {5, 40, 30}} {
		x := make([]float32, tc.w*tc.h)
		for i := range x {
			x[i] = rng.Float32()
		}
		for _, isMin := range []bool{true, false} {
			got := minMax(x, tc.w, tc.h, tc.r, isMin)
			for y := range tc.h {
				for c := range tc.w {
					want := x[y*tc.w+c]
					for yy := max(0, y-tc.r); yy <= min(tc.h-1, y+tc.r); yy++ {
						for cc := max(0, c-tc.r); cc <= min(tc.w-1, c+tc.r); cc++ {
							if v := x[yy*tc.w+cc]; isMin && v < want || !isMin && v > want {
								want = v
							}
						}
					}
					if got[y*tc.w+c] != want {
						t.Fatalf("%dx%d r=%d min=%v: (%d, %d) = %v, want %v", tc.w, tc.h, tc.r, isMin, c, y, got[y*tc.w+c], want)
					}
				}
			}
		}
	}
}

// TestCleanBadValues checks that Clean takes NaN and infinite ink without
// panicking and gives ink in [0, 1].
func TestCleanBadValues(t *testing.T) {
	b := Bitmap{Width: 30, Height: 20, Ink: make([]float32, 600)}
	for i := range b.Ink {
		b.Ink[i] = float32(i%7) / 7
	}
	b.Ink[5] = float32(math.NaN())
	b.Ink[50] = float32(math.Inf(1))
	b.Ink[100] = float32(math.Inf(-1))
	out := Clean(b, 9)
	for i, v := range out.Ink {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("pixel %d: %v", i, v)
		}
	}
}
