package datasets

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// blob returns a w×h image holding a smooth Gaussian blob of standard
// deviation s centred at (x0, y0), on a zero background.
func blob(w, h int, x0, y0, s float64) []float32 {
	img := make([]float32, w*h)
	for y := range h {
		for x := range w {
			dx, dy := float64(x)-x0, float64(y)-y0
			img[y*w+x] = float32(math.Exp(-(dx*dx + dy*dy) / (2 * s * s)))
		}
	}
	return img
}

// moments returns the mass, centroid and covariance of an image.
func moments(img []float32, w int) (mass, cx, cy, vxx, vyy, vxy float64) {
	for i, v := range img {
		x, y := float64(i%w), float64(i/w)
		mass += float64(v)
		cx += float64(v) * x
		cy += float64(v) * y
	}
	cx, cy = cx/mass, cy/mass
	for i, v := range img {
		x, y := float64(i%w)-cx, float64(i/w)-cy
		vxx += float64(v) * x * x
		vyy += float64(v) * y * y
		vxy += float64(v) * x * y
	}
	return mass, cx, cy, vxx / mass, vyy / mass, vxy / mass
}

func TestWarpAffineIdentity(t *testing.T) {
	const w, h = 28, 32
	src := make([]float32, w*h)
	for i := range src {
		src[i] = float32(i%17) - 3.5
	}
	dst := make([]float32, w*h)
	WarpAffine(dst, src, w, h, -99, AffineParams{})
	if !slices.Equal(dst, src) {
		t.Error("identity parameters changed the image")
	}
	d, err := NewDistorter(w, h, Affine{}, Elastic{})
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(5) {
		d.Distort(dst, src, -99, seed)
		if !slices.Equal(dst, src) {
			t.Errorf("seed %d: distorter with zero ranges changed the image", seed)
		}
	}
}

func TestWarpAffineIntegerTranslation(t *testing.T) {
	const w, h = 6, 5
	src := make([]float32, w*h)
	for i := range src {
		src[i] = float32(i + 1)
	}
	dst := make([]float32, w*h)
	WarpAffine(dst, src, w, h, 0, AffineParams{DX: 2, DY: -1})
	for y := range h {
		for x := range w {
			want := float32(0)
			if sx, sy := x-2, y+1; sx >= 0 && sy < h {
				want = src[sy*w+sx]
			}
			if got := dst[y*w+x]; got != want {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
	WarpAffine(dst, src, w, h, 7, AffineParams{DX: 50})
	for _, v := range dst {
		if v != 7 {
			t.Fatalf("image moved out of the frame: got %v, want only background", dst)
		}
	}
}

// TestWarpAffineMoments checks every parameter and its sign convention: the
// centroid and second moments of a smooth blob must move as the forward map
// of AffineParams says.
func TestWarpAffineMoments(t *testing.T) {
	const w, h = 40, 40
	const x0, y0, s = 22.0, 16.5, 2.5 // the centre is (19.5, 19.5)
	src := blob(w, h, x0, y0, s)
	for _, p := range []AffineParams{
		{DX: 2.5, DY: -1.25},
		{DX: -0.3, DY: 0.7},
		{Scale: 0.3},
		{Scale: -0.2},
		{Squeeze: 0.25},
		{Shear: 0.4},
		{Rotate: 30},
		{Rotate: -90},
		{DX: 1, DY: 2, Scale: 0.1, Squeeze: -0.1, Shear: -0.2, Rotate: 12},
	} {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			dst := make([]float32, w*h)
			WarpAffine(dst, src, w, h, 0, p)
			_, cx, cy, vxx, vyy, vxy := moments(dst, w)
			f := p.forward()
			c := float64(w-1) / 2
			wantX := c + p.DX + f[0]*(x0-c) + f[1]*(y0-c)
			wantY := c + p.DY + f[2]*(x0-c) + f[3]*(y0-c)
			if math.Abs(cx-wantX) > 0.02 || math.Abs(cy-wantY) > 0.02 {
				t.Errorf("centroid (%.3f, %.3f), want (%.3f, %.3f)", cx, cy, wantX, wantY)
			}
			// Covariance F·(s² I)·Fᵀ, plus the 1/6 pixel² that bilinear
			// interpolation adds per axis at most; allow 4%.
			s2 := s * s
			want := [3]float64{
				s2 * (f[0]*f[0] + f[1]*f[1]),
				s2 * (f[2]*f[2] + f[3]*f[3]),
				s2 * (f[0]*f[2] + f[1]*f[3]),
			}
			got := [3]float64{vxx, vyy, vxy}
			for i := range got {
				if math.Abs(got[i]-want[i]) > 0.04*s2+0.2 {
					t.Errorf("covariance (xx, yy, xy) = %.3f, want %.3f", got, want)
					break
				}
			}
		})
	}
}

// TestWarpAffineRotateDirection pins the sign convention on pixels: +90°
// turns a point right of the centre to above it.
func TestWarpAffineRotateDirection(t *testing.T) {
	const n = 5
	src := make([]float32, n*n)
	src[2*n+4] = 1 // (4, 2): right of the centre (2, 2)
	dst := make([]float32, n*n)
	WarpAffine(dst, src, n, n, 0, AffineParams{Rotate: 90})
	for i, v := range dst {
		want := float32(0)
		if i == 0*n+2 { // (2, 0): above the centre
			want = 1
		}
		if math.Abs(float64(v-want)) > 1e-6 {
			t.Fatalf("pixel (%d,%d) = %v, want %v", i%n, i/n, v, want)
		}
	}
}

func TestDistorterDeterministic(t *testing.T) {
	const w, h = 32, 32
	d, err := NewDistorter(w, h, DefaultAffine(), DefaultElastic())
	if err != nil {
		t.Fatal(err)
	}
	src := blob(w, h, 15, 17, 3)
	a, b := make([]float32, w*h), make([]float32, w*h)
	d.Distort(a, src, -0.1, 12345)
	d.Distort(b, src, -0.1, 12345)
	if !slices.Equal(a, b) {
		t.Error("same seed, different images")
	}
	if slices.Equal(a, src) {
		t.Error("the distortion changed nothing")
	}
	d.Distort(b, src, -0.1, 12346)
	if slices.Equal(a, b) {
		t.Error("different seeds, same image")
	}
	// Concurrent use gives the sequential results.
	want := make([][]float32, 16)
	for i := range want {
		want[i] = make([]float32, w*h)
		d.Distort(want[i], src, -0.1, uint64(i))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			out := make([]float32, w*h)
			for i := range want {
				d.Distort(out, src, -0.1, uint64(i))
				if !slices.Equal(out, want[i]) {
					t.Errorf("goroutine %d, seed %d: result differs", g, i)
				}
			}
		})
	}
	wg.Wait()
}

// TestElasticFieldStatistics compares the displacement field with its
// definition (Simard et al.): uniform noise in [-1, 1] smoothed by a
// Gaussian and scaled by alpha, simulated here directly by convolution.
// Both must match the theoretical covariance alpha²/3·c(dx)·c(dy).
func TestElasticFieldStatistics(t *testing.T) {
	const w, h, alpha, sigma = 28, 28, 34.0, 4.0
	d, err := NewDistorter(w, h, Affine{}, Elastic{Alpha: alpha, Sigma: sigma})
	if err != nil {
		t.Fatal(err)
	}
	if d.bx.rank != 8 {
		t.Errorf("rank %d for 28 pixels and sigma 4, want 8", d.bx.rank)
	}
	// Theory.
	radius := int(math.Ceil(4 * sigma))
	k := make([]float64, 2*radius+1)
	sum := 0.0
	for j := range k {
		x := float64(j - radius)
		k[j] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += k[j]
	}
	for j := range k {
		k[j] /= sum
	}
	c := func(lag int) float64 {
		v := 0.0
		for j := 0; j+lag < len(k); j++ {
			v += k[j] * k[j+lag]
		}
		return v
	}
	lags := [][2]int{{0, 0}, {4, 0}, {0, 4}, {4, 4}, {8, 0}}
	theory := make([]float64, len(lags))
	for i, l := range lags {
		theory[i] = alpha * alpha / 3 * c(l[0]) * c(l[1])
	}

	// covariances returns the mean over pixel pairs of the products of a
	// field's values at the given lags (the field has mean 0).
	covariances := func(acc []float64, f []float32) {
		for i, l := range lags {
			s, n := 0.0, 0
			for y := 0; y+l[1] < h; y++ {
				for x := 0; x+l[0] < w; x++ {
					s += float64(f[y*w+x]) * float64(f[(y+l[1])*w+x+l[0]])
					n++
				}
			}
			acc[i] += s / float64(n)
		}
	}

	const samples = 1500
	ours := make([]float64, len(lags))
	dx, dy := make([]float32, w*h), make([]float32, w*h)
	for s := range samples {
		d.field(uint64(s), dx, dy)
		covariances(ours, dx)
		covariances(ours, dy)
	}

	// Simard et al.'s construction, by direct convolution.
	const direct = 400
	simard := make([]float64, len(lags))
	r := newRNG(99)
	pw, ph := w+2*radius, h+2*radius
	noise := make([]float64, pw*ph)
	tmp := make([]float64, pw*h)
	f := make([]float32, w*h)
	for range direct {
		for i := range noise {
			noise[i] = r.symmetric(1)
		}
		for y := range h { // vertical pass
			for x := range pw {
				v := 0.0
				for j, kv := range k {
					v += kv * noise[(y+j)*pw+x]
				}
				tmp[y*pw+x] = v
			}
		}
		for y := range h { // horizontal pass
			for x := range w {
				v := 0.0
				for j, kv := range k {
					v += kv * tmp[y*pw+x+j]
				}
				f[y*w+x] = float32(alpha * v)
			}
		}
		covariances(simard, f)
	}
	for i, l := range lags {
		o := ours[i] / (2 * samples)
		s := simard[i] / direct
		t.Logf("lag %v: theory %.4f, ours %.4f, direct convolution %.4f", l, theory[i], o, s)
		if math.Abs(o-theory[i]) > 0.05*theory[0] {
			t.Errorf("lag %v: our field's covariance %.4f, want %.4f", l, o, theory[i])
		}
		if math.Abs(s-theory[i]) > 0.08*theory[0] {
			t.Errorf("lag %v: the direct convolution's covariance %.4f, want %.4f (the theory is wrong)", l, s, theory[i])
		}
	}
}

func TestNewDistorterErrors(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		a    Affine
		e    Elastic
		want string
	}{
		{0, 28, Affine{}, Elastic{}, "image size 0×28"},
		{28, 28, Affine{Translate: -1}, Elastic{}, "Translate is -1"},
		{28, 28, Affine{Rotate: math.NaN()}, Elastic{}, "Rotate is NaN"},
		{28, 28, Affine{Scale: math.Inf(1)}, Elastic{}, "Scale is +Inf"},
		{28, 28, Affine{Squeeze: 1}, Elastic{}, "must be below 1"},
		{28, 28, Affine{}, Elastic{Alpha: 34}, "Sigma is 0"},
	} {
		_, err := NewDistorter(tc.w, tc.h, tc.a, tc.e)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v %+v: got error %v, want one containing %q", tc.a, tc.e, err, tc.want)
		}
	}
}

func ExampleWarpAffine() {
	// A 4×3 image with one ink pixel, moved one pixel right and one down.
	src := []float32{
		0, 0, 0, 0,
		0, 1, 0, 0,
		0, 0, 0, 0,
	}
	dst := make([]float32, len(src))
	WarpAffine(dst, src, 4, 3, 0, AffineParams{DX: 1, DY: 1})
	fmt.Println(dst[2*4+2])
	// Output: 1
}

func ExampleDistorter() {
	d, err := NewDistorter(32, 32, DefaultAffine(), DefaultElastic())
	if err != nil {
		panic(err)
	}
	src := make([]float32, 32*32) // an image, LeNet-5 style: background -0.1
	for i := range src {
		src[i] = -0.1
	}
	dst := make([]float32, 32*32)
	const runSeed, epoch, example = 1, 0, 17
	d.Distort(dst, src, -0.1, SampleSeed(runSeed, epoch, example))
	fmt.Println(dst[0])
	// Output: -0.1
}

func BenchmarkDistort(b *testing.B) {
	for _, tc := range []struct {
		name string
		a    Affine
		e    Elastic
	}{
		{"affine", DefaultAffine(), Elastic{}},
		{"elastic", Affine{}, DefaultElastic()},
		{"affine+elastic", DefaultAffine(), DefaultElastic()},
	} {
		for _, n := range []int{28, 32} {
			b.Run(fmt.Sprintf("%s/%dx%d", tc.name, n, n), func(b *testing.B) {
				d, err := NewDistorter(n, n, tc.a, tc.e)
				if err != nil {
					b.Fatal(err)
				}
				src := blob(n, n, float64(n)/2, float64(n)/2, 4)
				dst := make([]float32, n*n)
				b.ReportAllocs()
				seed := uint64(0)
				for b.Loop() {
					d.Distort(dst, src, 0, seed)
					seed++
				}
			})
		}
	}
}
