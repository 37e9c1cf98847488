package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
)

// TrainConfig is a pipeline's train section, checked.
type TrainConfig struct {
	// Graph is the node whose graph the loss is computed on (its output
	// labels spell the answers); the pipeline's output by default.
	Graph string
	Loss  gtn.Loss
	Data  Dataset

	Optimizer   string // sgd or adam
	Rate        float64
	Momentum    float64
	WeightDecay float64
	Schedule    gtn.Schedule
	Epochs      int
	Batch       int
	Seed        uint64
	Workers     int

	self SelfTrainer // the node that trains itself, if the pipeline has one

	// Collapse stops training, after an epoch, when the spread of the
	// energies of the arcs of the train graph that leave the same state
	// (the competing classes and segments), measured on the first 64
	// examples of the data, falls below this fraction of the largest
	// spread seen, or when the share of those examples whose best path
	// spells the target falls below half the largest seen: the collapse
	// of losses without a margin (LeCun et al. 1998, section VI). 0
	// disables it.
	Collapse float64
	// Init says where training starts (not when resuming), node by node:
	// "fresh" for the node's own seeded initialisation, or a model file
	// (relative to the pipeline file) whose parameters of the node of the
	// same name, or of the node named after a '#' (file#node), are taken;
	// a recognizer's own model file (recognizers.Save, gtn mnist train)
	// gives its network's parameters. A key node/expert names one expert
	// of a node whose network is a pair of experts (recognizers.Pair, such
	// as arch lenet5-pair: the expert whose parameters are all named
	// expert.*) and sets only its parameters, from the source's parameters
	// named without the prefix (from "fresh", the node's own, named in
	// full). A source with fewer classes gives the first classes (see the
	// model parameter). Nodes not listed keep the weights they were built
	// with.
	Init map[string]string
}

var trainKeys = []string{"graph", "loss", "margin", "beta", "gamma", "j", "saturation", "data", "optimizer", "schedule", "epochs", "batch", "seed", "workers", "collapse", "init"}

// TrainConfig reads the pipeline's train section.
func (p *Pipeline) TrainConfig() (*TrainConfig, error) {
	sec := p.Spec.Train
	if sec == nil {
		return nil, fmt.Errorf("%s: the pipeline has no train section", p.Spec.File)
	}
	if st := p.selfTrainer(); st != nil {
		// The node reads the rest of the section (TrainSelf).
		data, err := openData(p.Spec, sec, "train data")
		if err != nil {
			return nil, err
		}
		if err := p.checkDataInputs(data); err != nil {
			return nil, &Error{sec.KeyPos("data"), err.Error()}
		}
		return &TrainConfig{Data: data, self: st}, nil
	}
	if err := sec.Check("train", trainKeys...); err != nil {
		return nil, err
	}
	c := &TrainConfig{}
	var errs ErrorList
	get := func(err error) {
		if err != nil {
			errs = appendErr(errs, err)
		}
	}
	var err error
	c.Graph, err = sec.String("graph", p.Spec.Output)
	get(err)
	if _, ok := p.types[c.Graph]; !ok {
		errs = append(errs, sec.Errorf("graph", "train: graph %q: no such node", c.Graph).(*Error))
	} else if p.types[c.Graph] != GraphType {
		errs = append(errs, sec.Errorf("graph", "train: graph %q gives %s, the loss needs a graph", c.Graph, p.types[c.Graph]).(*Error))
	}
	var lo gtn.LossOptions
	lossName, err := sec.String("loss", "nll")
	get(err)
	lo.Margin, err = sec.Float("margin", 1)
	get(err)
	lo.Beta, err = sec.Float("beta", 1)
	get(err)
	lo.Gamma, err = sec.Float("gamma", 1)
	get(err)
	lo.J, err = sec.Float("j", 0)
	get(err)
	lo.Saturation, err = sec.Float("saturation", 1)
	get(err)
	if c.Loss, err = gtn.ParseLoss(lossName, lo); err != nil {
		errs = append(errs, sec.Errorf("loss", "%v", err).(*Error))
	}
	c.Epochs, err = sec.Int("epochs", 10)
	get(err)
	c.Batch, err = sec.Int("batch", 32)
	get(err)
	seed, err := sec.Int("seed", 1)
	get(err)
	if seed < 0 {
		errs = append(errs, sec.Errorf("seed", "seed %d: want 0 or more", seed).(*Error))
	}
	c.Seed = uint64(seed)
	c.Workers, err = sec.Int("workers", runtime.GOMAXPROCS(0))
	get(err)
	c.Collapse, err = sec.Float("collapse", 0.05)
	get(err)
	if in := sec.Sub("init"); in != nil {
		c.Init = map[string]string{}
		for _, key := range in.Keys() {
			src, err := in.String(key, "")
			get(err)
			node, expert, isExpert := strings.Cut(key, "/")
			st := p.stepNamed(node)
			var tr Trainable
			if st != nil {
				tr, _ = st.node.(Trainable)
			}
			switch {
			case st == nil:
				errs = append(errs, in.Errorf(key, "train: init: no node %q", node).(*Error))
			case tr == nil:
				errs = append(errs, in.Errorf(key, "train: init: node %s has no parameters", node).(*Error))
			case isExpert && pairOf(st.node) == nil:
				errs = append(errs, in.Errorf(key, "train: init: node %s is not a pair of experts (such as arch lenet5-pair), so it has no expert %s", node, expert).(*Error))
			case isExpert && pairOf(st.node).Expert(expert) == nil:
				errs = append(errs, in.Errorf(key, "train: init: node %s has no expert %s (its experts are named by their parameters' prefix)", node, expert).(*Error))
			case isExpert && slices.Contains(in.Keys(), node):
				errs = append(errs, in.Errorf(key, "train: init: both %s and %s: the whole node and one of its experts", node, key).(*Error))
			}
			if src != "fresh" && src != "" && !filepath.IsAbs(src) {
				src = filepath.Join(p.Spec.Dir, src)
			}
			c.Init[key] = src
		}
	}
	if c.Epochs < 1 || c.Batch < 1 || c.Workers < 1 {
		errs = append(errs, &Error{sec.Pos(), "train: epochs, batch and workers must be at least 1"})
	}
	c.Optimizer, c.Rate = "sgd", 0.01
	if opt := sec.Sub("optimizer"); opt != nil {
		get(opt.Check("optimizer", "name", "lr", "momentum", "weight_decay"))
		c.Optimizer, err = opt.String("name", "sgd")
		get(err)
		if c.Optimizer != "sgd" && c.Optimizer != "adam" {
			errs = append(errs, opt.Errorf("name", "optimizer: unknown optimizer %q%s (sgd, adam)", c.Optimizer, suggest(c.Optimizer, []string{"sgd", "adam"})).(*Error))
		}
		c.Rate, err = opt.Float("lr", 0.01)
		get(err)
		c.Momentum, err = opt.Float("momentum", 0)
		get(err)
		c.WeightDecay, err = opt.Float("weight_decay", 0)
		get(err)
	}
	c.Schedule = gtn.ConstantRate(c.Rate)
	if sch := sec.Sub("schedule"); sch != nil {
		get(sch.Check("schedule", "name", "min_lr"))
		name, err := sch.String("name", "constant")
		get(err)
		minRate, err := sch.Float("min_lr", 0)
		get(err)
		switch name {
		case "constant":
		case "cosine":
			c.Schedule = gtn.CosineRate{Max: c.Rate, Min: minRate, Epochs: c.Epochs}
		default:
			errs = append(errs, sch.Errorf("name", "schedule: unknown schedule %q (constant, cosine)", name).(*Error))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if c.Data, err = openData(p.Spec, sec, "train data"); err != nil {
		return nil, err
	}
	if err := p.checkDataInputs(c.Data); err != nil {
		return nil, &Error{sec.KeyPos("data"), err.Error()}
	}
	return c, nil
}

// checkDataInputs checks that a dataset gives the pipeline's inputs.
func (p *Pipeline) checkDataInputs(d Dataset) error {
	got := d.Inputs()
	if len(got) != len(p.Spec.Inputs) {
		return fmt.Errorf("the data gives %d input(s), the pipeline takes %d", len(got), len(p.Spec.Inputs))
	}
	for i, in := range p.Spec.Inputs {
		if got[i] != in.Type {
			return fmt.Errorf("the data gives %s for input %s, which is %s", got[i], in.Name, in.Type)
		}
	}
	return nil
}

// TargetLabels maps a target's symbols to output labels with the
// pipeline's symbol table (or, without one, reads them as numbers).
func (p *Pipeline) TargetLabels(target []string) ([]int32, error) {
	labels := make([]int32, len(target))
	for i, s := range target {
		if p.Symbols != nil {
			l, ok := p.Symbols.Label(s)
			if !ok {
				return nil, fmt.Errorf("target symbol %q is not in the pipeline's symbol table", s)
			}
			labels[i] = l
			continue
		}
		l, err := strconv.ParseInt(s, 10, 32)
		if err != nil || l <= 0 {
			return nil, fmt.Errorf("target %q is not a label (the pipeline has no symbols table)", s)
		}
		labels[i] = int32(l)
	}
	return labels, nil
}

// NamedParams returns the pipeline's trainable parameters under names
// qualified by their node ("lenet/c1.weight"), sharing the values.
func (p *Pipeline) NamedParams() []*gtn.Param {
	var ps []*gtn.Param
	for _, s := range p.steps {
		if t, ok := s.node.(Trainable); ok {
			for _, q := range t.Params() {
				ps = append(ps, &gtn.Param{Name: s.spec.Name + "/" + q.Name, Value: q.Value, Fixed: q.Fixed})
			}
		}
	}
	return ps
}

// trainables returns the pipeline's nodes that have parameters.
func (p *Pipeline) trainables() []Trainable {
	var ts []Trainable
	for _, s := range p.steps {
		if t, ok := s.node.(Trainable); ok {
			ts = append(ts, t)
		}
	}
	return ts
}

// selfTrainer returns the pipeline's node that trains itself, or nil.
func (p *Pipeline) selfTrainer() SelfTrainer {
	for _, s := range p.steps {
		if st, ok := s.node.(SelfTrainer); ok {
			return st
		}
	}
	return nil
}

// SaveModel writes the pipeline's parameters (or the model of its
// self-training node) to path atomically.
func (p *Pipeline) SaveModel(path string, meta map[string]string) error {
	if st := p.selfTrainer(); st != nil {
		all := map[string]string{"pipeline": p.Spec.Name}
		for k, v := range meta {
			all[k] = v
		}
		return st.SaveModel(path, all)
	}
	m := &gtn.Model{Meta: map[string]string{"pipeline": p.Spec.Name}, Params: p.NamedParams()}
	for k, v := range meta {
		m.Meta[k] = v
	}
	return gtn.SaveModel(path, m)
}

// LoadModel loads the pipeline's parameters from a model file written by
// SaveModel, and returns its metadata. A pipeline with a single trainable
// node also takes a model file of that node alone (for example a recognizer
// trained by gtn mnist train), whose parameters are not qualified by the
// node's name.
func (p *Pipeline) LoadModel(path string) (map[string]string, error) {
	if st := p.selfTrainer(); st != nil {
		return nil, st.LoadModel(path)
	}
	m, err := gtn.LoadModel(path)
	if err != nil {
		return nil, err
	}
	if name := m.Meta["pipeline"]; name != "" && name != p.Spec.Name {
		return nil, fmt.Errorf("%s: a model of pipeline %q, not %q", path, name, p.Spec.Name)
	}
	err = m.Load(p.NamedParams(), path)
	if err != nil && m.Meta["pipeline"] == "" {
		if t := p.trainables(); len(t) == 1 {
			if m.Load(t[0].Params(), path) == nil {
				return m.Meta, nil
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return m.Meta, nil
}

// TrainOptions control a training run.
type TrainOptions struct {
	// Out is the model file, written atomically after every epoch.
	Out string
	// Resume continues from the epoch recorded in Out when it exists.
	Resume bool
	// Epochs, when positive, overrides the train section's.
	Epochs int
	// Progress receives progress bars; Log receives one line per epoch.
	Progress, Log io.Writer
}

// Train trains the pipeline with its train section, evaluating after each
// epoch with its eval section when it has one.
func (p *Pipeline) Train(ctx context.Context, c *TrainConfig, opt TrainOptions) error {
	if c.self != nil {
		return p.trainSelf(ctx, c, opt)
	}
	params := p.Params()
	if len(params) == 0 {
		return fmt.Errorf("%s: nothing to train: no node has parameters", p.Spec.File)
	}
	var optimizer gtn.Optimizer = &gtn.SGD{Momentum: c.Momentum, WeightDecay: c.WeightDecay}
	if c.Optimizer == "adam" {
		optimizer = &gtn.Adam{WeightDecay: c.WeightDecay}
	}
	epochs := c.Epochs
	if opt.Epochs > 0 {
		epochs = opt.Epochs
	}
	first := 0
	if opt.Resume && opt.Out != "" {
		if _, err := os.Stat(opt.Out); err == nil {
			meta, err := p.LoadModel(opt.Out)
			if err != nil {
				return fmt.Errorf("resuming: %w", err)
			}
			if first, err = strconv.Atoi(meta["epochs_done"]); err != nil {
				return fmt.Errorf("resuming: %s does not say how many epochs were done", opt.Out)
			}
			if seed := meta["seed"]; seed != "" && seed != strconv.FormatUint(c.Seed, 10) {
				return fmt.Errorf("resuming: %s was trained with seed %s, this run has seed %d (the train section's or --seed)", opt.Out, seed, c.Seed)
			}
			fmt.Fprintf(logOrDiscard(opt.Log), "resuming %s after epoch %d\n", opt.Out, first)
		}
	}
	if first == 0 && len(c.Init) > 0 {
		if err := p.initNodes(c.Init); err != nil {
			return err
		}
	}
	var eval *EvalConfig
	if p.Spec.Eval != nil {
		var err error
		if eval, err = p.EvalConfig(); err != nil {
			return err
		}
	}
	tr := &gtn.Trainer{Params: params, Optimizer: optimizer, Schedule: c.Schedule, Workers: c.Workers, Progress: opt.Progress, OneByOne: true}
	step := p.stepFunc(c)
	var most energyStats // the largest spread and share read right seen
	if c.Collapse > 0 {
		var err error
		if most, err = p.energyStats(c); err != nil {
			return err
		}
	}
	for epoch := first; epoch < epochs; epoch++ {
		order := datasets.Permutation(c.Data.Len(), c.Seed, epoch)
		stats, err := tr.Epoch(ctx, epoch, order, c.Batch, func(tp *gtn.Tape, ex []int) (*gtn.Var, int, error) {
			return step(tp, ex, epoch)
		})
		if err != nil {
			return err
		}
		meta := map[string]string{
			"epochs_done": strconv.Itoa(epoch + 1),
			"train_loss":  strconv.FormatFloat(stats.Loss, 'g', 6, 64),
			"loss":        c.Loss.Name(),
			"seed":        strconv.FormatUint(c.Seed, 10),
		}
		line := fmt.Sprintf("epoch %d/%d: loss %.5g, %.0f ex/s", epoch+1, epochs, stats.Loss, stats.PerSecond)
		if c.Collapse > 0 {
			now, err := p.energyStats(c)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(", arc energies: mean %.4g, spread %.4g", now.mean, now.spread)
			most.spread, most.right = max(most.spread, now.spread), max(most.right, now.right)
			if err := now.collapsed(most, c); err != nil {
				fmt.Fprintln(logOrDiscard(opt.Log), line)
				return err
			}
		}
		if eval != nil {
			res, err := p.Evaluate(ctx, eval, nil)
			if err != nil {
				return err
			}
			line += ", eval " + res.Summary()
			for k, v := range res.Metrics {
				meta["eval_"+k] = strconv.FormatFloat(v, 'g', 6, 64)
			}
		}
		fmt.Fprintln(logOrDiscard(opt.Log), line)
		if opt.Out != "" {
			if err := p.SaveModel(opt.Out, meta); err != nil {
				return err
			}
		}
	}
	return nil
}

// trainSelf trains a pipeline whose node trains itself, saves the model
// and evaluates it.
func (p *Pipeline) trainSelf(ctx context.Context, c *TrainConfig, opt TrainOptions) error {
	log := logOrDiscard(opt.Log)
	if err := c.self.TrainSelf(ctx, c.Data, p.Spec.Train, log); err != nil {
		return err
	}
	if opt.Out != "" {
		if err := p.SaveModel(opt.Out, nil); err != nil {
			return err
		}
	}
	if p.Spec.Eval == nil {
		return nil
	}
	ev, err := p.EvalConfig()
	if err != nil {
		return err
	}
	res, err := p.Evaluate(ctx, ev, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(log, "eval:", res.Summary())
	return nil
}

// stepNamed returns the step of the named node, or nil.
func (p *Pipeline) stepNamed(name string) *step {
	for _, s := range p.steps {
		if s.spec.Name == name {
			return s
		}
	}
	return nil
}

// initNodes sets the parameters of the nodes of init (see
// TrainConfig.Init).
func (p *Pipeline) initNodes(init map[string]string) error {
	for key, src := range init {
		name, expert, _ := strings.Cut(key, "/")
		st := p.stepNamed(name)
		from, prefix, err := p.initSource(st, src, name)
		if err != nil {
			return fmt.Errorf("train: init %s: %w", key, err)
		}
		params := st.node.(Trainable).Params()
		if expert != "" { // TrainConfig checked that the node has it
			params = pairOf(st.node).Expert(expert).Params()
		}
		classes := nodeClasses(st.node)
		for _, q := range params {
			want := q.Name
			if expert != "" && src != "fresh" { // a fresh node names its experts' parameters in full
				want = strings.TrimPrefix(q.Name, expert+".")
			}
			v, ok := from[want]
			if !ok {
				return fmt.Errorf("train: init %s: %s has no parameter %s%s", key, src, prefix, want)
			}
			if err := copyGrowing(q.Value, v, classes); err != nil {
				return fmt.Errorf("train: init %s: parameter %s: %w", key, q.Name, err)
			}
		}
	}
	return nil
}

// initSource returns the parameters an init source gives node st (named
// name), by their names within the node, and the prefix of those names in
// the source (for errors).
func (p *Pipeline) initSource(st *step, src, name string) (map[string]*gtn.Tensor, string, error) {
	from := map[string]*gtn.Tensor{}
	if src == "fresh" {
		// A new node built from the same parameters, without its model
		// file.
		args, err := checkParams(p.Spec, st.spec, st.typ)
		if err != nil {
			return nil, "", err
		}
		delete(args.values, "model")
		fresh, err := st.typ.New(args)
		if err != nil {
			return nil, "", positioned(err, st.spec.Pos, name)
		}
		for _, q := range fresh.(Trainable).Params() {
			from[q.Name] = q.Value
		}
		return from, "", nil
	}
	file, node, ok := strings.Cut(src, "#")
	m, err := gtn.LoadModel(file)
	if err != nil {
		return nil, "", err
	}
	prefix := node + "/"
	switch {
	case !ok && m.Meta[recognizers.MetaArch] != "":
		prefix = "" // a recognizer's own model file
	case !ok:
		prefix = name + "/"
	}
	for _, q := range m.Params {
		if n, found := strings.CutPrefix(q.Name, prefix); found {
			from[n] = q.Value
		}
	}
	return from, prefix, nil
}

// networkOf returns the network of a node that holds one (recognizer,
// recognition, zone-recognition, sdnn), or nil.
func networkOf(n Node) recognizers.Network {
	if nn, ok := n.(interface{ network() recognizers.Network }); ok {
		return nn.network()
	}
	return nil
}

// pairOf returns node n's network if it is a pair of experts, or nil.
func pairOf(n Node) *recognizers.Pair {
	pair, _ := networkOf(n).(*recognizers.Pair)
	return pair
}

// nodeClasses returns the number of classes of a recognizer node, or 0.
func nodeClasses(n Node) int {
	if net := networkOf(n); net != nil {
		return net.Classes()
	}
	return 0
}

// energyStats describe the train graph over the first examples of the
// training data: the mean of its arc energies, their spread between the
// arcs that leave the same state (the classes and segments competing
// there: the mean of their standard deviations), and the fraction of the
// examples whose best path spells the target.
type energyStats struct{ mean, spread, right float64 }

// collapseSample is the number of examples energyStats looks at.
const collapseSample = 64

func (p *Pipeline) energyStats(c *TrainConfig) (energyStats, error) {
	rc := &RunContext{Tape: gtn.NewTape(nil)}
	var n, sum, spread float64
	groups, right, total := 0, 0, 0
	for i := range min(collapseSample, c.Data.Len()) {
		rc.Tape.Reset()
		ex, err := c.Data.Example(i, 0)
		if err != nil {
			return energyStats{}, err
		}
		target, err := p.TargetLabels(ex.Target)
		if err != nil {
			return energyStats{}, fmt.Errorf("example %d: %w", i, err)
		}
		vals, err := p.RunUntil(rc, c.Graph, ex.Inputs...)
		if err != nil {
			return energyStats{}, fmt.Errorf("example %d: %w", i, err)
		}
		g := vals[c.Graph].(*gtn.GraphVar).G
		total++
		if best, err := graphs.Viterbi(g); err == nil && slices.Equal(best.OLabels(g), target) {
			right++
		}
		for st := range g.NumStates() {
			lo, hi := g.Arcs(st)
			var gs, gs2 float64
			for a := lo; a < hi; a++ {
				w := g.Weight(a)
				gs, gs2 = gs+w, gs2+w*w
			}
			k := float64(hi - lo)
			n, sum = n+k, sum+gs
			if k >= 2 {
				m := gs / k
				spread += math.Sqrt(math.Max(0, gs2/k-m*m))
				groups++
			}
		}
	}
	var s energyStats
	if n > 0 {
		s.mean = sum / n
	}
	if groups > 0 {
		s.spread = spread / float64(groups)
	}
	if total > 0 {
		s.right = float64(right) / float64(total)
	}
	return s, nil
}

// collapsed reports a collapse: the spread fell below Collapse times the
// largest spread seen (the energies flatten), or the examples read right
// fell below half the most seen while at least a fifth were (the
// energies run away from what the answers need).
func (s energyStats) collapsed(most energyStats, c *TrainConfig) error {
	const advice = "the %s loss has no margin that keeps wrong answers' energies above the correct one's: use nll, hinge or log"
	switch {
	case most.spread > 0 && s.spread < c.Collapse*most.spread:
		return fmt.Errorf("training collapsed: the energies of the competing arcs of graph %s flattened (spread %.4g, at most %.4g before); "+advice, c.Graph, s.spread, most.spread, c.Loss.Name())
	case most.right >= 0.2 && s.right < most.right/2:
		return fmt.Errorf("training collapsed: the best paths of graph %s read %.0f%% of the first training examples right, %.0f%% before (arc energies: mean %.4g, spread %.4g); "+advice, c.Graph, 100*s.right, 100*most.right, s.mean, s.spread, c.Loss.Name())
	}
	return nil
}

func logOrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// stepFunc returns the trainer's step: the mean graph loss of examples.
func (p *Pipeline) stepFunc(c *TrainConfig) func(tp *gtn.Tape, examples []int, epoch int) (*gtn.Var, int, error) {
	return func(tp *gtn.Tape, examples []int, epoch int) (*gtn.Var, int, error) {
		rc := &RunContext{Tape: tp}
		losses := make([]*gtn.Var, 0, len(examples))
		for _, i := range examples {
			ex, err := c.Data.Example(i, datasets.SampleSeed(c.Seed, epoch, i))
			if err != nil {
				return nil, 0, err
			}
			labels, err := p.TargetLabels(ex.Target)
			if err != nil {
				return nil, 0, fmt.Errorf("example %d: %w", i, err)
			}
			vals, err := p.RunUntil(rc, c.Graph, ex.Inputs...)
			if err != nil {
				return nil, 0, fmt.Errorf("example %d: %w", i, err)
			}
			l, err := tp.GraphLoss(vals[c.Graph].(*gtn.GraphVar), labels, c.Loss)
			if errors.Is(err, graphs.ErrNoPath) {
				continue // the target is not among the interpretations
			}
			if err != nil {
				return nil, 0, fmt.Errorf("example %d: %w", i, err)
			}
			losses = append(losses, l)
		}
		return tp.Mean(losses), len(losses), nil
	}
}

// EvalConfig is a pipeline's eval section, checked.
type EvalConfig struct {
	Data    Dataset
	Workers int
}

// EvalConfig reads the pipeline's eval section.
func (p *Pipeline) EvalConfig() (*EvalConfig, error) {
	sec := p.Spec.Eval
	if sec == nil {
		return nil, fmt.Errorf("%s: the pipeline has no eval section", p.Spec.File)
	}
	if err := sec.Check("eval", "data", "workers"); err != nil {
		return nil, err
	}
	w, err := sec.Int("workers", runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, err
	}
	d, err := openData(p.Spec, sec, "eval data")
	if err != nil {
		return nil, err
	}
	if err := p.checkDataInputs(d); err != nil {
		return nil, &Error{sec.KeyPos("data"), err.Error()}
	}
	return &EvalConfig{Data: d, Workers: max(1, w)}, nil
}

// EvalResult holds the metrics of an evaluation.
type EvalResult struct {
	// Metrics: error_rate (fraction of examples whose answer is not the
	// target), string_accuracy (1 - error_rate), cer (character error
	// rate: edit distance over target length), errors, total,
	// examples_per_second.
	Metrics map[string]float64
	// Report, when not nil, is the evaluation of a node with a scorer of
	// its own (conlleval's scores for a sequence labeler), and replaces
	// Metrics; summary is its one-line form.
	Report  any
	summary string
}

// Summary formats the main metrics on one line.
func (r EvalResult) Summary() string {
	if r.Report != nil {
		return r.summary
	}
	return fmt.Sprintf("error rate %.4f%% (%d/%d), CER %.4f%%", 100*r.Metrics["error_rate"], int(r.Metrics["errors"]), int(r.Metrics["total"]), 100*r.Metrics["cer"])
}

// Evaluate runs the pipeline on the eval data and compares each answer
// with its target. answers, when not nil, receives every answer in order.
func (p *Pipeline) Evaluate(ctx context.Context, c *EvalConfig, answers func(i int, a Answer, target []string, err error)) (EvalResult, error) {
	for _, s := range p.steps {
		if sc, ok := s.node.(Scorer); ok {
			rep, sum, err := sc.Score(ctx, c.Data, c.Workers)
			return EvalResult{Report: rep, summary: sum}, err
		}
	}
	n := c.Data.Len()
	type outcome struct {
		ans    Answer
		target []string
		err    error
	}
	results := make([]outcome, n)
	start := time.Now()
	next := make(chan int)
	done := make(chan struct{})
	for range c.Workers {
		go func() {
			defer func() { done <- struct{}{} }()
			tp := gtn.NewTape(nil)
			rc := &RunContext{Tape: tp}
			for i := range next {
				tp.Reset()
				ex, err := c.Data.Example(i, 0)
				if err == nil {
					var out any
					if out, err = p.Run(rc, ex.Inputs...); err == nil {
						results[i].ans, err = Interpret(out.(*gtn.GraphVar).G, p.Symbols)
					}
				}
				results[i].target, results[i].err = ex.Target, err
			}
		}()
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	for range c.Workers {
		<-done
	}
	if err != nil {
		return EvalResult{}, err
	}
	secs := time.Since(start).Seconds()
	var errorsN, edits, chars int
	for i, r := range results {
		want := strings.Join(r.target, "")
		got := ""
		if r.err == nil {
			got = strings.ReplaceAll(r.ans.Text, " ", "")
		}
		if got != want || r.err != nil {
			errorsN++
		}
		edits += editDistance(got, want)
		chars += len([]rune(want))
		if answers != nil {
			answers(i, r.ans, r.target, r.err)
		}
	}
	m := map[string]float64{
		"errors":              float64(errorsN),
		"total":               float64(n),
		"error_rate":          float64(errorsN) / float64(max(n, 1)),
		"string_accuracy":     1 - float64(errorsN)/float64(max(n, 1)),
		"cer":                 float64(edits) / float64(max(chars, 1)),
		"examples_per_second": float64(n) / secs,
	}
	return EvalResult{Metrics: m}, nil
}
