package transformers

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// toySet draws n toy strings of 1 to 4 characters.
func toySet(seed uint64, n int) ([]*canvas, [][]int) {
	rng := rand.New(rand.NewPCG(seed, 11))
	cs := make([]*canvas, n)
	ts := make([][]int, n)
	for i := range cs {
		cs[i], ts[i] = toyString(rng, 1+rng.IntN(4))
	}
	return cs, ts
}

// readAccuracy returns the fraction of strings whose best interpretation
// (the Viterbi path of interp) spells the target.
func readAccuracy(t *testing.T, cs []*canvas, ts [][]int, interp func(tp *gtn.Tape, c *canvas) (*gtn.GraphVar, error)) float64 {
	right := 0
	tp := gtn.NewTape(nil)
	for i, c := range cs {
		tp.Reset()
		g, err := interp(tp, c)
		if err != nil {
			t.Fatal(err)
		}
		p, err := graphs.Viterbi(g.G)
		if err == nil && equalLabels(p.OLabels(g.G), labelsOf(ts[i])) {
			right++
		}
	}
	return float64(right) / float64(len(cs))
}

// TestTrainToyGlobally trains tiny graph transformer networks from random
// weights on the string labels alone (NLL on the interpretation graph: no
// character is ever shown alone) and checks that they learn to read toy
// strings of 1 to 4 characters (bars, rings and crosses): the HOS reader
// (segmentation graph, recognition transformer with a junk class, length
// grammar) and the SDNN reader (replicated network, character model,
// length grammar), each to at least 95% of held-out strings.
func TestTrainToyGlobally(t *testing.T) {
	train, trainT := toySet(1, 800)
	test, testT := toySet(2, 200)
	grammar := lengthGrammar(t, 3, 4)
	nll, _ := gtn.ParseLoss("nll", gtn.LossOptions{})

	t.Run("hos", func(t *testing.T) {
		h := toyHOS(t)
		net := tinyNet(t, 4, 1)
		se := NewSegmentEnergy("seg")
		interp := func(tp *gtn.Tape, c *canvas) (*gtn.GraphVar, error) {
			return hosInterp(tp, h, net, se, grammar, c)
		}
		before := readAccuracy(t, test, testT, interp)
		acc := trainToy(t, append(se.Params(), net.Params()...), train, trainT, interp, nll, 12)
		got := readAccuracy(t, test, testT, interp)
		t.Logf("HOS toy reader: %.1f%% of held-out strings before training, %.1f%% after (%.1f%% of training strings)", 100*before, 100*got, 100*acc)
		if before > 0.5 {
			t.Errorf("the untrained HOS toy reader reads %.1f%% of held-out strings: the task is too easy to show learning", 100*before)
		}
		if got < 0.95 {
			t.Errorf("HOS toy reader reads %.1f%% of held-out strings, want >= 95%%", 100*got)
		}
	})
	t.Run("sdnn", func(t *testing.T) {
		net := tinyNet(t, 4, 3)
		s, err := NewSDNN(net, NormalizeConfig{Height: 12, Body: 8, Pad: 6, Threshold: 0.3, MinSpeck: 2})
		if err != nil {
			t.Fatal(err)
		}
		cm, err := CharacterModel(3)
		if err != nil {
			t.Fatal(err)
		}
		interp := func(tp *gtn.Tape, c *canvas) (*gtn.GraphVar, error) {
			return sdnnInterp(tp, s, cm, grammar, c)
		}
		before := readAccuracy(t, test, testT, interp)
		acc := trainToy(t, net.Params(), train, trainT, interp, nll, 25)
		got := readAccuracy(t, test, testT, interp)
		t.Logf("SDNN toy reader: %.1f%% of held-out strings before training, %.1f%% after (%.1f%% of training strings)", 100*before, 100*got, 100*acc)
		if before > 0.5 {
			t.Errorf("the untrained SDNN toy reader reads %.1f%% of held-out strings: the task is too easy to show learning", 100*before)
		}
		if got < 0.95 {
			t.Errorf("SDNN toy reader reads %.1f%% of held-out strings, want >= 95%%", 100*got)
		}
	})
}

// trainToy trains params with Adam on the loss of interp's graph for the
// targets, for epochs epochs of batches of 8, and returns the training
// accuracy.
func trainToy(t *testing.T, params []*gtn.Param, cs []*canvas, ts [][]int, interp func(tp *gtn.Tape, c *canvas) (*gtn.GraphVar, error), loss gtn.Loss, epochs int) float64 {
	tr := &gtn.Trainer{Params: params, Optimizer: &gtn.Adam{}, Schedule: gtn.ConstantRate(0.01), Workers: 1}
	step := func(tp *gtn.Tape, ex []int) (*gtn.Var, int, error) {
		var ls []*gtn.Var
		for _, i := range ex {
			g, err := interp(tp, cs[i])
			if err != nil {
				return nil, 0, err
			}
			l, err := tp.GraphLoss(g, labelsOf(ts[i]), loss)
			if err != nil {
				continue // the target is not among the interpretations
			}
			ls = append(ls, l)
		}
		return tp.Mean(ls), len(ls), nil
	}
	for epoch := range epochs {
		if _, err := tr.Epoch(context.Background(), epoch, datasets.Permutation(len(cs), 1, epoch), 8, step); err != nil {
			t.Fatal(err)
		}
	}
	return readAccuracy(t, cs, ts, interp)
}
