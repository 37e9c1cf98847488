package datasets

import (
	"math"
	"math/bits"
)

// Permutation returns the order in which to visit examples 0..n-1 during
// epoch epoch of a run with the given seed: a uniformly random permutation
// that depends only on (n, seed, epoch), so every run, machine and worker
// count with the same seed visits the examples in the same order.
func Permutation(n int, seed uint64, epoch int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	r := newRNG(mix(mix(seed, 0x7065726d), uint64(epoch))) // "perm"
	// Fisher-Yates.
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	return order
}

// Batches cuts order into consecutive batches of size elements (the last
// one may be shorter). The batches share order's storage. It panics if size
// is not positive.
func Batches(order []int, size int) [][]int {
	if size <= 0 {
		panic("datasets: Batches: batch size must be positive")
	}
	out := make([][]int, 0, (len(order)+size-1)/size)
	for lo := 0; lo < len(order); lo += size {
		hi := min(lo+size, len(order))
		out = append(out, order[lo:hi:hi])
	}
	return out
}

// SampleSeed returns the seed of the random choices (for example a
// distortion) made for example index during epoch epoch of a run with the
// given seed. It depends only on its arguments, so parallel workers and
// repeated runs agree on what each example looks like.
func SampleSeed(seed uint64, epoch, index int) uint64 {
	return mix(mix(mix(seed, 0x73616d70), uint64(epoch)), uint64(index)) // "samp"
}

// mix hashes v into h (the SplitMix64 finalizer applied to both).
func mix(h, v uint64) uint64 {
	return fmix(h ^ fmix(v+0x9e3779b97f4a7c15))
}

// fmix is the SplitMix64 output function (Steele, Lea & Flood 2014), a
// bijective avalanche mix of 64 bits.
func fmix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// rng is SplitMix64: small, fast and fully specified here, so that its
// output never changes with the Go version (the data order and the
// distortions of a run are reproducible).
type rng struct{ s uint64 }

func newRNG(seed uint64) rng { return rng{s: seed} }

func (r *rng) uint64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return fmix(r.s)
}

// float64 returns a uniform value in [0, 1).
func (r *rng) float64() float64 { return float64(r.uint64()>>11) * 0x1p-53 }

// symmetric returns a uniform value in [-a, a).
func (r *rng) symmetric(a float64) float64 { return a * (2*r.float64() - 1) }

// intn returns a uniform integer in [0, n) (Lemire's multiply-and-reject
// method, unbiased).
func (r *rng) intn(n int) int {
	bound := uint64(n)
	hi, lo := bits.Mul64(r.uint64(), bound)
	if lo < bound {
		thresh := -bound % bound
		for lo < thresh {
			hi, lo = bits.Mul64(r.uint64(), bound)
		}
	}
	return int(hi)
}

// normals fills dst with independent standard normal values (Marsaglia's
// polar method).
func (r *rng) normals(dst []float64) {
	for i := 0; i < len(dst); {
		u, v := r.symmetric(1), r.symmetric(1)
		s := u*u + v*v
		if s >= 1 || s == 0 {
			continue
		}
		f := math.Sqrt(-2 * math.Log(s) / s)
		dst[i] = u * f
		i++
		if i < len(dst) {
			dst[i] = v * f
			i++
		}
	}
}
