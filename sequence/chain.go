package sequence

import (
	"fmt"
	"math"
	"slices"

	"github.com/gotn/gotn/gtn"
)

// Chain computes inference and energy-based losses on the label lattice of
// a linear chain: the graph whose paths are the labelings y_0 ... y_{T-1}
// of a sentence of T tokens over L labels, with energy
//
//	E(y) = trans[BOS, y_0] + Σ_t emit[t, y_t] + Σ_{t>0} trans[y_{t-1}, y_t] + trans[y_{T-1}, EOS]
//
// emit is a T×L matrix of emission energies (row-major), trans an
// (L+1)×(L+1) matrix of transition energies whose row and column L stand
// for the sentence boundary (BOS as a source, EOS as a destination;
// trans[L, L] is unused). Lower energy is better.
//
// It is the dense, specialised equivalent of building the lattice as a
// graphs.Graph (see Lattice) and running graphs.Viterbi and
// graphs.ArcPosteriors or gtn's GraphLoss on it, as k2's dense
// intersection is for CTC: the same energies and gradients, computed on
// flat float64 buffers that the Chain reuses from call to call. A Chain
// belongs to one goroutine; its zero value is ready to use.
type Chain struct {
	L int // number of labels; set by each call

	// Buffers, grown as needed.
	s, alpha, back, aug []float64
	c                   []float64
	m, st, en, xi, tmp  []float64
	delta, delta2       []float64
	colMin              []float64
	bp, cand            []int32
	path, path2         []int32
	gEmit, gTrans       []float64

	// Exponentials of the last transition energies (see prepareTrans).
	transCopy  []float64
	transL     int
	transBeta  float64
	mT, mS, mE float64
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

func (c *Chain) check(emit, trans []float64, L int) (int, error) {
	if L < 1 {
		return 0, fmt.Errorf("sequence: chain with %d labels", L)
	}
	if len(trans) != (L+1)*(L+1) {
		return 0, fmt.Errorf("sequence: %d transition energies for %d labels, want %d", len(trans), L, (L+1)*(L+1))
	}
	if len(emit) == 0 || len(emit)%L != 0 {
		return 0, fmt.Errorf("sequence: %d emission energies is not a positive multiple of %d labels", len(emit), L)
	}
	c.L = L
	return len(emit) / L, nil
}

// PathEnergy returns the energy of labeling path (len T).
func PathEnergy(emit, trans []float64, L int, path []int32) float64 {
	L1 := L + 1
	e := trans[L*L1+int(path[0])]
	for t, y := range path {
		e += emit[t*L+int(y)]
		if t > 0 {
			e += trans[int(path[t-1])*L1+int(y)]
		}
	}
	return e + trans[int(path[len(path)-1])*L1+L]
}

// addPath adds scale to the gradient of every energy on path.
func addPath(dEmit, dTrans []float64, L int, path []int32, scale float64) {
	L1 := L + 1
	dTrans[L*L1+int(path[0])] += scale
	for t, y := range path {
		dEmit[t*L+int(y)] += scale
		if t > 0 {
			dTrans[int(path[t-1])*L1+int(y)] += scale
		}
	}
	dTrans[int(path[len(path)-1])*L1+L] += scale
}

// Viterbi writes the lowest-energy labeling into path (len T) and returns
// its energy.
func (c *Chain) Viterbi(emit, trans []float64, L int, path []int32) (float64, error) {
	T, err := c.check(emit, trans, L)
	if err != nil {
		return 0, err
	}
	if len(path) != T {
		return 0, fmt.Errorf("sequence: Viterbi: path of %d for %d tokens", len(path), T)
	}
	return c.viterbi(emit, trans, T, path), nil
}

func (c *Chain) viterbi(emit, trans []float64, T int, path []int32) float64 {
	L, L1 := c.L, c.L+1
	c.delta = grow(c.delta, L)
	c.delta2 = grow(c.delta2, L)
	c.bp = grow(c.bp, T*L)
	// tr is trans transposed (tr[j*L+i] = trans[i,j]), for contiguous
	// access in the inner loop.
	c.tmp = grow(c.tmp, L*L)
	tr := c.tmp
	minT, maxT := math.Inf(1), math.Inf(-1)
	for i := range L {
		row := trans[i*L1 : i*L1+L]
		for j, v := range row {
			tr[j*L+i] = v
			minT, maxT = min(minT, v), max(maxT, v)
		}
	}
	c.cand = grow(c.cand, L)
	c.colMin = grow(c.colMin, L)
	colMin := c.colMin
	for j := range L {
		m := tr[j*L]
		for _, v := range tr[j*L+1 : j*L+L] {
			m = min(m, v)
		}
		colMin[j] = m
	}
	d, nd := c.delta, c.delta2
	for j := range L {
		d[j] = trans[L*L1+j] + emit[j]
	}
	for t := 1; t < T; t++ {
		bp := c.bp[t*L : t*L+L]
		e := emit[t*L : t*L+L]
		// Exact pruning: a label i with d[i] > min(d) + (maxT − minT)
		// loses to the best label of d whatever the next label is.
		minD := d[0]
		for _, v := range d[1:] {
			minD = min(minD, v)
		}
		thr := minD + (maxT - minT)
		cand := c.cand[:0]
		for i, v := range d {
			if v <= thr {
				cand = append(cand, int32(i))
			}
		}
		// The candidates in increasing order of d: for label j, once
		// d[i] + min_i' trans[i', j] exceeds the best found, no later
		// candidate can win. Ties go to the smaller label, as in a plain
		// left-to-right scan.
		for q := 1; q < len(cand); q++ {
			x := cand[q]
			v := d[x]
			r := q
			for r > 0 && d[cand[r-1]] > v {
				cand[r] = cand[r-1]
				r--
			}
			cand[r] = x
		}
		for j := range L {
			col := tr[j*L : j*L+L]
			cm := colMin[j]
			best, arg := math.Inf(1), int32(0)
			for _, i := range cand {
				di := d[i]
				if di+cm > best {
					break
				}
				if v := di + col[i]; v < best || (v == best && i < arg) {
					best, arg = v, i
				}
			}
			nd[j] = best + e[j]
			bp[j] = arg
		}
		d, nd = nd, d
	}
	best, arg := math.Inf(1), 0
	for j := range L {
		if v := d[j] + trans[j*L1+L]; v < best {
			best, arg = v, j
		}
	}
	path[T-1] = int32(arg)
	for t := T - 1; t > 0; t-- {
		path[t-1] = c.bp[t*L+int(path[t])]
	}
	return best
}

// Offending writes into path the lowest-energy labeling that differs from
// gold in at least one position (the most offending incorrect answer) and
// returns its energy, or +Inf (path untouched) when every labeling is gold
// (one label).
func (c *Chain) Offending(emit, trans []float64, L int, gold, path []int32) (float64, error) {
	T, err := c.check(emit, trans, L)
	if err != nil {
		return 0, err
	}
	if len(path) != T || len(gold) != T {
		return 0, fmt.Errorf("sequence: Offending: path of %d and gold of %d for %d tokens", len(path), len(gold), T)
	}
	return c.offending(emit, trans, T, gold, path), nil
}

// offending is Viterbi over the lattice composed with the acceptor of all
// label strings but gold: a "same as gold so far" track (one path) and a
// "deviated" track per label. bp = -1 marks a step from the gold track.
func (c *Chain) offending(emit, trans []float64, T int, gold, path []int32) float64 {
	L, L1 := c.L, c.L+1
	if L == 1 {
		return math.Inf(1)
	}
	inf := math.Inf(1)
	c.delta = grow(c.delta, L)
	c.delta2 = grow(c.delta2, L)
	c.bp = grow(c.bp, T*L)
	d, nd := c.delta, c.delta2
	g0 := int(gold[0])
	same := trans[L*L1+g0] + emit[g0]
	for j := range L {
		d[j] = inf
		if j != g0 {
			d[j] = trans[L*L1+j] + emit[j]
		}
		c.bp[j] = -1
	}
	for t := 1; t < T; t++ {
		bp := c.bp[t*L : t*L+L]
		e := emit[t*L : t*L+L]
		gp, gt := int(gold[t-1]), int(gold[t])
		for j := range L {
			best, arg := inf, int32(-2)
			for i := range L {
				if v := d[i] + trans[i*L1+j]; v < best {
					best, arg = v, int32(i)
				}
			}
			if j != gt {
				if v := same + trans[gp*L1+j]; v < best {
					best, arg = v, -1
				}
			}
			nd[j] = best + e[j]
			bp[j] = arg
		}
		same += trans[gp*L1+gt] + e[gt]
		d, nd = nd, d
	}
	best, arg := inf, -1
	for j := range L {
		if v := d[j] + trans[j*L1+L]; v < best {
			best, arg = v, j
		}
	}
	if arg < 0 {
		return inf
	}
	y := int32(arg)
	for t := T - 1; t >= 0; t-- {
		path[t] = y
		b := c.bp[t*L+int(y)]
		if b == -1 {
			copy(path[:t], gold[:t])
			break
		}
		y = b
	}
	return best
}

// Free returns the free energy F = -1/beta log Σ_y exp(-beta E(y)) of the
// lattice; when dEmit and dTrans are not nil it adds scale × ∂F/∂energy to
// them: the posterior probabilities (at beta) of each label at each
// position and of each transition.
func (c *Chain) Free(emit, trans []float64, L int, beta, scale float64, dEmit, dTrans []float64) (float64, error) {
	T, err := c.check(emit, trans, L)
	if err != nil {
		return 0, err
	}
	if !(beta > 0) || math.IsInf(beta, 0) {
		return 0, fmt.Errorf("sequence: Free: inverse temperature %v, want a positive number", beta)
	}
	if dEmit != nil && (len(dEmit) != len(emit) || len(dTrans) != len(trans)) {
		return 0, fmt.Errorf("sequence: Free: gradient buffers of %d and %d for %d and %d energies", len(dEmit), len(dTrans), len(emit), len(trans))
	}
	return c.free(emit, trans, T, beta, scale, dEmit, dTrans)
}

// free is forward-backward in probability space with per-position scaling
// (as CRFsuite does): exponentials of energies shifted by their minimum,
// normalised forward vectors, and the logarithm of the scale factors summed
// into the free energy. The exponentials of the transition energies are
// kept from call to call while trans and beta do not change (training
// evaluates many sentences with the same transitions).
func (c *Chain) free(emit, trans []float64, T int, beta, scale float64, dEmit, dTrans []float64) (float64, error) {
	L, L1 := c.L, c.L+1
	c.s = grow(c.s, T*L)
	c.alpha = grow(c.alpha, T*L)
	c.c = grow(c.c, T)
	s, alpha, cs := c.s, c.alpha, c.c
	c.prepareTrans(trans, beta)
	M, st, en := c.m, c.st, c.en

	shift := c.mS + float64(T-1)*c.mT + c.mE
	for t := range T {
		e := emit[t*L : t*L+L]
		m := e[0]
		for _, v := range e[1:] {
			m = min(m, v)
		}
		shift += m
		sv := s[t*L : t*L+L]
		sv = sv[:len(e)]
		for j, v := range e {
			sv[j] = math.Exp(-beta * (v - m))
		}
	}

	// Forward.
	logZ := 0.0
	for t := range T {
		a := alpha[t*L : t*L+L]
		sv := s[t*L : t*L+L]
		sv = sv[:len(a)]
		if t == 0 {
			st := st[:len(a)]
			for j := range a {
				a[j] = st[j] * sv[j]
			}
		} else {
			prev := alpha[(t-1)*L : t*L]
			clear(a)
			for i, p := range prev {
				if p == 0 {
					continue
				}
				row := M[i*L : i*L+L]
				row = row[:len(a)]
				for j, mv := range row {
					a[j] += p * mv
				}
			}
			for j := range a {
				a[j] *= sv[j]
			}
		}
		sum := 0.0
		for _, v := range a {
			sum += v
		}
		if !(sum > 0) || math.IsInf(sum, 0) {
			return c.freeLog(emit, trans, T, beta, scale, dEmit, dTrans), nil
		}
		cs[t] = sum
		inv := 1 / sum
		for j := range a {
			a[j] *= inv
		}
		logZ += math.Log(sum)
	}
	last := alpha[(T-1)*L : T*L]
	z := 0.0
	for j, v := range last {
		z += v * en[j]
	}
	if !(z > 0) || math.IsInf(z, 0) {
		return c.freeLog(emit, trans, T, beta, scale, dEmit, dTrans), nil
	}
	logZ += math.Log(z)
	F := shift - logZ/beta
	if dEmit == nil {
		return F, nil
	}

	// Backward: b_t[i] = Σ_j M[i,j] s_{t+1}[j] b_{t+1}[j] / c_{t+1}, with
	// b_{T-1} = en. Posteriors: γ_t = α̂_t b_t / z,
	// ξ_t(i,j) = α̂_{t-1}[i] M[i,j] s_t[j] b_t[j] / (c_t z). The ξ_t are
	// summed over t without the factor M[i,j] (outer products of α̂_{t-1}
	// and s_t b_t / c_t), which multiplies the sum once at the end; a row
	// i whose posterior γ_{t-1}(i) is below 1e-14 adds less than that to
	// the gradient and is skipped.
	c.back = grow(c.back, 2*L)
	c.xi = grow(c.xi, L*L)
	c.tmp = grow(c.tmp, L)
	b, nb := c.back[:L], c.back[L:]
	xi, tmp := c.xi, c.tmp
	clear(xi)
	copy(b, en)
	k := scale / z
	for t := T - 1; t >= 0; t-- {
		a := alpha[t*L : t*L+L]
		de := dEmit[t*L : t*L+L]
		de = de[:len(a)]
		bt := b[:len(a)]
		for j := range a {
			de[j] += k * a[j] * bt[j]
		}
		if t == 0 {
			break
		}
		sv := s[t*L : t*L+L]
		sv = sv[:len(bt)]
		tmp := tmp[:len(bt)]
		inv := 1 / cs[t]
		for j := range bt {
			tmp[j] = sv[j] * bt[j] * inv
		}
		prev := alpha[(t-1)*L : t*L]
		for i := range L {
			row := M[i*L : i*L+L]
			acc := dot(row, tmp)
			nb[i] = acc
			p := prev[i]
			if p*acc < 1e-14*z {
				continue
			}
			x := xi[i*L : i*L+L]
			x = x[:len(tmp)]
			for j, v := range tmp {
				x[j] += p * v
			}
		}
		b, nb = nb, b
	}
	for i := range L {
		row := M[i*L : i*L+L]
		for j, mv := range row {
			dTrans[i*L1+j] += k * mv * xi[i*L+j]
		}
	}
	// Start and end transitions: posteriors of the first and last labels
	// (b_0 is in b after the loop).
	first, lastA := alpha[:L], alpha[(T-1)*L:T*L]
	for j := range L {
		dTrans[L*L1+j] += k * first[j] * b[j]
		dTrans[j*L1+L] += k * lastA[j] * en[j]
	}
	return F, nil
}

// dot returns Σ x[j] y[j] (len(y) >= len(x)), with four partial sums so
// that the additions do not wait on one another.
func dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+3 < len(x); j += 4 {
		s0 += x[j] * y[j]
		s1 += x[j+1] * y[j+1]
		s2 += x[j+2] * y[j+2]
		s3 += x[j+3] * y[j+3]
	}
	for ; j < len(x); j++ {
		s0 += x[j] * y[j]
	}
	return (s0 + s1) + (s2 + s3)
}

// freeLog is free in log space: exact for any range of energies, and
// slower (an exponential per transition and position). free falls back to
// it when its scaled pass underflows.
func (c *Chain) freeLog(emit, trans []float64, T int, beta, scale float64, dEmit, dTrans []float64) float64 {
	L, L1 := c.L, c.L+1
	la := make([]float64, T*L) // log forward: -beta × energies of prefixes
	lb := make([]float64, T*L) // log backward
	terms := make([]float64, L)
	for j := range L {
		la[j] = -beta * (trans[L*L1+j] + emit[j])
	}
	for t := 1; t < T; t++ {
		for j := range L {
			for i := range L {
				terms[i] = la[(t-1)*L+i] - beta*trans[i*L1+j]
			}
			la[t*L+j] = logSumExp(terms) - beta*emit[t*L+j]
		}
	}
	for i := range L {
		lb[(T-1)*L+i] = -beta * trans[i*L1+L]
		terms[i] = la[(T-1)*L+i] + lb[(T-1)*L+i]
	}
	logZ := logSumExp(terms)
	if dEmit != nil {
		for t := T - 2; t >= 0; t-- {
			for i := range L {
				for j := range L {
					terms[j] = -beta*(trans[i*L1+j]+emit[(t+1)*L+j]) + lb[(t+1)*L+j]
				}
				lb[t*L+i] = logSumExp(terms)
			}
		}
		for t := range T {
			for j := range L {
				dEmit[t*L+j] += scale * math.Exp(la[t*L+j]+lb[t*L+j]-logZ)
			}
			if t > 0 {
				for i := range L {
					for j := range L {
						dTrans[i*L1+j] += scale * math.Exp(la[(t-1)*L+i]-beta*(trans[i*L1+j]+emit[t*L+j])+lb[t*L+j]-logZ)
					}
				}
			}
		}
		for j := range L {
			dTrans[L*L1+j] += scale * math.Exp(la[j]+lb[j]-logZ)
			dTrans[j*L1+L] += scale * math.Exp(la[(T-1)*L+j]+lb[(T-1)*L+j]-logZ)
		}
	}
	return -logZ / beta
}

// logSumExp returns log Σ exp(x).
func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// prepareTrans computes the exponentials of the transition energies at
// beta, shifted by their minima (mT inside the chain, mS from BOS, mE to
// EOS), unless they were computed for the same trans and beta last time.
func (c *Chain) prepareTrans(trans []float64, beta float64) {
	L, L1 := c.L, c.L+1
	if c.transL == L && c.transBeta == beta && slices.Equal(c.transCopy, trans) {
		return
	}
	c.transL, c.transBeta = L, beta
	c.transCopy = append(c.transCopy[:0], trans...)
	c.m = grow(c.m, L*L)
	c.st = grow(c.st, L)
	c.en = grow(c.en, L)
	M, st, en := c.m, c.st, c.en
	mT := math.Inf(1)
	for i := range L {
		for _, v := range trans[i*L1 : i*L1+L] {
			mT = min(mT, v)
		}
	}
	mS, mE := math.Inf(1), math.Inf(1)
	for j := range L {
		mS = min(mS, trans[L*L1+j])
		mE = min(mE, trans[j*L1+L])
	}
	for i := range L {
		for j := range L {
			M[i*L+j] = math.Exp(-beta * (trans[i*L1+j] - mT))
		}
		st[i] = math.Exp(-beta * (trans[L*L1+i] - mS))
		en[i] = math.Exp(-beta * (trans[i*L1+L] - mE))
	}
	c.mT, c.mS, c.mE = mT, mS, mE
}

// Loss computes the energy-based loss (gtn.Loss) of the lattice for the
// correct labeling gold: the energies the loss needs — the correct
// labeling's (its free energy is its energy: the lattice has one path per
// labeling), the best labeling's, the most offending incorrect labeling's
// and the free energy — then the loss, and adds its gradient with respect
// to the emission and transition energies to dEmit and dTrans (when not
// nil). It returns exactly what gtn's Tape.GraphLoss returns on the
// lattice graph, and the energies.
//
// With cost > 0 the lattice is cost-augmented first: every wrong label
// (y_t != gold_t) has its energy lowered by cost (Hamming loss-augmented
// decoding). The perceptron loss on the cost-augmented lattice is then the
// structured hinge loss of max-margin Markov networks and structural SVMs,
// max(0, max_y [Δ(y, gold) + E(gold) − E(y)]), and the NLL loss is the
// softmax-margin loss.
func (c *Chain) Loss(emit, trans []float64, L int, gold []int32, loss gtn.Loss, cost float64, dEmit, dTrans []float64) (float64, gtn.Energies, error) {
	var e gtn.Energies
	T, err := c.check(emit, trans, L)
	if err != nil {
		return 0, e, err
	}
	if len(gold) != T {
		return 0, e, fmt.Errorf("sequence: Loss: %d gold labels for %d tokens", len(gold), T)
	}
	for t, y := range gold {
		if y < 0 || int(y) >= L {
			return 0, e, fmt.Errorf("sequence: Loss: gold label %d at position %d, want 0..%d", y, t, L-1)
		}
	}
	if dEmit != nil && (len(dEmit) != len(emit) || len(dTrans) != len(trans)) {
		return 0, e, fmt.Errorf("sequence: Loss: gradient buffers of %d and %d for %d and %d energies", len(dEmit), len(dTrans), len(emit), len(trans))
	}
	if cost != 0 {
		c.aug = grow(c.aug, len(emit))
		copy(c.aug, emit)
		for t := range T {
			row := c.aug[t*L : t*L+L]
			for j := range row {
				if j != int(gold[t]) {
					row[j] -= cost
				}
			}
		}
		emit = c.aug
	}
	need := loss.Needs()
	c.path = grow(c.path, T)
	c.path2 = grow(c.path2, T)
	if need.Correct {
		e.Correct = PathEnergy(emit, trans, L, gold)
	}
	if need.Offending {
		e.Offending = c.offending(emit, trans, T, gold, c.path2)
	}
	if need.Best {
		e.Best = c.viterbi(emit, trans, T, c.path)
	}
	if need.Free {
		// With a gradient wanted, the posteriors go to scratch buffers
		// now and are scaled by ∂L/∂F once the loss is known.
		var ge, gt []float64
		if dEmit != nil {
			c.gEmit = grow(c.gEmit, len(emit))
			c.gTrans = grow(c.gTrans, len(trans))
			ge, gt = c.gEmit, c.gTrans
			clear(ge)
			clear(gt)
		}
		if e.Free, err = c.free(emit, trans, T, loss.Beta(), 1, ge, gt); err != nil {
			return 0, e, err
		}
	}
	l, g := loss.Eval(e)
	if math.IsNaN(l) {
		return 0, e, fmt.Errorf("sequence: %s loss is NaN at energies %+v", loss.Name(), e)
	}
	if dEmit == nil {
		return l, e, nil
	}
	if g.Correct != 0 {
		addPath(dEmit, dTrans, L, gold, g.Correct)
	}
	if g.Offending != 0 && !math.IsInf(e.Offending, 1) {
		addPath(dEmit, dTrans, L, c.path2, g.Offending)
	}
	if g.Best != 0 {
		addPath(dEmit, dTrans, L, c.path, g.Best)
	}
	if g.Free != 0 {
		for i, v := range c.gEmit {
			dEmit[i] += g.Free * v
		}
		for i, v := range c.gTrans {
			dTrans[i] += g.Free * v
		}
	}
	return l, e, nil
}
