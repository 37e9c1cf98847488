package datasets

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// Affine holds the ranges of the random planar affine distortions LeCun et
// al. (1998) trained LeNet-5 with (translations, scaling, squeezing, that is
// horizontal compression with vertical elongation or the reverse, and
// horizontal shearing), plus rotation. Each parameter of a
// distortion is drawn uniformly from [-range, range]; the zero value draws
// nothing (the identity). See AffineParams for what each parameter does.
type Affine struct {
	Translate float64 // pixels, along each axis
	Scale     float64 // relative size change; must be below 1
	Squeeze   float64 // relative; must be below 1
	Shear     float64 // horizontal shear coefficient
	Rotate    float64 // degrees
}

// Elastic holds the parameters of the elastic distortion of Simard,
// Steinkraus & Platt (2003): a random displacement field, uniform noise in
// [-1, 1] at each pixel smoothed by a Gaussian of standard deviation Sigma
// pixels and multiplied by Alpha. Zero Alpha disables it. Simard et al.
// used Sigma 4 and Alpha 34 on MNIST.
type Elastic struct {
	Alpha, Sigma float64
}

// DefaultAffine returns moderate affine ranges: ±2 pixels of translation,
// ±10% scaling, ±10% squeezing, ±0.2 shear and ±10° rotation (the 1998
// paper does not publish its ranges; these are ours).
func DefaultAffine() Affine {
	return Affine{Translate: 2, Scale: 0.1, Squeeze: 0.1, Shear: 0.2, Rotate: 10}
}

// DefaultElastic returns Simard et al.'s elastic parameters for MNIST:
// Alpha 34, Sigma 4.
func DefaultElastic() Elastic { return Elastic{Alpha: 34, Sigma: 4} }

// AffineParams is one planar affine distortion of an image about its centre
// ((width-1)/2, (height-1)/2). The zero value is the identity. In image
// coordinates (x to the right, y down, relative to the centre) a point p of
// the input moves to R·H·S·p + (DX, DY) where S scales x by
// (1+Scale)(1+Squeeze) and y by (1+Scale)/(1+Squeeze), H shears
// horizontally (x += Shear·y: rows below the centre move right for a
// positive Shear) and R rotates by Rotate degrees counterclockwise as seen
// on the screen.
type AffineParams struct {
	DX, DY  float64
	Scale   float64
	Squeeze float64
	Shear   float64
	Rotate  float64
}

// forward returns the 2×2 linear part R·H·S, row-major.
func (p AffineParams) forward() [4]float64 {
	sx := (1 + p.Scale) * (1 + p.Squeeze)
	sy := (1 + p.Scale) / (1 + p.Squeeze)
	// H·S = [[sx, Shear·sy], [0, sy]].
	h := [4]float64{sx, p.Shear * sy, 0, sy}
	sin, cos := math.Sincos(p.Rotate * math.Pi / 180)
	// R = [[cos, sin], [-sin, cos]] (counterclockwise on screen, y down).
	return [4]float64{
		cos*h[0] + sin*h[2], cos*h[1] + sin*h[3],
		-sin*h[0] + cos*h[2], -sin*h[1] + cos*h[3],
	}
}

// sourceMap returns m and o such that the output pixel q samples the input
// at m·q + o: the inverse of the distortion.
func (p AffineParams) sourceMap(w, h int) (m [4]float64, ox, oy float64) {
	f := p.forward()
	det := f[0]*f[3] - f[1]*f[2]
	m = [4]float64{f[3] / det, -f[1] / det, -f[2] / det, f[0] / det}
	cx, cy := float64(w-1)/2, float64(h-1)/2
	// source = c + M·(q - c - t) = M·q + c - M·(c + t).
	tx, ty := cx+p.DX, cy+p.DY
	ox = cx - (m[0]*tx + m[1]*ty)
	oy = cy - (m[2]*tx + m[3]*ty)
	return m, ox, oy
}

// WarpAffine writes into dst the input image src (width×height, row-major)
// distorted by p, with bilinear interpolation; pixels that come from outside
// the input take the value background. dst and src must not overlap. It
// panics if their lengths are not width·height.
func WarpAffine(dst, src []float32, width, height int, background float32, p AffineParams) {
	checkImages("WarpAffine", dst, src, width, height)
	m, ox, oy := p.sourceMap(width, height)
	for y := range height {
		warpRow(dst[y*width:(y+1)*width], src, width, height, y, m, ox, oy, nil, nil, background)
	}
}

func checkImages(fn string, dst, src []float32, w, h int) {
	if len(dst) != w*h || len(src) != w*h {
		panic(fmt.Sprintf("datasets: %s: images of %d and %d values, want %d×%d", fn, len(dst), len(src), w, h))
	}
}

// warpRow computes output row y: pixel x samples src at
// m·(x+dx[x], y+dy[x]) + o (dx, dy nil: no displacement).
func warpRow(out, src []float32, w, h, y int, m [4]float64, ox, oy float64, dx, dy []float32, bg float32) {
	fy := float64(y)
	bx := m[1]*fy + ox // source of (0, y)
	by := m[3]*fy + oy
	fw, fh := float64(w-1), float64(h-1)
	for x := range out {
		fx := float64(x)
		sx := m[0]*fx + bx
		sy := m[2]*fx + by
		if dx != nil {
			ex, ey := float64(dx[x]), float64(dy[x])
			sx += m[0]*ex + m[1]*ey
			sy += m[2]*ex + m[3]*ey
		}
		if sx >= 0 && sy >= 0 && sx < fw && sy < fh {
			// All four neighbours inside (the common case, inlined).
			x0, y0 := int(sx), int(sy) // truncation is floor here
			ax, ay := float32(sx-float64(x0)), float32(sy-float64(y0))
			i := y0*w + x0
			p := src[i : i+w+2 : i+w+2]
			a, b, c, d := p[0], p[1], p[w], p[w+1]
			top := a + ax*(b-a)
			out[x] = top + ay*(c+ax*(d-c)-top)
			continue
		}
		out[x] = bilinear(src, w, h, sx, sy, bg)
	}
}

// bilinear samples src (w×h) at (sx, sy); pixels outside are bg.
func bilinear(src []float32, w, h int, sx, sy float64, bg float32) float32 {
	if !(sx > -1 && sy > -1 && sx < float64(w) && sy < float64(h)) {
		return bg // also NaN
	}
	x0, y0 := int(sx+1)-1, int(sy+1)-1 // floor, as sx, sy > -1
	ax, ay := float32(sx-float64(x0)), float32(sy-float64(y0))
	a, b, c, d := bg, bg, bg, bg
	in0, in1 := y0 >= 0, y0+1 < h
	if x0 >= 0 {
		if in0 {
			a = src[y0*w+x0]
		}
		if in1 {
			c = src[(y0+1)*w+x0]
		}
	}
	if x0+1 < w {
		if in0 {
			b = src[y0*w+x0+1]
		}
		if in1 {
			d = src[(y0+1)*w+x0+1]
		}
	}
	top := a + ax*(b-a)
	bot := c + ax*(d-c)
	return top + ay*(bot-top)
}

// A Distorter applies random distortions, affine then elastic, to images of
// a fixed size. The distortion of an image is a function of a seed (see
// SampleSeed), so runs are reproducible and parallel workers agree. A
// Distorter is safe for concurrent use.
type Distorter struct {
	w, h    int
	affine  Affine
	elastic Elastic
	// Low-rank factors of the elastic field's covariance along x and y
	// (nil when Alpha is 0).
	bx, by *elasticBasis
	pool   sync.Pool // *elasticScratch
}

// NewDistorter returns a Distorter for width×height images. It reports an
// error for negative or non-finite ranges, Scale or Squeeze ranges of 1 or
// more (a size factor of zero), and elastic distortion with a Sigma that is
// not positive.
func NewDistorter(width, height int, affine Affine, elastic Elastic) (*Distorter, error) {
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("datasets: NewDistorter: image size %d×%d", width, height)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"Translate", affine.Translate}, {"Scale", affine.Scale}, {"Squeeze", affine.Squeeze},
		{"Shear", affine.Shear}, {"Rotate", affine.Rotate}, {"Alpha", elastic.Alpha}, {"Sigma", elastic.Sigma},
	} {
		if !(r.v >= 0) || math.IsInf(r.v, 0) {
			return nil, fmt.Errorf("datasets: NewDistorter: %s is %v, want a finite value >= 0", r.name, r.v)
		}
	}
	if affine.Scale >= 1 || affine.Squeeze >= 1 {
		return nil, fmt.Errorf("datasets: NewDistorter: Scale %v and Squeeze %v must be below 1", affine.Scale, affine.Squeeze)
	}
	d := &Distorter{w: width, h: height, affine: affine, elastic: elastic}
	if elastic.Alpha > 0 {
		if elastic.Sigma <= 0 {
			return nil, fmt.Errorf("datasets: NewDistorter: elastic Sigma is %v, want > 0", elastic.Sigma)
		}
		var err error
		if d.bx, err = newElasticBasis(width, elastic.Sigma); err != nil {
			return nil, err
		}
		if d.by, err = newElasticBasis(height, elastic.Sigma); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Draw returns the affine part of the distortion for seed.
func (d *Distorter) Draw(seed uint64) AffineParams {
	r := newRNG(mix(seed, 0x64697374)) // "dist"
	return d.draw(&r)
}

func (d *Distorter) draw(r *rng) AffineParams {
	// Always draw all six, so the stream (and the elastic field after it)
	// does not depend on which ranges are zero.
	a := d.affine
	return AffineParams{
		DX:      r.symmetric(a.Translate),
		DY:      r.symmetric(a.Translate),
		Scale:   r.symmetric(a.Scale),
		Squeeze: r.symmetric(a.Squeeze),
		Shear:   r.symmetric(a.Shear),
		Rotate:  r.symmetric(a.Rotate),
	}
}

// Distort writes into dst the input image src distorted as chosen by seed:
// the affine distortion Draw(seed) and, if enabled, an elastic displacement
// field, composed and resampled once with bilinear interpolation. Pixels
// that come from outside the input take the value background (the
// distortion is linear in the pixel values, so it commutes with a linear
// rescaling of the image that maps the background to background). dst and
// src must not overlap. It panics if their lengths are not width·height.
func (d *Distorter) Distort(dst, src []float32, background float32, seed uint64) {
	checkImages("Distorter.Distort", dst, src, d.w, d.h)
	r := newRNG(mix(seed, 0x64697374))
	p := d.draw(&r)
	m, ox, oy := p.sourceMap(d.w, d.h)
	if d.bx == nil {
		for y := range d.h {
			warpRow(dst[y*d.w:(y+1)*d.w], src, d.w, d.h, y, m, ox, oy, nil, nil, background)
		}
		return
	}
	s := d.scratch()
	defer d.pool.Put(s)
	d.fieldFactors(&r, s)
	for y := range d.h {
		d.fieldRow(s, y)
		warpRow(dst[y*d.w:(y+1)*d.w], src, d.w, d.h, y, m, ox, oy, s.dx, s.dy, background)
	}
}

// The elastic field.
//
// Simard et al. draw uniform noise in [-1, 1] at every pixel, smooth it with
// a Gaussian kernel k of standard deviation sigma and multiply it by alpha.
// The result is a stationary random field with the separable covariance
// (alpha²/3)·c(dx)·c(dy), c(d) = sum_j k(j)·k(j+d), and (being a weighted
// sum of hundreds of independent values) very nearly Gaussian. We sample
// that Gaussian field directly: with C = A·Aᵀ a low-rank factor of the n×n
// matrix C_ij = c(i-j) along each axis, F = alpha/√3 · A_y·Z·A_xᵀ with Z a
// matrix of standard normal values has exactly that covariance. The rank
// keeps 99.99% of the variance (8 components for 28 pixels and sigma 4),
// which costs about 2·rank·width·height multiply-adds per field instead of
// the (2·4·sigma+1)·2·width·height of the convolution, and has no border
// effect (the noise extends beyond the image).

// elasticBasis is a factor A (n×rank, row-major) of the covariance of the
// smoothed noise along one axis.
type elasticBasis struct {
	n, rank int
	a       []float32 // n×rank
	at      []float32 // its transpose, rank×n
}

func newElasticBasis(n int, sigma float64) (*elasticBasis, error) {
	radius := int(math.Ceil(4 * sigma))
	k := make([]float64, 2*radius+1)
	sum := 0.0
	for j := range k {
		x := float64(j - radius)
		k[j] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += k[j]
	}
	c := make([]float64, n) // c[d] = sum_j k(j) k(j+d)
	for d := range c {
		for j := 0; j+d < len(k); j++ {
			c[d] += k[j] * k[j+d] / (sum * sum)
		}
	}
	cov := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			cov.SetSym(i, j, c[j-i])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, fmt.Errorf("datasets: elastic distortion: eigen-decomposition of the %d×%d field covariance failed", n, n)
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	total := 0.0
	for _, v := range vals {
		total += max(v, 0)
	}
	rank, kept := 0, 0.0
	for i := n - 1; i >= 0 && kept < (1-1e-4)*total; i-- {
		kept += max(vals[i], 0)
		rank++
	}
	b := &elasticBasis{n: n, rank: rank, a: make([]float32, n*rank), at: make([]float32, rank*n)}
	for r := range rank {
		col := n - 1 - r
		s := math.Sqrt(max(vals[col], 0))
		for i := range n {
			v := float32(vecs.At(i, col) * s)
			b.a[i*rank+r] = v
			b.at[r*n+i] = v
		}
	}
	return b, nil
}

// elasticScratch holds one distortion's working memory.
type elasticScratch struct {
	z      []float64 // 2 × rank_y × rank_x normal values
	tx, ty []float32 // rank_y × w: Z·A_xᵀ (scaled) for each field
	dx, dy []float32 // one row of each field
}

func (d *Distorter) scratch() *elasticScratch {
	if s, ok := d.pool.Get().(*elasticScratch); ok {
		return s
	}
	ry, rx := d.by.rank, d.bx.rank
	return &elasticScratch{
		z:  make([]float64, 2*ry*rx),
		tx: make([]float32, ry*d.w), ty: make([]float32, ry*d.w),
		dx: make([]float32, d.w), dy: make([]float32, d.w),
	}
}

// fieldFactors draws Z for both fields and computes T = alpha/√3 · Z·A_xᵀ.
func (d *Distorter) fieldFactors(r *rng, s *elasticScratch) {
	r.normals(s.z)
	ry, rx, w := d.by.rank, d.bx.rank, d.w
	scale := d.elastic.Alpha / math.Sqrt(3)
	at := d.bx.at
	for f, t := range [2][]float32{s.tx, s.ty} {
		z := s.z[f*ry*rx : (f+1)*ry*rx]
		for k := range ry {
			tk := t[k*w : (k+1)*w]
			clear(tk)
			zk := z[k*rx : (k+1)*rx]
			l := 0
			for ; l+4 <= rx; l += 4 {
				c := [4]float32{float32(scale * zk[l]), float32(scale * zk[l+1]), float32(scale * zk[l+2]), float32(scale * zk[l+3])}
				axpy4(tk, c[:], at[l*w:(l+4)*w])
			}
			for ; l < rx; l++ {
				axpy(tk, float32(scale*zk[l]), at[l*w:(l+1)*w])
			}
		}
	}
}

// fieldRow computes row y of both fields: A_y[y,:]·T.
func (d *Distorter) fieldRow(s *elasticScratch, y int) {
	ry, w := d.by.rank, d.w
	ay := d.by.a[y*ry : (y+1)*ry]
	dx, dy := s.dx[:w], s.dy[:w]
	clear(dx)
	clear(dy)
	k := 0
	for ; k+4 <= ry; k += 4 {
		axpy4(dx, ay[k:k+4], s.tx[k*w:(k+4)*w])
		axpy4(dy, ay[k:k+4], s.ty[k*w:(k+4)*w])
	}
	for ; k < ry; k++ {
		axpy(dx, ay[k], s.tx[k*w:(k+1)*w])
		axpy(dy, ay[k], s.ty[k*w:(k+1)*w])
	}
}

// axpy adds a·x to y.
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

// axpy4 adds sum_k a[k]·x[k·n : (k+1)·n] to y (n = len(y)).
func axpy4(y []float32, a []float32, x []float32) {
	n := len(y)
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	x0, x1, x2, x3 := x[:n], x[n:2*n], x[2*n:3*n], x[3*n:4*n]
	for i := range y {
		y[i] += a0*x0[i] + a1*x1[i] + a2*x2[i] + a3*x3[i]
	}
}

// field writes the whole elastic displacement field for seed into dx and dy
// (width×height each); for tests.
func (d *Distorter) field(seed uint64, dx, dy []float32) {
	r := newRNG(mix(seed, 0x64697374))
	d.draw(&r)
	s := d.scratch()
	defer d.pool.Put(s)
	d.fieldFactors(&r, s)
	for y := range d.h {
		d.fieldRow(s, y)
		copy(dx[y*d.w:], s.dx)
		copy(dy[y*d.w:], s.dy)
	}
}
