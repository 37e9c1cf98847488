package sequence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/gtn"
)

// The training methods: one architecture (a chain of linear factors),
// different losses and optimizers.
const (
	// MethodCRF minimises Σ NLL + C2·‖w‖² over the training set with
	// L-BFGS (gonum/optimize), objective and gradient computed over
	// sentences in parallel: a linear-chain CRF as CRFsuite trains it.
	MethodCRF = "crf"
	// MethodPerceptron is Collins's averaged structured perceptron: the
	// perceptron loss E(gold) − min_y E(y), one example at a time, step 1,
	// weights averaged over all steps (lazily).
	MethodPerceptron = "perceptron"
	// MethodM3N minimises the structured hinge loss of max-margin Markov
	// networks, max_y [Δ(y, gold) + E(gold) − E(y)] with Δ the Hamming
	// distance (the perceptron loss on the cost-augmented lattice), by
	// averaged stochastic subgradient steps (AdaGrad by default).
	MethodM3N = "m3n"
	// MethodOnline trains with any gtn loss (TrainConfig.Loss), optional
	// cost augmentation, one example at a time with SGD or AdaGrad and
	// averaging (for example NLL by SGD: a CRF trained online).
	MethodOnline = "online"
)

// TrainConfig is the configuration of Train.
type TrainConfig struct {
	Config
	// Method is MethodCRF, MethodPerceptron, MethodM3N or MethodOnline.
	Method string

	// AllLabels gives every attribute a weight for every label; by
	// default only (attribute, label) pairs seen in training have one (as
	// in CRFsuite).
	AllLabels bool
	// MinFreq drops features seen fewer times in training (0 keeps all).
	MinFreq int

	// C2 is the L2 coefficient of MethodCRF: the objective is
	// Σ_sentences NLL + C2·‖w‖², CRFsuite's c2 (default 1; negative for
	// none).
	C2 float64
	// MaxIterations limits L-BFGS iterations (0: until convergence).
	MaxIterations int
	// Period and Delta are the stopping test of MethodCRF (CRFsuite's):
	// stop when the objective improved by less than Delta (relative)
	// over the last Period iterations. Defaults 10 and 1e-5.
	Period int
	Delta  float64
	// Memory is the number of L-BFGS corrections (default 6).
	Memory int

	// Epochs is the number of passes of the online methods (default 50
	// for the perceptron, 20 otherwise).
	Epochs int
	// Loss names the gtn loss of MethodOnline (default "nll"); Cost is
	// the Hamming cost of cost-augmented decoding (MethodM3N: default 1).
	Loss string
	Cost float64
	// Optimizer is "sgd" or "adagrad" for MethodM3N and MethodOnline
	// (default adagrad); Rate its learning rate (default 0.1 for adagrad;
	// 1 for sgd). With sgd, the rate decays as Rate/(1 + epoch).
	Optimizer string
	Rate      float64
	// NoAverage returns the last weights instead of their average over
	// all steps (online methods).
	NoAverage bool

	// Workers is the number of goroutines of MethodCRF (0: GOMAXPROCS).
	Workers int
	// Seed sets the order of examples in online epochs.
	Seed uint64
	// Log receives a line per iteration or epoch (nil: none).
	Log io.Writer
}

// Stats describes a training run.
type Stats struct {
	Method                  string
	Sentences, Tokens       int
	Labels                  int
	Attributes, Features    int
	Iterations              int     // L-BFGS iterations or epochs
	Evaluations             int     // objective and gradient evaluations (CRF)
	Objective               float64 // final objective (CRF) or mean loss of the last epoch
	Status                  string  // why L-BFGS stopped
	ExtractSeconds          float64 // feature extraction and indexing
	TrainSeconds            float64 // optimisation
	PeakHeapBytes           uint64  // runtime heap in use after indexing, a lower bound of the peak
	FeatureBytes, DataBytes int64   // parameters; encoded training data
}

// Train trains a labeler on sentences (which must have the label column).
// It returns the model, with the weights rounded to float32 so that a
// saved and reloaded model is the same model.
func Train(ctx context.Context, train []datasets.Sentence, cfg TrainConfig) (*Model, Stats, error) {
	st := Stats{Method: cfg.Method}
	start := time.Now()
	m, data, err := build(train, &cfg, &st)
	if err != nil {
		return nil, st, err
	}
	st.ExtractSeconds = time.Since(start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.PeakHeapBytes = ms.HeapInuse
	start = time.Now()
	switch cfg.Method {
	case MethodCRF:
		err = trainCRF(ctx, m, data, &cfg, &st)
	case MethodPerceptron:
		err = trainPerceptron(ctx, m, data, &cfg, &st)
	case MethodM3N, MethodOnline:
		err = trainOnline(ctx, m, data, &cfg, &st)
	default:
		err = fmt.Errorf("sequence: unknown training method %q (known: %s)", cfg.Method, strings.Join([]string{MethodCRF, MethodPerceptron, MethodM3N, MethodOnline}, ", "))
	}
	st.TrainSeconds = time.Since(start).Seconds()
	if err != nil {
		return nil, st, err
	}
	for i, v := range m.params {
		m.params[i] = float64(float32(v))
	}
	return m, st, nil
}

// build makes the model's label set, attributes and features from the
// training data and encodes it.
func build(train []datasets.Sentence, cfg *TrainConfig, st *Stats) (*Model, []encoded, error) {
	m, err := newModel(cfg.Config)
	if err != nil {
		return nil, nil, err
	}
	if len(train) == 0 {
		return nil, nil, errors.New("sequence: no training sentences")
	}
	for i := range train {
		if err := m.checkTokens(&train[i], true); err != nil {
			return nil, nil, err
		}
	}
	// Gold labels, in the model's scheme.
	golds := make([][]string, len(train))
	for i := range train {
		golds[i] = m.toModelScheme(train[i].Column(m.labelCol))
	}
	m.setLabels(labelSet(golds))
	L := len(m.Labels)

	// Attributes in order of first occurrence; each sentence encoded.
	m.attrIndex = map[uint64]int32{}
	data := make([]encoded, len(train))
	var tg tagger
	for i := range train {
		s := &train[i]
		tg.hashes, tg.ends, tg.buf = attributeHashes(m.templates, s.Tokens, tg.hashes[:0], tg.ends[:0], tg.buf)
		x := encoded{attrs: make([]int32, len(tg.hashes)), ends: make([]int32, len(tg.ends)), gold: make([]int32, s.Len())}
		copy(x.ends, tg.ends)
		for j, h := range tg.hashes {
			a, ok := m.attrIndex[h]
			if !ok {
				a = int32(len(m.attrKeys))
				m.attrIndex[h] = a
				m.attrKeys = append(m.attrKeys, h)
			}
			x.attrs[j] = a
		}
		for t, y := range golds[i] {
			x.gold[t] = m.labelIdx[y]
		}
		data[i] = x
		st.Tokens += s.Len()
		st.DataBytes += int64(4 * (len(x.attrs) + len(x.ends) + len(x.gold)))
	}
	A := len(m.attrKeys)
	renumberByFrequency(m, data)

	// Features: (attribute, label) pairs, all of them or those seen (at
	// least MinFreq times).
	m.first = make([]int32, A+1)
	if cfg.AllLabels {
		m.flabel = make([]int32, A*L)
		for a := range A {
			m.first[a+1] = int32((a + 1) * L)
			for y := range L {
				m.flabel[a*L+y] = int32(y)
			}
		}
	} else {
		counts := map[int64]int32{}
		for i := range data {
			x := &data[i]
			start := int32(0)
			for t, end := range x.ends {
				y := int64(x.gold[t])
				for _, a := range x.attrs[start:end] {
					counts[int64(a)*int64(L)+y]++
				}
				start = end
			}
		}
		keys := make([]int64, 0, len(counts))
		for k, c := range counts {
			if int(c) >= cfg.MinFreq {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		m.flabel = make([]int32, len(keys))
		for k, key := range keys {
			a := key / int64(L)
			m.flabel[k] = int32(key % int64(L))
			m.first[a+1]++
		}
		for a := range A {
			m.first[a+1] += m.first[a]
		}
	}
	F := len(m.flabel)
	m.params = make([]float64, F+(L+1)*(L+1))
	st.Sentences, st.Labels, st.Attributes, st.Features = len(train), L, A, F
	st.FeatureBytes = int64(8*len(m.params) + 4*len(m.flabel) + 4*len(m.first) + 8*len(m.attrKeys))
	return m, data, nil
}

// renumberByFrequency renumbers attributes by decreasing number of
// occurrences (ties by first occurrence), so that the features of the
// attributes that most tokens have are close together in memory: the
// emission and gradient loops, which dominate training, then mostly hit
// the cache.
func renumberByFrequency(m *Model, data []encoded) {
	A := len(m.attrKeys)
	count := make([]int32, A)
	for i := range data {
		for _, a := range data[i].attrs {
			count[a]++
		}
	}
	order := make([]int32, A)
	for a := range order {
		order[a] = int32(a)
	}
	sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	newID := make([]int32, A)
	keys := make([]uint64, A)
	for n, a := range order {
		newID[a] = int32(n)
		keys[n] = m.attrKeys[a]
		m.attrIndex[keys[n]] = int32(n)
	}
	m.attrKeys = keys
	for i := range data {
		for j, a := range data[i].attrs {
			data[i].attrs[j] = newID[a]
		}
	}
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

// trainPerceptron is the averaged perceptron (Collins 2002) with lazy
// averaging: besides the weights w it keeps u = Σ_steps c·Δw (c counting
// examples), and returns w − u/c, the average of w over all steps.
func trainPerceptron(ctx context.Context, m *Model, data []encoded, cfg *TrainConfig, st *Stats) error {
	epochs := cfg.Epochs
	if epochs <= 0 {
		epochs = 50
	}
	L := len(m.Labels)
	L1 := L + 1
	F := len(m.flabel)
	w := m.params
	u := make([]float64, len(w))
	var tg tagger
	c := 1.0
	order := make([]int, len(data))
	for e := range epochs {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		perm(order, cfg.Seed, e)
		wrong := 0
		for _, i := range order {
			x := &data[i]
			T := x.len()
			tg.emit = grow(tg.emit, T*L)
			tg.path = grow(tg.path, T)
			m.emissions(x, tg.emit)
			tg.chain.L = L
			tg.chain.viterbi(tg.emit, w[F:], T, tg.path)
			pred, gold := tg.path, x.gold
			diff := false
			// Emissions: +1 on gold labels' features (lower their
			// energy), −1 on the predicted ones', where they differ.
			start := int32(0)
			for t, end := range x.ends {
				if pred[t] != gold[t] {
					diff = true
					for _, a := range x.attrs[start:end] {
						for k := m.first[a]; k < m.first[a+1]; k++ {
							switch m.flabel[k] {
							case gold[t]:
								w[k] -= 1
								u[k] -= c
							case pred[t]:
								w[k] += 1
								u[k] += c
							}
						}
					}
				}
				start = end
			}
			if diff {
				wrong++
				upd := func(p []int32, d float64) {
					tr := w[F:]
					ut := u[F:]
					prev := L
					for _, y := range p {
						tr[prev*L1+int(y)] += d
						ut[prev*L1+int(y)] += c * d
						prev = int(y)
					}
					tr[prev*L1+L] += d
					ut[prev*L1+L] += c * d
				}
				upd(gold, -1)
				upd(pred, +1)
			}
			c++
		}
		st.Iterations = e + 1
		st.Objective = float64(wrong) / float64(len(data))
		logf(cfg.Log, "perceptron epoch %d: %d of %d sentences wrong (%.2f%%), %.2f s\n", e+1, wrong, len(data), 100*st.Objective, time.Since(t0).Seconds())
	}
	if !cfg.NoAverage {
		for k := range w {
			w[k] -= u[k] / c
		}
	}
	return nil
}

// perm fills order with a permutation of its indices that depends only on
// (seed, epoch): SplitMix64-driven Fisher–Yates.
func perm(order []int, seed uint64, epoch int) {
	for i := range order {
		order[i] = i
	}
	s := seed*0x9E3779B97F4A7C15 + uint64(epoch+1)*0xD1B54A32D192ED03
	next := func() uint64 {
		s += 0x9E3779B97F4A7C15
		z := s
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		return z ^ (z >> 31)
	}
	for i := len(order) - 1; i > 0; i-- {
		j := int(next() % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
}

// trainOnline minimises a gtn loss on the (optionally cost-augmented)
// lattice one example at a time with SGD or AdaGrad and averaging.
func trainOnline(ctx context.Context, m *Model, data []encoded, cfg *TrainConfig, st *Stats) error {
	lossName, cost := cfg.Loss, cfg.Cost
	if cfg.Method == MethodM3N {
		if lossName == "" {
			lossName = "perceptron"
		}
		if cost == 0 {
			cost = 1
		}
	}
	if lossName == "" {
		lossName = "nll"
	}
	loss, err := gtn.ParseLoss(lossName, gtn.LossOptions{Margin: 1})
	if err != nil {
		return err
	}
	opt := cfg.Optimizer
	if opt == "" {
		opt = "adagrad"
	}
	rate := cfg.Rate
	if opt != "sgd" && opt != "adagrad" {
		return fmt.Errorf("sequence: unknown online optimizer %q (known: sgd, adagrad)", opt)
	}
	if rate <= 0 {
		rate = 0.1
		if opt == "sgd" {
			rate = 1
		}
	}
	epochs := cfg.Epochs
	if epochs <= 0 {
		epochs = 20
	}
	L := len(m.Labels)
	F := len(m.flabel)
	w := m.params
	u := make([]float64, len(w))
	var G []float64
	if opt == "adagrad" {
		G = make([]float64, len(w))
	}
	var tg tagger
	var dEmit []float64
	gT := make([]float64, (L+1)*(L+1))
	c := 1.0
	order := make([]int, len(data))
	// step applies gradient g to weight k.
	step := func(k int, g, eta float64) {
		if G != nil {
			G[k] += g * g
			d := -eta * g / (math.Sqrt(G[k]) + 1e-8)
			w[k] += d
			u[k] += c * d
			return
		}
		w[k] -= eta * g
		u[k] -= c * eta * g
	}
	for e := range epochs {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		perm(order, cfg.Seed, e)
		eta := rate
		if G == nil {
			eta = rate / float64(1+e)
		}
		total := 0.0
		for _, i := range order {
			x := &data[i]
			T := x.len()
			tg.emit = grow(tg.emit, T*L)
			dEmit = grow(dEmit, T*L)
			clear(dEmit)
			clear(gT)
			m.emissions(x, tg.emit)
			l, _, err := tg.chain.Loss(tg.emit, w[F:], L, x.gold, loss, cost, dEmit, gT)
			if err != nil {
				return fmt.Errorf("sequence: sentence %d: %w", i+1, err)
			}
			total += l
			if l != 0 {
				start := int32(0)
				for t, end := range x.ends {
					row := dEmit[t*L : t*L+L]
					for _, a := range x.attrs[start:end] {
						for k := m.first[a]; k < m.first[a+1]; k++ {
							if g := row[m.flabel[k]]; g != 0 {
								step(int(k), g, eta)
							}
						}
					}
					start = end
				}
				for j, g := range gT {
					if g != 0 {
						step(F+j, g, eta)
					}
				}
			}
			c++
		}
		st.Iterations = e + 1
		st.Objective = total / float64(len(data))
		logf(cfg.Log, "%s (%s loss, cost %g, %s) epoch %d: mean loss %.5g, %.2f s\n", cfg.Method, loss.Name(), cost, opt, e+1, st.Objective, time.Since(t0).Seconds())
	}
	if !cfg.NoAverage {
		for k := range w {
			w[k] -= u[k] / c
		}
	}
	return nil
}
