package pipelines

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/sequence"
)

// SelfTrainer is a node that trains itself on a whole data set with its own
// method (for example a CRF by L-BFGS) rather than by the generic
// minibatch loop, and whose state is a model file of its own.
type SelfTrainer interface {
	Node
	// TrainSelf trains the node on the examples of data, with the train
	// section's settings, logging to log.
	TrainSelf(ctx context.Context, data Dataset, sec *Section, log io.Writer) error
	// SaveModel writes the node's model to path (atomically); LoadModel
	// reads it.
	SaveModel(path string, meta map[string]string) error
	LoadModel(path string) error
}

// Scorer is a node with an evaluation of its own (for example conlleval's
// phrase-level scores for a sequence labeler).
type Scorer interface {
	Node
	// Score evaluates the node on data and returns a JSON-encodable
	// result and a one-line summary.
	Score(ctx context.Context, data Dataset, workers int) (result any, summary string, err error)
}

func sequenceNodeTypes() []*NodeType {
	return []*NodeType{{
		Name:   "chain-labeler",
		Doc:    "a linear-chain sequence labeler (CRF, structured perceptron, M3N): sparse linear factors over token attributes declared by templates, first-order transitions, and the label lattice of a sentence as a graph whose output labels are the labels",
		Inputs: []Type{SentenceType}, Output: GraphType,
		Params: []ParamSpec{
			{Name: "columns", Kind: Strings, Required: true, Doc: "names of the CoNLL columns, in file order"},
			{Name: "label", Kind: String, Doc: "the column of the labels (default: the last)"},
			{Name: "templates", Kind: Strings, Required: true, Doc: `attribute templates, e.g. "w[-2..2]", "w[-1]|w[0]", "suffix(w[0],3)", "shape(w[0])", "bos"`},
			{Name: "scheme", Kind: String, Default: "iob2", Choices: []string{"iob1", "iob2", "iobes"}, Doc: "tagging scheme of the labels, for chunk scoring"},
			{Name: "model_scheme", Kind: String, Choices: []string{"iob1", "iob2", "iobes"}, Doc: "scheme the model labels in (default: scheme)"},
			{Name: "features", Kind: String, Default: "seen", Choices: []string{"seen", "all"}, Doc: "weights for the (attribute, label) pairs seen in training, or for all"},
			{Name: "model", Kind: File, Doc: "a trained model of this labeler"},
		},
		New: newChainLabeler,
	}}
}

// chainLabeler implements the chain-labeler node.
type chainLabeler struct {
	cfg       sequence.Config
	allLabels bool
	model     *sequence.Model // nil until trained or loaded
	name      string
}

func newChainLabeler(a *Args) (Node, error) {
	n := &chainLabeler{
		cfg: sequence.Config{
			Columns: a.Strings("columns"), Label: a.String("label"), Templates: a.Strings("templates"),
			Scheme: a.String("scheme"), ModelScheme: a.String("model_scheme"),
		},
		allLabels: a.String("features") == "all",
		name:      a.Node(),
	}
	if _, err := sequence.ParseTemplates(n.cfg.Templates, n.cfg.Columns); err != nil {
		return nil, a.Errorf("templates", "%v", err)
	}
	if a.Has("model") {
		if err := n.LoadModel(a.Path("model")); err != nil {
			return nil, a.Errorf("model", "%v", err)
		}
	}
	return n, nil
}

func (n *chainLabeler) trained() error {
	if n.model == nil {
		return fmt.Errorf("node %s has no model: train the pipeline (gtn train) or give one (--model or the node's model)", n.name)
	}
	return nil
}

func (n *chainLabeler) Run(rc *RunContext, in []any) (any, error) {
	if err := n.trained(); err != nil {
		return nil, err
	}
	return n.model.LatticeOf(rc.Tape, in[0].(*datasets.Sentence))
}

var chainTrainKeys = []string{"method", "c2", "iterations", "epochs", "loss", "cost", "optimizer", "lr", "seed", "workers", "data"}

func (n *chainLabeler) TrainSelf(ctx context.Context, data Dataset, sec *Section, log io.Writer) error {
	if err := sec.Check("train", chainTrainKeys...); err != nil {
		return err
	}
	cfg := sequence.TrainConfig{Config: n.cfg, AllLabels: n.allLabels, Log: log}
	var errs ErrorList
	get := func(err error) {
		if err != nil {
			errs = appendErr(errs, err)
		}
	}
	var err error
	cfg.Method, err = sec.String("method", sequence.MethodCRF)
	get(err)
	methods := []string{sequence.MethodCRF, sequence.MethodPerceptron, sequence.MethodM3N, sequence.MethodOnline}
	if !contains(methods, cfg.Method) {
		errs = appendErr(errs, sec.Errorf("method", "train: unknown method %q%s (%s)", cfg.Method, suggest(cfg.Method, methods), strings.Join(methods, ", ")))
	}
	cfg.C2, err = sec.Float("c2", 1)
	get(err)
	cfg.MaxIterations, err = sec.Int("iterations", 0)
	get(err)
	cfg.Epochs, err = sec.Int("epochs", 0)
	get(err)
	cfg.Loss, err = sec.String("loss", "")
	get(err)
	cfg.Cost, err = sec.Float("cost", 0)
	get(err)
	cfg.Optimizer, err = sec.String("optimizer", "")
	get(err)
	cfg.Rate, err = sec.Float("lr", 0)
	get(err)
	seed, err := sec.Int("seed", 1)
	get(err)
	cfg.Seed = uint64(seed)
	cfg.Workers, err = sec.Int("workers", 0)
	get(err)
	if len(errs) > 0 {
		return errs
	}
	sents, err := sentences(data)
	if err != nil {
		return err
	}
	m, st, err := sequence.Train(ctx, sents, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "%s: %d sentences, %d features, %d iterations, %.1f s\n", cfg.Method, st.Sentences, st.Features, st.Iterations, st.ExtractSeconds+st.TrainSeconds)
	n.model = m
	return nil
}

func (n *chainLabeler) SaveModel(path string, meta map[string]string) error {
	if err := n.trained(); err != nil {
		return err
	}
	g := n.model.GTNModel()
	for k, v := range meta {
		g.Meta[k] = v
	}
	return gtn.SaveModel(path, g)
}

func (n *chainLabeler) LoadModel(path string) error {
	m, err := sequence.Load(path)
	if err != nil {
		return err
	}
	n.model = m
	return nil
}

func (n *chainLabeler) Score(ctx context.Context, data Dataset, workers int) (any, string, error) {
	if err := n.trained(); err != nil {
		return nil, "", err
	}
	sents, err := sentences(data)
	if err != nil {
		return nil, "", err
	}
	res, _, err := n.model.Evaluate(sents, workers)
	if err != nil {
		return nil, "", err
	}
	return res, fmt.Sprintf("precision %.2f%%, recall %.2f%%, F1 %.2f", res.Precision, res.Recall, res.F1), nil
}

// Tag appends the predicted labels as a column of CoNLL input.
func (n *chainLabeler) Tag(r io.Reader, name string, w io.Writer, workers int) error {
	if err := n.trained(); err != nil {
		return err
	}
	_, err := sequence.TagCoNLL(n.model, r, name, w, workers)
	return err
}

// Tag tags CoNLL input with the pipeline's sequence labeler, appending the
// predicted labels as a new last column.
func (p *Pipeline) Tag(r io.Reader, name string, w io.Writer) error {
	for _, s := range p.steps {
		if n, ok := s.node.(*chainLabeler); ok {
			return n.Tag(r, name, w, runtime.GOMAXPROCS(0))
		}
	}
	return fmt.Errorf("%s: the pipeline has no sequence labeler to tag with", p.Spec.File)
}

// sentences returns every example of a sentence data set.
func sentences(data Dataset) ([]datasets.Sentence, error) {
	out := make([]datasets.Sentence, data.Len())
	for i := range out {
		ex, err := data.Example(i, 0)
		if err != nil {
			return nil, err
		}
		s, ok := ex.Inputs[0].(*datasets.Sentence)
		if !ok {
			return nil, fmt.Errorf("example %d is not a sentence", i)
		}
		out[i] = *s
	}
	return out, nil
}

func conllSource() *DataSource {
	return &DataSource{
		Name: "conll",
		Doc:  "sentences of a CoNLL column file (one token a line, a blank line between sentences); one sentence input, its label column as target",
		Params: []ParamSpec{
			{Name: "file", Kind: String, Required: true, Doc: "the file, relative to dir"},
			{Name: "dir", Kind: File, Doc: "data directory (default: $GTN_DATA)"},
			{Name: "limit", Kind: Int, Default: 0, Doc: "use only the first N sentences (0: all)"},
		},
		New: newCoNLLData,
	}
}

type conllData struct{ sents []datasets.Sentence }

func newCoNLLData(a *Args) (Dataset, error) {
	dir := a.Path("dir")
	if dir == "" {
		dir = os.Getenv("GTN_DATA")
	}
	if dir == "" {
		return nil, a.Errorf("dir", "no data directory: set dir or the GTN_DATA environment variable")
	}
	path := filepath.Join(dir, a.String("file"))
	sents, err := datasets.ReadCoNLLFile(path, nil)
	if err != nil {
		return nil, a.Errorf("file", "%v", err)
	}
	if n := a.Int("limit"); n > 0 && n < len(sents) {
		sents = sents[:n]
	}
	return &conllData{sents}, nil
}

func (d *conllData) Len() int       { return len(d.sents) }
func (d *conllData) Inputs() []Type { return []Type{SentenceType} }
func (d *conllData) Example(i int, _ uint64) (Example, error) {
	if i < 0 || i >= len(d.sents) {
		return Example{}, fmt.Errorf("conll: example %d out of range [0,%d)", i, len(d.sents))
	}
	return Example{Inputs: []any{&d.sents[i]}}, nil
}
