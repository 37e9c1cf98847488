package transformers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
)

// toyHOS is the segmenter for toy strings: a 12-pixel frame, ink 8 high.
func toyHOS(t testing.TB) *HOS {
	cfg := DefaultHOS()
	cfg.Frame, cfg.Body, cfg.MinPiece, cfg.MaxWidth = 12, 8, 2, 2.5
	h, err := NewHOS(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// lengthGrammar returns an acceptor of 1..maxLen labels from 1..chars.
func lengthGrammar(t testing.TB, chars, maxLen int) *graphs.Graph {
	labels := make([]int32, chars)
	for i := range labels {
		labels[i] = int32(i + 1)
	}
	g, err := LengthGrammar(labels, 1, maxLen)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// hosInterp runs the HOS reader on c (segmentation energy se) and returns
// its interpretation graph.
func hosInterp(tp *gtn.Tape, h *HOS, net recognizers.Network, se *SegmentEnergy, grammar *graphs.Graph, c *canvas) (*gtn.GraphVar, error) {
	seg, err := h.Segment(c.bitmap())
	if err != nil {
		return nil, err
	}
	if err := se.Forward(tp, seg); err != nil {
		return nil, err
	}
	rg, err := Recognize(tp, net, seg)
	if err != nil {
		return nil, err
	}
	return tp.Compose(rg, tp.Graph(grammar))
}

// hosLoss runs the HOS reader on c and returns the loss of its
// interpretation graph for target chars.
func hosLoss(tp *gtn.Tape, h *HOS, net recognizers.Network, se *SegmentEnergy, grammar *graphs.Graph, c *canvas, chars []int, loss gtn.Loss) (*gtn.Var, error) {
	interp, err := hosInterp(tp, h, net, se, grammar, c)
	if err != nil {
		return nil, err
	}
	return tp.GraphLoss(interp, labelsOf(chars), loss)
}

// sdnnInterp runs the SDNN reader on c (character model cm) and returns
// its interpretation graph.
func sdnnInterp(tp *gtn.Tape, s *SDNN, cm, grammar *graphs.Graph, c *canvas) (*gtn.GraphVar, error) {
	e, err := s.Forward(tp, c.bitmap())
	if err != nil {
		return nil, err
	}
	pg, err := PositionGraph(tp, e)
	if err != nil {
		return nil, err
	}
	det, err := tp.Compose(pg, tp.Graph(cm))
	if err != nil {
		return nil, err
	}
	return tp.Compose(det, tp.Graph(grammar))
}

// sdnnLoss runs the SDNN reader on c and returns the loss for chars.
func sdnnLoss(tp *gtn.Tape, s *SDNN, cm, grammar *graphs.Graph, c *canvas, chars []int, loss gtn.Loss) (*gtn.Var, error) {
	interp, err := sdnnInterp(tp, s, cm, grammar, c)
	if err != nil {
		return nil, err
	}
	return tp.GraphLoss(interp, labelsOf(chars), loss)
}

func labelsOf(chars []int) []int32 {
	l := make([]int32, len(chars))
	for i, c := range chars {
		l[i] = int32(c + 1)
	}
	return l
}

// checkGradients compares the gradients of lossFn with respect to params
// (every element of small parameters, a sample of large ones) with
// central finite differences computed in float64 from the float32
// parameters, and fails t on every mismatch.
func checkGradients(t *testing.T, params []*gtn.Param, lossFn func(tp *gtn.Tape) (*gtn.Var, error)) {
	t.Helper()
	bad, err := gradientMismatches(params, lossFn)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
}

// gradientMismatches returns a description of every checked gradient
// that disagrees with finite differences (and one if too few are
// non-zero for the check to mean anything).
func gradientMismatches(params []*gtn.Param, lossFn func(tp *gtn.Tape) (*gtn.Var, error)) ([]string, error) {
	grads := gtn.NewGrads(params)
	tp := gtn.NewTape(grads)
	l, err := lossFn(tp)
	if err != nil {
		return nil, err
	}
	if err := tp.Backward(l); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var bad []string
	checked, nonzero := 0, 0
	for pi, p := range params {
		if p.Fixed {
			continue
		}
		idx := make([]int, 0, 12)
		if p.Value.Len() <= 12 {
			for i := range p.Value.Len() {
				idx = append(idx, i)
			}
		} else {
			for range 12 {
				idx = append(idx, rng.IntN(p.Value.Len()))
			}
		}
		for _, i := range idx {
			const step = 1e-2
			v := p.Value.Data[i]
			eval := func(x float32) (float64, error) {
				p.Value.Data[i] = x
				l, err := lossFn(gtn.NewTape(nil))
				if err != nil {
					return 0, err
				}
				return l.Scalar(), nil
			}
			up, err1 := eval(v + step)
			down, err2 := eval(v - step)
			p.Value.Data[i] = v
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%v %v", err1, err2)
			}
			num := (up - down) / (2 * step)
			ana := float64(grads.At(pi).Data[i])
			if math.Abs(num-ana) > 2e-2*math.Max(math.Abs(num), math.Abs(ana))+2e-3 {
				bad = append(bad, fmt.Sprintf("%s[%d]: analytic %.6g, numeric %.6g", p.Name, i, ana, num))
			}
			checked++
			if math.Abs(ana) > 1e-4 {
				nonzero++
			}
		}
	}
	if nonzero < checked/3 {
		bad = append(bad, fmt.Sprintf("only %d of %d checked gradients are non-zero: the check proves little", nonzero, checked))
	}
	return bad, nil
}

// TestHOSGradient checks the gradients of the whole HOS reader (segment
// energy, recognition transformer, composition with a grammar, graph loss)
// with respect to the segmentation energy's weights and the recognizer's.
func TestHOSGradient(t *testing.T) {
	h := toyHOS(t)
	net := tinyNet(t, 4, 1)
	se := NewSegmentEnergy("seg")
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range se.W.Value.Data {
		se.W.Value.Data[i] = float32(rng.NormFloat64() * 0.3)
	}
	grammar := lengthGrammar(t, 3, 5)
	c, chars := toyString(rng, 3)
	for _, name := range []string{"nll", "log", "perceptron"} {
		t.Run(name, func(t *testing.T) {
			loss, err := gtn.ParseLoss(name, gtn.LossOptions{})
			if err != nil {
				t.Fatal(err)
			}
			params := append(se.Params(), net.Params()...)
			checkGradients(t, params, func(tp *gtn.Tape) (*gtn.Var, error) {
				return hosLoss(tp, h, net, se, grammar, c, chars, loss)
			})
		})
	}
}

// TestSDNNGradient checks the gradients of the SDNN reader (replicated
// network, position graph, character model, grammar, graph loss) with
// respect to the recognizer's weights.
func TestSDNNGradient(t *testing.T) {
	net := tinyNet(t, 4, 2)
	s, err := NewSDNN(net, NormalizeConfig{Height: 12, Body: 8, Pad: 6, Threshold: 0.3, MinSpeck: 2})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := CharacterModel(3)
	if err != nil {
		t.Fatal(err)
	}
	grammar := lengthGrammar(t, 3, 5)
	rng := rand.New(rand.NewPCG(8, 9))
	c, chars := toyString(rng, 3)
	for _, name := range []string{"nll", "hinge"} {
		t.Run(name, func(t *testing.T) {
			loss, err := gtn.ParseLoss(name, gtn.LossOptions{Margin: 100})
			if err != nil {
				t.Fatal(err)
			}
			checkGradients(t, net.Params(), func(tp *gtn.Tape) (*gtn.Var, error) {
				return sdnnLoss(tp, s, cm, grammar, c, chars, loss)
			})
		})
	}
}

// TestSelectPathsGradient checks the gradients through the path selector
// and the free energy: the loss F(SelectPaths(interp, target)) - F(interp)
// (the NLL built by hand, at two temperatures) and the Viterbi energy of
// the selected paths minus the best path's (the perceptron), against
// finite differences, with respect to the segmentation energy's weights
// and the recognizer's.
func TestSelectPathsGradient(t *testing.T) {
	h := toyHOS(t)
	net := tinyNet(t, 4, 5)
	se := NewSegmentEnergy("seg")
	rng := rand.New(rand.NewPCG(13, 14))
	for i := range se.W.Value.Data {
		se.W.Value.Data[i] = float32(rng.NormFloat64() * 0.3)
	}
	grammar := lengthGrammar(t, 3, 5)
	c, chars := toyString(rng, 3)
	interp := func(tp *gtn.Tape) (*gtn.GraphVar, error) {
		return hosInterp(tp, h, net, se, grammar, c)
	}
	params := append(se.Params(), net.Params()...)
	for _, beta := range []float64{1, 0.5} {
		t.Run(fmt.Sprintf("forward beta %g", beta), func(t *testing.T) {
			checkGradients(t, params, func(tp *gtn.Tape) (*gtn.Var, error) {
				g, err := interp(tp)
				if err != nil {
					return nil, err
				}
				sel, err := SelectPaths(tp, g, labelsOf(chars))
				if err != nil {
					return nil, err
				}
				fc, _, err := tp.FreeEnergy(sel, beta)
				if err != nil {
					return nil, err
				}
				fa, _, err := tp.FreeEnergy(g, beta)
				if err != nil {
					return nil, err
				}
				return difference(tp, fc, fa), nil
			})
		})
	}
	t.Run("viterbi", func(t *testing.T) {
		checkGradients(t, params, func(tp *gtn.Tape) (*gtn.Var, error) {
			g, err := interp(tp)
			if err != nil {
				return nil, err
			}
			sel, err := SelectPaths(tp, g, labelsOf(chars))
			if err != nil {
				return nil, err
			}
			vc, _, err := tp.ViterbiEnergy(sel)
			if err != nil {
				return nil, err
			}
			va, _, err := tp.ViterbiEnergy(g)
			if err != nil {
				return nil, err
			}
			return difference(tp, vc, va), nil
		})
	})
}

// difference returns a - b for scalars on tp.
func difference(tp *gtn.Tape, a, b *gtn.Var) *gtn.Var {
	out := tp.NewVar(a.Grad != nil || b.Grad != nil, 1)
	out.Value.Data[0] = a.Value.Data[0] - b.Value.Data[0]
	if out.Grad != nil {
		tp.OnBackward(func() {
			if a.Grad != nil {
				a.Grad.Data[0] += out.Grad.Data[0]
			}
			if b.Grad != nil {
				b.Grad.Data[0] -= out.Grad.Data[0]
			}
		})
	}
	return out
}

// TestGradientCheckFails makes sure checkGradients can fail: a loss whose
// recorded gradient is deliberately wrong must be reported.
func TestGradientCheckFails(t *testing.T) {
	se := NewSegmentEnergy("seg")
	se.W.Value.Data[FeatWidth] = 0.5
	h := toyHOS(t)
	rng := rand.New(rand.NewPCG(1, 1))
	c, _ := toyString(rng, 2)
	seg, err := h.Segment(c.bitmap())
	if err != nil {
		t.Fatal(err)
	}
	bad, err := gradientMismatches(se.Params(), func(tp *gtn.Tape) (*gtn.Var, error) {
		if err := se.Forward(tp, seg); err != nil {
			return nil, err
		}
		// The sum of squared energies, with a gradient missing its 2.
		e := seg.Energy
		out := tp.NewVar(e.Grad != nil, 1)
		for _, v := range e.Value.Data {
			out.Value.Data[0] += v * v
		}
		if out.Grad != nil {
			tp.OnBackward(func() {
				for i, v := range e.Value.Data {
					e.Grad.Data[i] += out.Grad.Data[0] * v
				}
			})
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) == 0 {
		t.Error("a wrong gradient passed the check")
	}
}
