package datasets

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestPermutation(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 1000} {
		p := Permutation(n, 42, 3)
		s := slices.Clone(p)
		slices.Sort(s)
		for i, v := range s {
			if v != i {
				t.Fatalf("n=%d: %v is not a permutation", n, p)
			}
		}
		if !slices.Equal(p, Permutation(n, 42, 3)) {
			t.Errorf("n=%d: same seed and epoch gave different orders", n)
		}
	}
	a, b, c := Permutation(1000, 42, 3), Permutation(1000, 42, 4), Permutation(1000, 43, 3)
	if slices.Equal(a, b) || slices.Equal(a, c) {
		t.Error("different epochs or seeds gave the same order")
	}
}

// TestPermutationUniform checks with a chi-square test that every element
// is equally likely at every position.
func TestPermutationUniform(t *testing.T) {
	const n, epochs = 5, 20000
	var count [n][n]int
	for e := range epochs {
		for pos, v := range Permutation(n, 7, e) {
			count[v][pos]++
		}
	}
	chi2 := 0.0
	want := float64(epochs) / n
	for _, row := range count {
		for _, c := range row {
			chi2 += (float64(c) - want) * (float64(c) - want) / want
		}
	}
	// 16 degrees of freedom: P(chi2 > 40) < 0.001.
	if chi2 > 40 {
		t.Errorf("chi-square %.1f over 16 degrees of freedom: positions are not uniform: %v", chi2, count)
	}
}

func TestBatches(t *testing.T) {
	order := []int{9, 8, 7, 6, 5, 4, 3}
	for _, tc := range []struct {
		size int
		want string
	}{
		{1, "[[9] [8] [7] [6] [5] [4] [3]]"},
		{3, "[[9 8 7] [6 5 4] [3]]"},
		{7, "[[9 8 7 6 5 4 3]]"},
		{10, "[[9 8 7 6 5 4 3]]"},
	} {
		if got := fmt.Sprint(Batches(order, tc.size)); got != tc.want {
			t.Errorf("size %d: got %s, want %s", tc.size, got, tc.want)
		}
	}
	if got := Batches(nil, 4); len(got) != 0 {
		t.Errorf("no examples: got %v", got)
	}
	// Appending to a batch must not overwrite the next one.
	b := Batches(order, 3)
	_ = append(b[0], -1)
	if order[3] != 6 {
		t.Error("appending to a batch overwrote the order")
	}
}

func TestSampleSeed(t *testing.T) {
	seen := map[uint64]string{}
	for seed := range uint64(3) {
		for epoch := range 3 {
			for i := range 100 {
				s := SampleSeed(seed, epoch, i)
				key := fmt.Sprint(seed, epoch, i)
				if prev, ok := seen[s]; ok {
					t.Fatalf("SampleSeed(%s) = SampleSeed(%s)", key, prev)
				}
				seen[s] = key
			}
		}
	}
	// Pinned values: a change would silently change every run's data.
	for _, tc := range []struct {
		seed         uint64
		epoch, index int
		want         uint64
	}{
		{0, 0, 0, 0x2479b82f30e78503},
		{1, 2, 3, 0x1e6d1e75cd2b47a1},
	} {
		if got := SampleSeed(tc.seed, tc.epoch, tc.index); got != tc.want {
			t.Errorf("SampleSeed(%d, %d, %d) = %#x, want %#x", tc.seed, tc.epoch, tc.index, got, tc.want)
		}
	}
}

func TestRNG(t *testing.T) {
	r := newRNG(1)
	const n = 200000
	// intn: uniform over a range that is not a power of two.
	var counts [6]int
	for range n {
		counts[r.intn(6)]++
	}
	for v, c := range counts {
		if math.Abs(float64(c)-n/6) > 5*math.Sqrt(n/6) {
			t.Errorf("intn(6): %d drawn %d times of %d", v, c, n)
		}
	}
	// normals: mean 0, variance 1, kurtosis 3.
	z := make([]float64, n)
	r.normals(z)
	var m1, m2, m4 float64
	for _, v := range z {
		m1 += v
		m2 += v * v
		m4 += v * v * v * v
	}
	m1, m2, m4 = m1/n, m2/n, m4/n
	if math.Abs(m1) > 0.01 || math.Abs(m2-1) > 0.02 || math.Abs(m4/(m2*m2)-3) > 0.1 {
		t.Errorf("normals: mean %.4f, variance %.4f, kurtosis %.3f; want 0, 1, 3", m1, m2, m4/(m2*m2))
	}
}

func ExampleBatches() {
	order := Permutation(10, 1, 0)
	for _, b := range Batches(order, 4) {
		fmt.Println(len(b))
	}
	// Output:
	// 4
	// 4
	// 2
}

func ExamplePermutation() {
	// The order of 8 examples in epochs 0 and 1 of a run with seed 1: the
	// same on every machine and Go version.
	fmt.Println(Permutation(8, 1, 0))
	fmt.Println(Permutation(8, 1, 1))
	// Output:
	// [2 0 3 5 1 4 6 7]
	// [2 5 3 6 4 1 7 0]
}
