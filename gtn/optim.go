package gtn

import (
	"fmt"
	"math"
)

// An Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step updates every non-fixed parameter of grads from its gradient,
	// with learning rate lr.
	Step(grads *Grads, lr float64)
}

// SGD is stochastic gradient descent with momentum and L2 weight decay:
// v = momentum·v + g + decay·w; w -= lr·v.
type SGD struct {
	Momentum    float64
	WeightDecay float64
	velocity    map[*Param][]float32
}

// Step implements Optimizer.
func (o *SGD) Step(grads *Grads, lr float64) {
	if o.velocity == nil {
		o.velocity = map[*Param][]float32{}
	}
	mu, wd := float32(o.Momentum), float32(o.WeightDecay)
	for i, p := range grads.Params() {
		if p.Fixed {
			continue
		}
		eta := float32(p.rate(lr))
		g, w := grads.At(i).Data, p.Value.Data
		if mu == 0 {
			for j := range w {
				w[j] -= eta * (g[j] + wd*w[j])
			}
			continue
		}
		v := o.velocity[p]
		if v == nil {
			v = make([]float32, len(w))
			o.velocity[p] = v
		}
		for j := range w {
			v[j] = mu*v[j] + g[j] + wd*w[j]
			w[j] -= eta * v[j]
		}
	}
}

// Adam is the optimizer of Kingma & Ba (2015), with decoupled weight decay
// (AdamW) when WeightDecay > 0. Zero Beta1, Beta2 and Epsilon take the
// usual defaults 0.9, 0.999 and 1e-8.
type Adam struct {
	Beta1, Beta2, Epsilon float64
	WeightDecay           float64
	t                     int
	m, v                  map[*Param][]float32
}

// Step implements Optimizer.
func (o *Adam) Step(grads *Grads, lr float64) {
	if o.m == nil {
		o.m, o.v = map[*Param][]float32{}, map[*Param][]float32{}
	}
	b1, b2, eps := o.Beta1, o.Beta2, o.Epsilon
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	o.t++
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	fb1, fb2, feps := float32(b1), float32(b2), float32(eps*math.Sqrt(c2))
	for i, p := range grads.Params() {
		if p.Fixed {
			continue
		}
		plr := p.rate(lr)
		step := float32(plr * math.Sqrt(c2) / c1)
		wd := float32(plr * o.WeightDecay)
		g, w := grads.At(i).Data, p.Value.Data
		m, v := o.m[p], o.v[p]
		if m == nil {
			m, v = make([]float32, len(w)), make([]float32, len(w))
			o.m[p], o.v[p] = m, v
		}
		for j := range w {
			m[j] = fb1*m[j] + (1-fb1)*g[j]
			v[j] = fb2*v[j] + (1-fb2)*g[j]*g[j]
			w[j] -= step*m[j]/(float32(math.Sqrt(float64(v[j])))+feps) + wd*w[j]
		}
	}
}

// Schedule gives the learning rate of each epoch (from 0).
type Schedule interface {
	Rate(epoch int) float64
}

// ConstantRate is a fixed learning rate.
type ConstantRate float64

// Rate implements Schedule.
func (r ConstantRate) Rate(int) float64 { return float64(r) }

// StepRate is a piecewise-constant schedule: Rates[i] from epoch Epochs[i]
// on (Epochs must be increasing and start at 0). LeCun et al. 1998 trained
// LeNet-5 with 0.0005 for 2 passes, 0.0002 for 3, 0.0001 for 3, 0.00005 for
// 4 and 0.00001 after.
type StepRate struct {
	Epochs []int
	Rates  []float64
}

// Rate implements Schedule.
func (s StepRate) Rate(epoch int) float64 {
	r := 0.0
	for i, e := range s.Epochs {
		if epoch >= e {
			r = s.Rates[i]
		}
	}
	return r
}

// CosineRate decays from Max to Min over Epochs epochs along a half cosine.
type CosineRate struct {
	Max, Min float64
	Epochs   int
}

// Rate implements Schedule.
func (s CosineRate) Rate(epoch int) float64 {
	if s.Epochs <= 1 {
		return s.Max
	}
	x := math.Min(1, float64(epoch)/float64(s.Epochs-1))
	return s.Min + (s.Max-s.Min)*(1+math.Cos(math.Pi*x))/2
}

// checkFinite returns an error naming the first parameter whose gradient
// is NaN or infinite: training has diverged.
func checkFinite(grads *Grads) error {
	for i, p := range grads.Params() {
		for _, v := range grads.At(i).Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("gtn: gradient of %s is %v: training diverged (lower the learning rate)", p.Name, v)
			}
		}
	}
	return nil
}
