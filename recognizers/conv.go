package recognizers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotn/gotn/gtn"
)

// Table is a connection table between the input and output feature maps of
// a convolution: Table[i][o] reports whether input map i feeds output map o
// (rows are input maps and columns output maps, as in Table I of LeCun et
// al. 1998). A nil Table connects every input map to every output map.
type Table [][]bool

// TableFromInputs returns the table with `in` input maps in which output map
// o is fed by the input maps listed in inputs[o].
func TableFromInputs(in int, inputs [][]int) (Table, error) {
	t := make(Table, in)
	for i := range t {
		t[i] = make([]bool, len(inputs))
	}
	for o, list := range inputs {
		for _, i := range list {
			if i < 0 || i >= in {
				return nil, fmt.Errorf("recognizers: connection table: output map %d lists input map %d, want 0..%d", o, i, in-1)
			}
			if t[i][o] {
				return nil, fmt.Errorf("recognizers: connection table: output map %d lists input map %d twice", o, i)
			}
			t[i][o] = true
		}
	}
	return t, nil
}

// inputsOf returns, for each output map, its input maps in increasing order,
// after checking that t is in×out and feeds every output map.
func (t Table) inputsOf(in, out int) ([][]int, error) {
	lists := make([][]int, out)
	if t == nil {
		for o := range lists {
			lists[o] = make([]int, in)
			for i := range in {
				lists[o][i] = i
			}
		}
		return lists, nil
	}
	if len(t) != in {
		return nil, fmt.Errorf("connection table has %d rows, want one per input map (%d)", len(t), in)
	}
	for i, row := range t {
		if len(row) != out {
			return nil, fmt.Errorf("connection table row %d has %d columns, want one per output map (%d)", i, len(row), out)
		}
		for o, on := range row {
			if on {
				lists[o] = append(lists[o], i)
			}
		}
	}
	for o, l := range lists {
		if len(l) == 0 {
			return nil, fmt.Errorf("connection table: output map %d has no input", o)
		}
	}
	return lists, nil
}

// ConvConfig describes a 2-D convolution layer.
type ConvConfig struct {
	// Name prefixes the parameter names: Name.weight and Name.bias.
	Name string
	// In and Out are the numbers of input and output feature maps.
	In, Out int
	// KH and KW are the kernel height and width.
	KH, KW int
	// Pad is the number of zero rows and columns added on every side of the
	// input (0: "valid" convolution, the output shrinks by the kernel size
	// minus one).
	Pad int
	// Table restricts which input maps feed which output maps (nil: all).
	Table Table
	// Act is applied to the output.
	Act Activation
	// Init chooses the initial weights.
	Init Init
}

// Conv2D is a 2-D convolution (cross-correlation, stride 1) of an image
// batch [N, In, H, W] with Out kernels of In×KH×KW, plus a bias per output
// map, followed by the activation: the output is [N, Out, H', W'] with
// H' = H+2·Pad-KH+1 and W' = W+2·Pad-KW+1.
//
// Without a connection table, Weight is [Out, In, KH, KW]. With one, Weight
// holds only the kernels of connected pairs, [connections, KH, KW], ordered
// by output map and then input map, so that the parameter count is exact
// (LeNet-5's C3 has 1,500 weights and 16 biases). The computation runs
// through a dense weight matrix whose unconnected kernels are zero, rebuilt
// from the parameter at each forward pass; only the connected kernels
// receive gradients. (With gonum's products, which skip zero weights, the
// unconnected kernels cost nothing; the assembly kernels compute them, at
// several times gonum's speed.)
type Conv2D struct {
	cfg    ConvConfig
	inputs [][]int // input maps of each output map
	offset []int   // offset of output map o's first kernel in Weight
	// Weight and Bias are the parameters.
	Weight, Bias *gtn.Param
}

// NewConv2D returns a convolution layer with weights drawn by cfg.Init from
// rng. Each unit's fan-in is the number of its inputs: KH·KW times the
// number of input maps feeding its output map.
func NewConv2D(cfg ConvConfig, rng *rand.Rand) (*Conv2D, error) {
	if cfg.In <= 0 || cfg.Out <= 0 || cfg.KH <= 0 || cfg.KW <= 0 || cfg.Pad < 0 {
		return nil, fmt.Errorf("recognizers: conv %s: bad shape: %d→%d maps, kernel %d×%d, pad %d", cfg.Name, cfg.In, cfg.Out, cfg.KH, cfg.KW, cfg.Pad)
	}
	if !cfg.Act.valid() {
		return nil, fmt.Errorf("recognizers: conv %s: unknown activation %d", cfg.Name, uint8(cfg.Act))
	}
	inputs, err := cfg.Table.inputsOf(cfg.In, cfg.Out)
	if err != nil {
		return nil, fmt.Errorf("recognizers: conv %s: %w", cfg.Name, err)
	}
	kk := cfg.KH * cfg.KW
	c := &Conv2D{cfg: cfg, inputs: inputs, offset: make([]int, cfg.Out)}
	total := 0
	for o, l := range inputs {
		c.offset[o] = total
		total += len(l) * kk
	}
	if cfg.Table == nil {
		c.Weight = gtn.NewParam(cfg.Name+".weight", cfg.Out, cfg.In, cfg.KH, cfg.KW)
	} else {
		c.Weight = gtn.NewParam(cfg.Name+".weight", total/kk, cfg.KH, cfg.KW)
	}
	c.Bias = gtn.NewParam(cfg.Name+".bias", cfg.Out)
	for o, l := range inputs {
		w := c.Weight.Value.Data[c.offset[o] : c.offset[o]+len(l)*kk]
		cfg.Init.fill(rng, len(l)*kk, w, c.Bias.Value.Data[o:o+1])
	}
	return c, nil
}

// Config returns the layer's configuration.
func (c *Conv2D) Config() ConvConfig { return c.cfg }

// Params implements Layer.
func (c *Conv2D) Params() []*gtn.Param { return []*gtn.Param{c.Weight, c.Bias} }

// OutputSize returns the output height and width for an h×w input.
func (c *Conv2D) OutputSize(h, w int) (int, int) {
	return h + 2*c.cfg.Pad - c.cfg.KH + 1, w + 2*c.cfg.Pad - c.cfg.KW + 1
}

// dense returns the weights as a dense [Out, In·KH·KW] matrix: the
// parameter itself without a table, else a tape tensor with zeros for the
// unconnected kernels.
func (c *Conv2D) dense(tp *gtn.Tape) []float32 {
	if c.cfg.Table == nil {
		return c.Weight.Value.Data
	}
	kk := c.cfg.KH * c.cfg.KW
	k := c.cfg.In * kk
	wd := tp.Tensor(c.cfg.Out, k).Data
	src := c.Weight.Value.Data
	for o, l := range c.inputs {
		for j, i := range l {
			copy(wd[o*k+i*kk:o*k+(i+1)*kk], src[c.offset[o]+j*kk:])
		}
	}
	return wd
}

// addDenseGrad adds the gradient of the dense weight matrix (dense) to the
// gradient of the compact weights (grad).
func (c *Conv2D) addDenseGrad(grad, dense []float32) {
	kk := c.cfg.KH * c.cfg.KW
	k := c.cfg.In * kk
	for o, l := range c.inputs {
		for j, i := range l {
			g := grad[c.offset[o]+j*kk : c.offset[o]+(j+1)*kk]
			for t, v := range dense[o*k+i*kk : o*k+(i+1)*kk] {
				g[t] += v
			}
		}
	}
}

// Forward implements Layer.
func (c *Conv2D) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	cfg := &c.cfg
	n, h, w, err := checkImages("conv "+cfg.Name, x, cfg.In)
	if err != nil {
		return nil, err
	}
	oh, ow := c.OutputSize(h, w)
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("recognizers: conv %s: %d×%d input is smaller than the %d×%d kernel", cfg.Name, h, w, cfg.KH, cfg.KW)
	}
	wv, bv := tp.Param(c.Weight), tp.Param(c.Bias)
	wd := c.dense(tp)
	k := cfg.In * cfg.KH * cfg.KW
	if oh == 1 && ow == 1 && cfg.Pad == 0 {
		// The kernel covers the whole input: a fully connected layer on the
		// flattened maps, whose [C, H, W] order is the kernels' order.
		var addW func([]float32)
		if cfg.Table != nil && wv.Grad != nil {
			addW = func(d []float32) { c.addDenseGrad(wv.Grad.Data, d) }
		}
		return dense(tp, x, n, k, cfg.Out, wd, wv, bv, addW, cfg.Act, []int{n, cfg.Out, 1, 1}), nil
	}
	ohw := oh * ow
	p := n * ohw
	y := tp.NewVar(needGrad(x, wv, bv), n, cfg.Out, oh, ow)
	train := y.Grad != nil
	// The batch goes through in chunks of images whose im2col columns fit
	// in the L2 cache: im2col, one product for the chunk, [Out, images·OH·OW],
	// then a pass that reorders it to [N, Out, OH, OW], adding the bias and
	// applying the activation. Training keeps the columns of the whole
	// batch for the weight gradient; inference reuses one chunk's.
	chunk := max(1, convChunk/(k*ohw))
	var cols []float32
	if train {
		cols = tp.Tensor(k, p).Data
	} else {
		cols = tp.Tensor(k, min(chunk, n)*ohw).Data
	}
	out := tp.Tensor(cfg.Out, min(chunk, n)*ohw).Data
	yd := y.Value.Data
	bias := c.Bias.Value.Data
	imgIn, imgOut := cfg.In*h*w, cfg.Out*ohw
	for i0 := 0; i0 < n; i0 += chunk {
		nb := min(chunk, n-i0)
		pc := nb * ohw
		cc, ld := cols, pc
		if train {
			cc, ld = cols[i0*ohw:], p
		}
		im2col(cc, ld, x.Value.Data[i0*imgIn:(i0+nb)*imgIn], nb, cfg.In, h, w, cfg.KH, cfg.KW, cfg.Pad, oh, ow)
		clear(out[:cfg.Out*pc])
		gemm(false, false, cfg.Out, pc, k, wd, k, cc, ld, out, pc)
		for i := range nb {
			yi := yd[(i0+i)*imgOut : (i0+i+1)*imgOut]
			for o, b := range bias {
				dst := yi[o*ohw : (o+1)*ohw]
				for t, v := range out[o*pc+i*ohw : o*pc+(i+1)*ohw] {
					dst[t] = v + b
				}
				cfg.Act.apply(dst)
			}
		}
	}
	if !train {
		return y, nil
	}
	tp.OnBackward(func() {
		// g[o, i·ohw+t] = dL/da for output map o of image i at t: the
		// output gradient through the activation, laid out [Out, N·OH·OW]
		// so that the weight gradient is one long matrix product.
		g := tp.Tensor(cfg.Out, p).Data
		dy := y.Grad.Data
		for i := range n {
			for o := range cfg.Out {
				src := (i*cfg.Out + o) * ohw
				cfg.Act.grad(g[o*p+i*ohw:o*p+(i+1)*ohw], dy[src:src+ohw], yd[src:src+ohw])
			}
		}
		if bv.Grad != nil {
			for o := range cfg.Out {
				bv.Grad.Data[o] += sum(g[o*p : (o+1)*p])
			}
		}
		if wv.Grad != nil {
			switch {
			case cfg.Table == nil:
				gemm(false, true, cfg.Out, k, p, g, p, cols, p, wv.Grad.Data, k)
			case useKernels:
				// The dense product at kernel speed beats skipping the
				// unconnected kernels at gonum speed.
				dw := tp.Tensor(cfg.Out, k).Data
				gemm(false, true, cfg.Out, k, p, g, p, cols, p, dw, k)
				c.addDenseGrad(wv.Grad.Data, dw)
			default:
				kk := cfg.KH * cfg.KW
				for o, l := range c.inputs {
					for j, i := range l {
						gemm(false, true, 1, kk, p, g[o*p:], p, cols[i*kk*p:], p, wv.Grad.Data[c.offset[o]+j*kk:], kk)
					}
				}
			}
		}
		if x.Grad != nil {
			// The columns' gradient, chunk by chunk, folded back onto the
			// input images.
			dcols := tp.Tensor(k, min(chunk, n)*ohw).Data
			for i0 := 0; i0 < n; i0 += chunk {
				nb := min(chunk, n-i0)
				pc := nb * ohw
				clear(dcols[:k*pc])
				gemm(true, false, k, pc, cfg.Out, wd, k, g[i0*ohw:], p, dcols, pc)
				col2im(x.Grad.Data[i0*imgIn:(i0+nb)*imgIn], dcols, pc, nb, cfg.In, h, w, cfg.KH, cfg.KW, cfg.Pad, oh, ow)
			}
		}
	})
	return y, nil
}

// convChunk is the number of im2col values per chunk of images (1 MiB).
const convChunk = 1 << 18

// colRange returns the output columns ox whose input column ox+kx-pad lies
// in [0, w).
func colRange(kx, pad, w, ow int) (int, int) {
	return max(0, pad-kx), min(ow, w+pad-kx)
}

// im2col lays the receptive fields of a convolution of the n images x out
// as the columns of cols (row stride ld): row (c, ky, kx), column
// (i, oy, ox) holds x[i, c, oy+ky-pad, ox+kx-pad], or 0 in the padding.
func im2col(cols []float32, ld int, x []float32, n, ch, h, w, kh, kw, pad, oh, ow int) {
	r := 0
	for c := range ch {
		for ky := range kh {
			for kx := range kw {
				row := cols[r*ld : r*ld+n*oh*ow]
				r++
				x0, x1 := colRange(kx, pad, w, ow)
				shift := kx - pad
				for i := range n {
					src := x[(i*ch+c)*h*w : (i*ch+c+1)*h*w]
					dst := row[i*oh*ow : (i+1)*oh*ow]
					for oy := range oh {
						d := dst[oy*ow : (oy+1)*ow]
						iy := oy + ky - pad
						if iy < 0 || iy >= h || x0 >= x1 {
							clear(d)
							continue
						}
						clear(d[:x0])
						copy(d[x0:x1], src[iy*w+x0+shift:])
						clear(d[x1:])
					}
				}
			}
		}
	}
}

// col2im adds the columns of dcols (row stride ld) back onto the gradient
// dx of the n images: the transpose of im2col.
func col2im(dx, dcols []float32, ld, n, ch, h, w, kh, kw, pad, oh, ow int) {
	r := 0
	for c := range ch {
		for ky := range kh {
			for kx := range kw {
				row := dcols[r*ld : r*ld+n*oh*ow]
				r++
				x0, x1 := colRange(kx, pad, w, ow)
				if x0 >= x1 {
					continue
				}
				shift := kx - pad
				for i := range n {
					dst := dx[(i*ch+c)*h*w : (i*ch+c+1)*h*w]
					src := row[i*oh*ow : (i+1)*oh*ow]
					for oy := range oh {
						iy := oy + ky - pad
						if iy < 0 || iy >= h {
							continue
						}
						d := dst[iy*w+x0+shift : iy*w+x1+shift]
						for t, v := range src[oy*ow+x0 : oy*ow+x1] {
							d[t] += v
						}
					}
				}
			}
		}
	}
}

// dense computes act(x·Wᵀ + b) for x viewed as [n, k] and W [out, k], with
// the given output shape, and records its backward pass. addW, if not nil,
// receives the gradient of W instead of wv.Grad (used when W is expanded
// from compact parameters).
func dense(tp *gtn.Tape, x *gtn.Var, n, k, out int, wd []float32, wv, bv *gtn.Var, addW func([]float32), act Activation, shape []int) *gtn.Var {
	y := tp.NewVar(needGrad(x, wv, bv), shape...)
	yd := y.Value.Data
	xd := x.Value.Data
	gemm(false, true, n, out, k, xd, k, wd, k, yd, out)
	bias := bv.Value.Data
	for i := range n {
		row := yd[i*out : (i+1)*out]
		for o, b := range bias {
			row[o] += b
		}
		act.apply(row)
	}
	if y.Grad == nil {
		return y
	}
	tp.OnBackward(func() {
		g := tp.Tensor(n, out).Data
		act.grad(g, y.Grad.Data, yd)
		if bv.Grad != nil {
			bg := bv.Grad.Data
			for i := range n {
				for o, v := range g[i*out : (i+1)*out] {
					bg[o] += v
				}
			}
		}
		if wv.Grad != nil {
			if addW == nil {
				gemm(true, false, out, k, n, g, out, xd, k, wv.Grad.Data, k)
			} else {
				dw := tp.Tensor(out, k).Data
				gemm(true, false, out, k, n, g, out, xd, k, dw, k)
				addW(dw)
			}
		}
		if x.Grad != nil {
			gemm(false, false, n, k, out, g, out, wd, k, x.Grad.Data, k)
		}
	})
	return y
}
