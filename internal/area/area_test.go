package area

import (
	"math"
	"testing"
)

// TestAxis checks the weights on hand-counted cases: halving, doubling, a
// shift with padding and the image's edge.
func TestAxis(t *testing.T) {
	for _, tc := range []struct {
		name            string
		n, m            int
		src, pad, scale float64
		want            [][2][]float64 // per output pixel: indices, weights
	}{
		{"halving", 2, 4, 0, 0, 0.5, [][2][]float64{{{0, 1}, {0.5, 0.5}}, {{2, 3}, {0.5, 0.5}}}},
		{"doubling", 4, 2, 0, 0, 2, [][2][]float64{{{0}, {1}}, {{0}, {1}}, {{1}, {1}}, {{1}, {1}}}},
		{"shift by half a pixel", 2, 3, 0.5, 0, 1, [][2][]float64{{{0, 1}, {0.5, 0.5}}, {{1, 2}, {0.5, 0.5}}}},
		{"padding and the edge", 3, 2, 0, 1, 1, [][2][]float64{{nil, nil}, {{0}, {1}}, {{1}, {1}}}},
		{"past the edge", 2, 1, 0, 0, 1, [][2][]float64{{{0}, {1}}, {nil, nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Axis[float64](tc.n, tc.m, tc.src, tc.pad, tc.scale)
			if len(got) != tc.n {
				t.Fatalf("%d output pixels, want %d", len(got), tc.n)
			}
			for i, w := range tc.want {
				if len(got[i].Idx) != len(w[0]) || len(got[i].W) != len(w[1]) {
					t.Fatalf("pixel %d: %v %v, want %v %v", i, got[i].Idx, got[i].W, w[0], w[1])
				}
				for k := range w[0] {
					if float64(got[i].Idx[k]) != w[0][k] || math.Abs(got[i].W[k]-w[1][k]) > 1e-12 {
						t.Errorf("pixel %d: %v %v, want %v %v", i, got[i].Idx, got[i].W, w[0], w[1])
					}
				}
			}
		})
	}
}
