// Package area computes the weights of area-averaging resampling (a
// box filter): each output pixel is the mean of the source pixels it
// covers, weighted by how much of it each covers, which both shrinks and
// enlarges an image without aliasing.
package area

import "math"

// Weights lists the source pixels that one output pixel averages, with
// their weights.
type Weights[F float32 | float64] struct {
	Idx []int32
	W   []F
}

// Axis returns, for each of n output pixels along an axis, the source
// pixels (of m) that its interval [src + (i-pad)/scale, src +
// (i+1-pad)/scale) overlaps, weighted by overlap / interval length.
// Source pixels outside [0, m) are left out.
func Axis[F float32 | float64](n, m int, src, pad, scale float64) []Weights[F] {
	out := make([]Weights[F], n)
	step := 1 / scale
	for i := range out {
		a := src + (float64(i)-pad)*step
		b := a + step
		for p := max(0, int(math.Floor(a))); p < m && float64(p) < b; p++ {
			ov := math.Min(b, float64(p+1)) - math.Max(a, float64(p))
			if ov > 1e-9 {
				out[i].Idx = append(out[i].Idx, int32(p))
				out[i].W = append(out[i].W, F(ov/step))
			}
		}
	}
	return out
}
