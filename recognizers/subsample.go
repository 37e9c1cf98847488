package recognizers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotn/gotn/gtn"
)

// SubsampleConfig describes a subsampling layer.
type SubsampleConfig struct {
	// Name prefixes the parameter names: Name.coef and Name.bias.
	Name string
	// In is the number of input maps; Out the number of output maps
	// (0: Out = In).
	In, Out int
	// Source[o] is the input map that output map o subsamples (nil: the
	// identity, which needs Out = In). LeNet-4 feeds each of its first-layer
	// maps to two subsampling maps: Source = {0, 0, 1, 1, 2, 2, 3, 3}.
	Source []int
	// Size is the side of the non-overlapping square window (0: 2).
	Size int
	// Act is applied to the output.
	Act Activation
	// Init chooses the initial coefficients and biases (fan-in Size²).
	Init Init
}

// Subsample is the subsampling layer of LeCun et al. (1998), S2 and S4 of
// LeNet-5: each output unit adds the Size×Size window of its input map
// below it (windows do not overlap), multiplies the sum by a trainable
// coefficient and adds a trainable bias, one of each per output map, and
// applies the activation. An H×W input map becomes ⌊H/Size⌋×⌊W/Size⌋; a
// trailing row or column that does not fill a window is ignored.
type Subsample struct {
	cfg    SubsampleConfig
	source []int
	// Coef and Bias are the parameters, [Out] each.
	Coef, Bias *gtn.Param
}

// NewSubsample returns a subsampling layer with coefficients and biases
// drawn by cfg.Init from rng.
func NewSubsample(cfg SubsampleConfig, rng *rand.Rand) (*Subsample, error) {
	if cfg.Out == 0 {
		cfg.Out = cfg.In
	}
	if cfg.Size == 0 {
		cfg.Size = 2
	}
	if cfg.In <= 0 || cfg.Out <= 0 || cfg.Size < 0 {
		return nil, fmt.Errorf("recognizers: subsample %s: bad shape: %d→%d maps, window %d", cfg.Name, cfg.In, cfg.Out, cfg.Size)
	}
	if !cfg.Act.valid() {
		return nil, fmt.Errorf("recognizers: subsample %s: unknown activation %d", cfg.Name, uint8(cfg.Act))
	}
	src := cfg.Source
	if src == nil {
		if cfg.Out != cfg.In {
			return nil, fmt.Errorf("recognizers: subsample %s: %d input maps and %d output maps need a Source", cfg.Name, cfg.In, cfg.Out)
		}
		src = make([]int, cfg.Out)
		for o := range src {
			src[o] = o
		}
	}
	if len(src) != cfg.Out {
		return nil, fmt.Errorf("recognizers: subsample %s: Source has %d entries, want %d", cfg.Name, len(src), cfg.Out)
	}
	for o, s := range src {
		if s < 0 || s >= cfg.In {
			return nil, fmt.Errorf("recognizers: subsample %s: output map %d reads input map %d, want 0..%d", cfg.Name, o, s, cfg.In-1)
		}
	}
	s := &Subsample{
		cfg:    cfg,
		source: append([]int(nil), src...),
		Coef:   gtn.NewParam(cfg.Name+".coef", cfg.Out),
		Bias:   gtn.NewParam(cfg.Name+".bias", cfg.Out),
	}
	cfg.Init.fill(rng, cfg.Size*cfg.Size, s.Coef.Value.Data, s.Bias.Value.Data)
	return s, nil
}

// Config returns the layer's configuration.
func (s *Subsample) Config() SubsampleConfig { return s.cfg }

// Params implements Layer.
func (s *Subsample) Params() []*gtn.Param { return []*gtn.Param{s.Coef, s.Bias} }

// Forward implements Layer.
func (s *Subsample) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	cfg := &s.cfg
	n, h, w, err := checkImages("subsample "+cfg.Name, x, cfg.In)
	if err != nil {
		return nil, err
	}
	k := cfg.Size
	oh, ow := h/k, w/k
	if oh == 0 || ow == 0 {
		return nil, fmt.Errorf("recognizers: subsample %s: %d×%d input is smaller than the %d×%d window", cfg.Name, h, w, k, k)
	}
	cv, bv := tp.Param(s.Coef), tp.Param(s.Bias)
	y := tp.NewVar(needGrad(x, cv, bv), n, cfg.Out, oh, ow)
	xd, yd := x.Value.Data, y.Value.Data
	coef, bias := s.Coef.Value.Data, s.Bias.Value.Data
	for i := range n {
		for o, src := range s.source {
			in := xd[(i*cfg.In+src)*h*w : (i*cfg.In+src+1)*h*w]
			out := yd[(i*cfg.Out+o)*oh*ow : (i*cfg.Out+o+1)*oh*ow]
			windowSums(out, in, w, k, oh, ow)
			c, b := coef[o], bias[o]
			for t, v := range out {
				out[t] = c*v + b
			}
			cfg.Act.apply(out)
		}
	}
	if y.Grad == nil {
		return y, nil
	}
	tp.OnBackward(func() {
		g := tp.Tensor(oh * ow).Data
		sums := tp.Tensor(oh * ow).Data
		for i := range n {
			for o, src := range s.source {
				at := (i*cfg.Out + o) * oh * ow
				cfg.Act.grad(g, y.Grad.Data[at:at+oh*ow], yd[at:at+oh*ow])
				if bv.Grad != nil {
					bv.Grad.Data[o] += sum(g)
				}
				in := (i*cfg.In + src) * h * w
				var dx []float32
				if x.Grad != nil {
					dx = x.Grad.Data[in : in+h*w]
				}
				if k == 2 {
					// One pass: the coefficient's gradient and the input's.
					d := subsampleBackward2(dx, g, xd[in:in+h*w], coef[o], w, oh, ow)
					if cv.Grad != nil {
						cv.Grad.Data[o] += d
					}
					continue
				}
				if cv.Grad != nil {
					windowSums(sums, xd[in:in+h*w], w, k, oh, ow)
					var d float32
					for t, v := range g {
						d += v * sums[t]
					}
					cv.Grad.Data[o] += d
				}
				if dx != nil {
					c := coef[o]
					for t := range g {
						g[t] *= c
					}
					spreadWindows(dx, g, w, k, oh, ow)
				}
			}
		}
	})
	return y, nil
}

// subsampleBackward2 is the backward pass of one 2×2 subsampling map: g is
// the gradient of the pre-activation outputs, in the input map (w columns)
// and c the coefficient. It adds c·g to the four inputs of each window in dx
// (unless dx is nil) and returns the gradient of c, Σ g·(window sum).
func subsampleBackward2(dx, g, in []float32, c float32, w, oh, ow int) float32 {
	var dc float32
	for oy := range oh {
		r0 := in[2*oy*w : 2*oy*w+2*ow]
		r1 := in[(2*oy+1)*w : (2*oy+1)*w+2*ow]
		gr := g[oy*ow : (oy+1)*ow]
		for ox, v := range gr {
			dc += v * (r0[2*ox] + r0[2*ox+1] + r1[2*ox] + r1[2*ox+1])
		}
		if dx == nil {
			continue
		}
		d0 := dx[2*oy*w : 2*oy*w+2*ow]
		d1 := dx[(2*oy+1)*w : (2*oy+1)*w+2*ow]
		for ox, v := range gr {
			v *= c
			d0[2*ox] += v
			d0[2*ox+1] += v
			d1[2*ox] += v
			d1[2*ox+1] += v
		}
	}
	return dc
}

// windowSums sets out[oy·ow+ox] to the sum of the k×k window of the map in
// (w columns) whose top left corner is (k·oy, k·ox).
func windowSums(out, in []float32, w, k, oh, ow int) {
	if k == 2 {
		for oy := range oh {
			r0 := in[2*oy*w : 2*oy*w+2*ow]
			r1 := in[(2*oy+1)*w : (2*oy+1)*w+2*ow]
			o := out[oy*ow : (oy+1)*ow]
			for ox := range o {
				o[ox] = r0[2*ox] + r0[2*ox+1] + r1[2*ox] + r1[2*ox+1]
			}
		}
		return
	}
	for oy := range oh {
		o := out[oy*ow : (oy+1)*ow]
		clear(o)
		for dy := range k {
			r := in[(k*oy+dy)*w : (k*oy+dy)*w+k*ow]
			for ox := range o {
				for _, v := range r[k*ox : k*ox+k] {
					o[ox] += v
				}
			}
		}
	}
}

// spreadWindows adds g[oy·ow+ox] to every element of the corresponding k×k
// window of dx: the transpose of windowSums.
func spreadWindows(dx, g []float32, w, k, oh, ow int) {
	for oy := range oh {
		gr := g[oy*ow : (oy+1)*ow]
		for dy := range k {
			r := dx[(k*oy+dy)*w : (k*oy+dy)*w+k*ow]
			for ox, v := range gr {
				for t := range k {
					r[k*ox+t] += v
				}
			}
		}
	}
}

// AvgPool averages non-overlapping Size×Size windows of every map. It has
// no parameters (a Subsample without training).
type AvgPool struct{ Size int }

// Params implements Layer.
func (AvgPool) Params() []*gtn.Param { return nil }

// Forward implements Layer.
func (p AvgPool) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	n, c, oh, ow, err := poolShape("avgpool", x, p.Size)
	if err != nil {
		return nil, err
	}
	k, h, w := p.Size, x.Value.Shape[2], x.Value.Shape[3]
	y := tp.NewVar(x.Grad != nil, n, c, oh, ow)
	scale := 1 / float32(k*k)
	for m := range n * c {
		out := y.Value.Data[m*oh*ow : (m+1)*oh*ow]
		windowSums(out, x.Value.Data[m*h*w:(m+1)*h*w], w, k, oh, ow)
		for t := range out {
			out[t] *= scale
		}
	}
	if y.Grad != nil {
		tp.OnBackward(func() {
			g := tp.Tensor(oh * ow).Data
			for m := range n * c {
				for t, v := range y.Grad.Data[m*oh*ow : (m+1)*oh*ow] {
					g[t] = v * scale
				}
				spreadWindows(x.Grad.Data[m*h*w:(m+1)*h*w], g, w, k, oh, ow)
			}
		})
	}
	return y, nil
}

// MaxPool keeps the largest value of non-overlapping Size×Size windows of
// every map. The gradient goes to the first largest element of each window.
type MaxPool struct{ Size int }

// Params implements Layer.
func (MaxPool) Params() []*gtn.Param { return nil }

// Forward implements Layer.
func (p MaxPool) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	n, c, oh, ow, err := poolShape("maxpool", x, p.Size)
	if err != nil {
		return nil, err
	}
	k, h, w := p.Size, x.Value.Shape[2], x.Value.Shape[3]
	y := tp.NewVar(x.Grad != nil, n, c, oh, ow)
	for m := range n * c {
		in := x.Value.Data[m*h*w : (m+1)*h*w]
		out := y.Value.Data[m*oh*ow : (m+1)*oh*ow]
		if k == 2 {
			maxPool2(out, in, w, oh, ow)
			continue
		}
		for oy := range oh {
			for ox := range ow {
				out[oy*ow+ox] = in[argmaxWindow(in, w, k, oy, ox)]
			}
		}
	}
	if y.Grad != nil {
		tp.OnBackward(func() {
			for m := range n * c {
				in := x.Value.Data[m*h*w : (m+1)*h*w]
				dx := x.Grad.Data[m*h*w : (m+1)*h*w]
				g := y.Grad.Data[m*oh*ow : (m+1)*oh*ow]
				if k == 2 {
					maxPool2Backward(dx, g, in, y.Value.Data[m*oh*ow:(m+1)*oh*ow], w, oh, ow)
					continue
				}
				for oy := range oh {
					for ox := range ow {
						dx[argmaxWindow(in, w, k, oy, ox)] += g[oy*ow+ox]
					}
				}
			}
		})
	}
	return y, nil
}

// maxPool2 sets out to the maxima of the 2×2 windows of the map in (w
// columns).
func maxPool2(out, in []float32, w, oh, ow int) {
	for oy := range oh {
		r0 := in[2*oy*w : 2*oy*w+2*ow]
		r1 := in[(2*oy+1)*w : (2*oy+1)*w+2*ow]
		o := out[oy*ow : (oy+1)*ow]
		for ox := range o {
			o[ox] = max(max(r0[2*ox], r0[2*ox+1]), max(r1[2*ox], r1[2*ox+1]))
		}
	}
}

// maxPool2Backward adds the gradient g of each 2×2 window's maximum (out)
// to the first element of the window that equals it (the one argmaxWindow
// picks).
func maxPool2Backward(dx, g, in, out []float32, w, oh, ow int) {
	for oy := range oh {
		r0 := in[2*oy*w : 2*oy*w+2*ow]
		r1 := in[(2*oy+1)*w : (2*oy+1)*w+2*ow]
		d0 := dx[2*oy*w : 2*oy*w+2*ow]
		d1 := dx[(2*oy+1)*w : (2*oy+1)*w+2*ow]
		o := out[oy*ow : (oy+1)*ow]
		for ox, v := range g[oy*ow : (oy+1)*ow] {
			switch m := o[ox]; m {
			case r0[2*ox]:
				d0[2*ox] += v
			case r0[2*ox+1]:
				d0[2*ox+1] += v
			case r1[2*ox]:
				d1[2*ox] += v
			case r1[2*ox+1]:
				d1[2*ox+1] += v
			}
		}
	}
}

// argmaxWindow returns the index in the map in (w columns) of the first
// largest element of the k×k window at (k·oy, k·ox).
func argmaxWindow(in []float32, w, k, oy, ox int) int {
	best := k*oy*w + k*ox
	for dy := range k {
		r := (k*oy+dy)*w + k*ox
		for t := r; t < r+k; t++ {
			if in[t] > in[best] {
				best = t
			}
		}
	}
	return best
}

// poolShape checks a pooling layer's input and returns its output shape.
func poolShape(layer string, x *gtn.Var, k int) (n, c, oh, ow int, err error) {
	s := x.Value.Shape
	if len(s) != 4 {
		return 0, 0, 0, 0, fmt.Errorf("recognizers: %s: input has shape %v, want [N, C, H, W]", layer, s)
	}
	if k <= 0 {
		return 0, 0, 0, 0, fmt.Errorf("recognizers: %s: window size %d, want > 0", layer, k)
	}
	if s[2] < k || s[3] < k {
		return 0, 0, 0, 0, fmt.Errorf("recognizers: %s: %d×%d input is smaller than the %d×%d window", layer, s[2], s[3], k, k)
	}
	return s[0], s[1], s[2] / k, s[3] / k, nil
}
