package sequence

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/gtn"
)

// Config says what a sequence labeler reads: the columns of its CoNLL
// input, which of them holds the labels, the attribute templates and the
// tagging scheme of the labels. Retargeting a labeler to another CoNLL task
// (named entities, POS tagging) means changing only these settings.
type Config struct {
	// Columns names the columns of a token, in file order, for example
	// ["w", "pos", "chunk"]. Templates refer to columns by these names.
	Columns []string `json:"columns"`
	// Label is the column holding the gold labels in training and
	// evaluation data; "" means the last column. Input to tag may lack it
	// (it must then lack every column from Label on).
	Label string `json:"label"`
	// Templates declare the attributes of a token (see Template).
	Templates []string `json:"templates"`
	// Scheme is the tagging scheme of the labels, for scoring chunks
	// (iob1, iob2, iobes; "" means iob2).
	Scheme string `json:"scheme"`
	// ModelScheme, when set and different from Scheme, is the scheme the
	// model labels in: training labels are converted to it and
	// predictions back to Scheme (IOBES often labels chunks better than
	// IOB2, at the price of more labels).
	ModelScheme string `json:"model_scheme,omitempty"`
}

// labelColumn returns the index of the label column.
func (c *Config) labelColumn() (int, error) {
	if len(c.Columns) == 0 {
		return 0, fmt.Errorf("sequence: no columns configured")
	}
	if c.Label == "" {
		return len(c.Columns) - 1, nil
	}
	i := slices.Index(c.Columns, c.Label)
	if i < 0 {
		return 0, fmt.Errorf("sequence: label column %q is not among the columns %v", c.Label, c.Columns)
	}
	return i, nil
}

// CoNLL2000Templates are the attribute templates of CRFsuite's chunking
// example (its chunking.py): words and POS tags in a window of ±2, word
// bigrams around the current word, POS bigrams and trigrams in the window,
// and sentence boundaries.
var CoNLL2000Templates = []string{
	"w[-2..2]", "w[-1]|w[0]", "w[0]|w[1]",
	"pos[-2..2]", "pos[-2]|pos[-1]", "pos[-1]|pos[0]", "pos[0]|pos[1]", "pos[1]|pos[2]",
	"pos[-2]|pos[-1]|pos[0]", "pos[-1]|pos[0]|pos[1]", "pos[0]|pos[1]|pos[2]",
	"bos", "eos",
}

// CoNLL2000Config is the configuration for CoNLL-2000 chunking files
// (word, POS tag, IOB2 chunk tag) with CoNLL2000Templates.
func CoNLL2000Config() Config {
	return Config{Columns: []string{"w", "pos", "chunk"}, Label: "chunk", Templates: slices.Clone(CoNLL2000Templates), Scheme: "iob2"}
}

// Model is a linear-chain labeler: the energy of labeling y of sentence x
// is Σ_t Σ_{a ∈ attrs(x,t)} W[a, y_t] + Σ_t Trans[y_{t-1}, y_t] (with
// sentence boundaries as an extra label, see Chain), lower being better.
// W holds a weight only for the (attribute, label) pairs that it has
// features for: those seen in training, or every pair (TrainConfig's
// AllLabels); other pairs have energy 0.
type Model struct {
	Config
	// Labels are the label names; label i is Labels[i].
	Labels []string

	templates           []Template
	labelCol            int
	scheme, modelScheme Scheme
	labelIdx            map[string]int32

	// Attributes: hash of "template=value" → attribute index, and the
	// hash of each attribute (for saving).
	attrIndex map[uint64]int32
	attrKeys  []uint64
	// Features in CSR form: attribute a has features first[a] ≤ k <
	// first[a+1], of label flabel[k] and energy params[k].
	first  []int32
	flabel []int32
	// params holds the feature energies followed by the (L+1)×(L+1)
	// transition energies.
	params []float64

	pool sync.Pool // of *tagger
}

// NumAttributes returns the number of attributes the model knows.
func (m *Model) NumAttributes() int { return len(m.attrKeys) }

// NumFeatures returns the number of (attribute, label) weights.
func (m *Model) NumFeatures() int { return len(m.flabel) }

// Weights returns the feature energies (one per feature) and the
// transition energies ((L+1)×(L+1), see Chain). They alias the model.
func (m *Model) Weights() (features, trans []float64) {
	F := len(m.flabel)
	return m.params[:F], m.params[F:]
}

// newModel prepares an empty model (no attributes) for cfg.
func newModel(cfg Config) (*Model, error) {
	m := &Model{Config: cfg}
	if m.Scheme == "" {
		m.Scheme = "iob2"
	}
	var err error
	if m.scheme, err = ParseScheme(m.Scheme); err != nil {
		return nil, err
	}
	m.modelScheme = m.scheme
	if m.ModelScheme != "" {
		if m.modelScheme, err = ParseScheme(m.ModelScheme); err != nil {
			return nil, err
		}
	}
	if m.labelCol, err = cfg.labelColumn(); err != nil {
		return nil, err
	}
	if m.templates, err = ParseTemplates(cfg.Templates, cfg.Columns); err != nil {
		return nil, err
	}
	if len(m.templates) == 0 {
		return nil, fmt.Errorf("sequence: no templates")
	}
	for _, t := range m.templates {
		for _, it := range t.items {
			if it.col >= m.labelCol {
				return nil, fmt.Errorf("sequence: template %s reads column %s, which is the label column or after it", t.Name, m.Columns[it.col])
			}
		}
	}
	return m, nil
}

func (m *Model) setLabels(labels []string) {
	m.Labels = labels
	m.labelIdx = make(map[string]int32, len(labels))
	for i, l := range labels {
		m.labelIdx[l] = int32(i)
	}
}

// encoded is a sentence as the model sees it: the attribute indices of
// each token (tokens t's are attrs[ends[t-1]:ends[t]]) and, for training,
// the gold labels.
type encoded struct {
	attrs []int32
	ends  []int32
	gold  []int32
}

func (x *encoded) len() int { return len(x.ends) }

// checkTokens checks that a sentence has the columns the model reads.
func (m *Model) checkTokens(s *datasets.Sentence, needLabel bool) error {
	want := m.labelCol
	if needLabel {
		want = m.labelCol + 1
	}
	for i, tok := range s.Tokens {
		if len(tok) < want {
			return fmt.Errorf("sequence: sentence at line %d, token %d: %d columns, the model reads %d (%v)", s.Line, i+1, len(tok), want, m.Columns[:want])
		}
	}
	return nil
}

// emissions writes the T×L emission energies of x into emit. The
// attributes of a token are summed into four interleaved partial rows, so
// that the additions into the same label do not wait on one another.
func (m *Model) emissions(x *encoded, emit []float64) {
	L := len(m.Labels)
	w := m.params
	var stack [4 * 64]float64
	var acc []float64
	if 4*L <= len(stack) {
		acc = stack[:4*L]
	} else {
		acc = make([]float64, 4*L)
	}
	a0, a1, a2, a3 := acc[:L], acc[L:2*L], acc[2*L:3*L], acc[3*L:]
	start := int32(0)
	for t, end := range x.ends {
		clear(acc)
		attrs := x.attrs[start:end]
		n := len(attrs) &^ 3
		for q := 0; q < n; q += 4 {
			m.addAttr(a0, w, attrs[q])
			m.addAttr(a1, w, attrs[q+1])
			m.addAttr(a2, w, attrs[q+2])
			m.addAttr(a3, w, attrs[q+3])
		}
		for _, a := range attrs[n:] {
			m.addAttr(a0, w, a)
		}
		row := emit[t*L : t*L+L]
		row = row[:len(a0)]
		a1, a2, a3 := a1[:len(a0)], a2[:len(a0)], a3[:len(a0)]
		for j, v := range a0 {
			row[j] = (v + a1[j]) + (a2[j] + a3[j])
		}
		start = end
	}
}

// addAttr adds the feature energies of attribute a to row.
func (m *Model) addAttr(row, w []float64, a int32) {
	lo, hi := m.first[a], m.first[a+1]
	ws := w[lo:hi]
	for j, y := range m.flabel[lo:hi] {
		row[y] += ws[j]
	}
}

// scatter adds, for every feature active in x, scale × the gradient of its
// emission energy (dEmit, T×L) to g.
func (m *Model) scatter(x *encoded, dEmit, g []float64) {
	L := len(m.Labels)
	start := int32(0)
	for t, end := range x.ends {
		row := dEmit[t*L : t*L+L]
		for _, a := range x.attrs[start:end] {
			lo, hi := m.first[a], m.first[a+1]
			gs := g[lo:hi]
			for j, y := range m.flabel[lo:hi] {
				gs[j] += row[y]
			}
		}
		start = end
	}
}

// tagger holds the buffers to tag one sentence.
type tagger struct {
	chain  Chain
	x      encoded
	hashes []uint64
	ends   []int32
	buf    []byte
	emit   []float64
	path   []int32
}

// encode fills tg.x with the attributes of s that the model knows.
func (m *Model) encode(tg *tagger, tokens [][]string) {
	tg.hashes, tg.ends, tg.buf = attributeHashes(m.templates, tokens, tg.hashes[:0], tg.ends[:0], tg.buf)
	tg.x.attrs, tg.x.ends = tg.x.attrs[:0], tg.x.ends[:0]
	start := int32(0)
	for _, end := range tg.ends {
		for _, h := range tg.hashes[start:end] {
			if a, ok := m.attrIndex[h]; ok {
				tg.x.attrs = append(tg.x.attrs, a)
			}
		}
		tg.x.ends = append(tg.x.ends, int32(len(tg.x.attrs)))
		start = end
	}
}

// Predict returns the best labeling of a sentence (Viterbi). The sentence
// needs the columns before the label column; any others are ignored.
// Predict may be called from several goroutines at once.
func (m *Model) Predict(s *datasets.Sentence) ([]string, error) {
	if err := m.checkTokens(s, false); err != nil {
		return nil, err
	}
	if s.Len() == 0 {
		return nil, nil
	}
	tg, _ := m.pool.Get().(*tagger)
	if tg == nil {
		tg = &tagger{}
	}
	defer m.pool.Put(tg)
	ids, err := m.predict(tg, s.Tokens)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ids))
	for i, y := range ids {
		out[i] = m.Labels[y]
	}
	return m.fromModelScheme(out), nil
}

// toModelScheme converts gold labels from Scheme to ModelScheme.
func (m *Model) toModelScheme(tags []string) []string {
	if m.modelScheme == m.scheme {
		return tags
	}
	return ConvertTags(tags, m.scheme, m.modelScheme)
}

// fromModelScheme converts predicted labels from ModelScheme to Scheme.
func (m *Model) fromModelScheme(tags []string) []string {
	if m.modelScheme == m.scheme {
		return tags
	}
	return ConvertTags(tags, m.modelScheme, m.scheme)
}

// predict returns the best label indices of tokens, in tg.path.
func (m *Model) predict(tg *tagger, tokens [][]string) ([]int32, error) {
	m.encode(tg, tokens)
	L, T := len(m.Labels), len(tokens)
	tg.emit = grow(tg.emit, T*L)
	tg.path = grow(tg.path, T)
	m.emissions(&tg.x, tg.emit)
	_, trans := m.Weights()
	if _, err := tg.chain.Viterbi(tg.emit, trans, L, tg.path); err != nil {
		return nil, err
	}
	return tg.path, nil
}

// PredictAll labels sentences on workers goroutines (0: GOMAXPROCS).
func (m *Model) PredictAll(sents []datasets.Sentence, workers int) ([][]string, error) {
	out := make([][]string, len(sents))
	err := parallel(len(sents), workers, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			p, err := m.Predict(&sents[i])
			if err != nil {
				return err
			}
			out[i] = p
		}
		return nil
	})
	return out, err
}

// Evaluate labels sentences (which must have the label column) and scores
// the predictions against their labels as conlleval does.
func (m *Model) Evaluate(sents []datasets.Sentence, workers int) (Result, [][]string, error) {
	scheme, err := ParseScheme(m.Scheme)
	if err != nil {
		return Result{}, nil, err
	}
	for i := range sents {
		if err := m.checkTokens(&sents[i], true); err != nil {
			return Result{}, nil, err
		}
	}
	pred, err := m.PredictAll(sents, workers)
	if err != nil {
		return Result{}, nil, err
	}
	var c Counter
	for i := range sents {
		if err := c.Add(sents[i].Column(m.labelCol), pred[i], scheme); err != nil {
			return Result{}, nil, err
		}
	}
	return c.Result(), pred, nil
}

// parallel runs f over [0,n) split into contiguous parts, one per worker.
func parallel(n, workers int, f func(lo, hi int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = f(lo, hi)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ModelKind is the value of the "kind" metadata of a sequence model file.
const ModelKind = "sequence-chain"

// GTNModel returns the model as a gtn.Model, to save with gtn.SaveModel:
// parameters "features" (energies, float32) and "transitions"
// ([L+1, L+1]); fixed parameters "feature-labels", "attribute-first" and
// "attribute-keys" hold integers as raw float32 bit patterns (exact); the
// metadata "sequence" holds the configuration and labels as JSON.
func (m *Model) GTNModel() *gtn.Model {
	feats, trans := m.Weights()
	L1 := len(m.Labels) + 1
	f32 := func(name string, x []float64, shape ...int) *gtn.Param {
		p := gtn.NewParam(name, shape...)
		for i, v := range x {
			p.Value.Data[i] = float32(v)
		}
		return p
	}
	bits := func(name string, x []uint32, shape ...int) *gtn.Param {
		p := gtn.NewParam(name, shape...)
		p.Fixed = true
		for i, v := range x {
			p.Value.Data[i] = math.Float32frombits(v)
		}
		return p
	}
	u32 := func(x []int32) []uint32 {
		out := make([]uint32, len(x))
		for i, v := range x {
			out[i] = uint32(v)
		}
		return out
	}
	keys := make([]uint32, 2*len(m.attrKeys))
	for i, k := range m.attrKeys {
		keys[2*i], keys[2*i+1] = uint32(k), uint32(k>>32)
	}
	meta, _ := json.Marshal(fileMeta{Config: m.Config, Labels: m.Labels})
	return &gtn.Model{
		Meta: map[string]string{"kind": ModelKind, "sequence": string(meta)},
		Params: []*gtn.Param{
			f32("features", feats, len(feats)),
			f32("transitions", trans, L1, L1),
			bits("feature-labels", u32(m.flabel), len(m.flabel)),
			bits("attribute-first", u32(m.first), len(m.first)),
			bits("attribute-keys", keys, len(m.attrKeys), 2),
		},
	}
}

type fileMeta struct {
	Config
	Labels []string `json:"labels"`
}

// FromGTNModel rebuilds a model saved with GTNModel. name is used in
// errors.
func FromGTNModel(g *gtn.Model, name string) (*Model, error) {
	if g.Meta["kind"] != ModelKind {
		return nil, fmt.Errorf("%s: not a sequence labeling model (kind %q)", name, g.Meta["kind"])
	}
	var fm fileMeta
	if err := json.Unmarshal([]byte(g.Meta["sequence"]), &fm); err != nil {
		return nil, fmt.Errorf("%s: sequence metadata: %w", name, err)
	}
	m, err := newModel(fm.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m.setLabels(fm.Labels)
	ps := map[string]*gtn.Param{}
	for _, p := range g.Params {
		ps[p.Name] = p
	}
	get := func(n string) ([]float32, error) {
		p := ps[n]
		if p == nil {
			return nil, fmt.Errorf("%s: parameter %s is missing", name, n)
		}
		return p.Value.Data, nil
	}
	var data [5][]float32
	for i, n := range []string{"features", "transitions", "feature-labels", "attribute-first", "attribute-keys"} {
		if data[i], err = get(n); err != nil {
			return nil, err
		}
	}
	F, L := len(data[0]), len(m.Labels)
	A := len(data[3]) - 1
	if len(data[1]) != (L+1)*(L+1) || len(data[2]) != F || A < 0 || len(data[4]) != 2*A {
		return nil, fmt.Errorf("%s: inconsistent parameter sizes", name)
	}
	m.params = make([]float64, F+(L+1)*(L+1))
	for i, v := range data[0] {
		m.params[i] = float64(v)
	}
	for i, v := range data[1] {
		m.params[F+i] = float64(v)
	}
	m.flabel = make([]int32, F)
	for i, v := range data[2] {
		m.flabel[i] = int32(math.Float32bits(v))
		if m.flabel[i] < 0 || int(m.flabel[i]) >= L {
			return nil, fmt.Errorf("%s: feature %d has label %d of %d", name, i, m.flabel[i], L)
		}
	}
	m.first = make([]int32, A+1)
	for i, v := range data[3] {
		m.first[i] = int32(math.Float32bits(v))
		if m.first[i] < 0 || int(m.first[i]) > F || (i > 0 && m.first[i] < m.first[i-1]) {
			return nil, fmt.Errorf("%s: bad attribute offsets", name)
		}
	}
	if m.first[A] != int32(F) {
		return nil, fmt.Errorf("%s: bad attribute offsets", name)
	}
	m.attrKeys = make([]uint64, A)
	m.attrIndex = make(map[uint64]int32, A)
	for i := range A {
		k := uint64(math.Float32bits(data[4][2*i])) | uint64(math.Float32bits(data[4][2*i+1]))<<32
		m.attrKeys[i] = k
		m.attrIndex[k] = int32(i)
	}
	return m, nil
}

// Save writes the model to path (atomically, with gtn.SaveModel).
func (m *Model) Save(path string) error { return gtn.SaveModel(path, m.GTNModel()) }

// Load reads a model written by Save.
func Load(path string) (*Model, error) {
	g, err := gtn.LoadModel(path)
	if err != nil {
		return nil, err
	}
	return FromGTNModel(g, path)
}

// labelSet returns the sorted distinct labels of label sequences.
func labelSet(golds [][]string) []string {
	seen := map[string]bool{}
	for _, g := range golds {
		for _, y := range g {
			seen[y] = true
		}
	}
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// RichChunkingTemplates extend CoNLL2000Templates with lower-cased words,
// word shapes, prefixes and suffixes, and wider word and POS conjunctions.
var RichChunkingTemplates = append(slices.Clone(CoNLL2000Templates),
	"w[-1]|w[1]", "w[0]|pos[0]", "w[-1]|pos[0]", "w[0]|pos[1]", "pos[-1]|w[0]|pos[1]",
	"lower(w[0])", "shape(w[0])", "shape(w[-1])|shape(w[0])", "shape(w[0])|shape(w[1])",
	"prefix(w[0],1..3)", "suffix(w[0],1..4)", "pos[-1]|pos[1]", "bias",
)
