package pipelines

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
)

// miniData is miniMNIST's training data.
const miniData = "data: {source: mnist, split: train, limit: 3000}"

// miniMNIST is mnist-lenet5.yaml on a small part of MNIST.
const miniMNIST = `pipeline: mnist-lenet5
input: image
nodes:
  input: {use: digit-input, from: image, size: 32}
  lenet: {use: recognizer, from: input, arch: lenet5, classes: 10}
  graph: {use: class-graph, from: lenet}
output: graph
symbols: SYMS
train:
  loss: LOSS
  ` + miniData + `
  optimizer: {name: sgd, lr: 0.003, momentum: 0.9}
  epochs: 2
eval:
  data: {source: mnist, split: test, limit: 1000}
`

func needMNIST(t *testing.T) {
	t.Helper()
	if _, err := datasets.MNISTDir(""); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
}

func miniPipeline(t *testing.T, loss string) *Pipeline {
	t.Helper()
	syms, err := filepath.Abs("grammars/digits.syms")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.NewReplacer("SYMS", syms, "LOSS", loss).Replace(miniMNIST)
	return assembleText(t, "mini.yaml", t.TempDir(), src)
}

// TestTrainMNISTGraphLoss trains LeNet-5 through the pipeline, with graph
// losses on the class graph, on 3,000 digits for two epochs; it must then
// read at least 80% of 1,000 test digits (chance is 10%).
func TestTrainMNISTGraphLoss(t *testing.T) {
	needMNIST(t)
	for _, loss := range []string{"energy", "nll"} {
		t.Run(loss, func(t *testing.T) {
			p := miniPipeline(t, loss)
			cfg, err := p.TrainConfig()
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "m.msgpack")
			var log bytes.Buffer
			if err := p.Train(context.Background(), cfg, TrainOptions{Out: out, Log: &log}); err != nil {
				t.Fatal(err)
			}
			ev, err := p.EvalConfig()
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.Evaluate(context.Background(), ev, nil)
			if err != nil {
				t.Fatal(err)
			}
			if e := res.Metrics["error_rate"]; e > 0.2 {
				t.Errorf("error rate %.3f after training, want <= 0.2\n%s", e, log.String())
			}
			// The saved model gives the same answers to a fresh pipeline.
			q := miniPipeline(t, loss)
			if _, err := q.LoadModel(out); err != nil {
				t.Fatal(err)
			}
			res2, err := q.Evaluate(context.Background(), ev, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res2.Metrics["errors"] != res.Metrics["errors"] {
				t.Errorf("reloaded model: %v errors, trained: %v", res2.Metrics["errors"], res.Metrics["errors"])
			}
		})
	}
}

func TestTrainResume(t *testing.T) {
	needMNIST(t)
	p := miniPipeline(t, "nll")
	cfg, err := p.TrainConfig()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "m.msgpack")
	if err := p.Train(context.Background(), cfg, TrainOptions{Out: out, Epochs: 1}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	q := miniPipeline(t, "nll")
	if err := q.Train(context.Background(), cfg, TrainOptions{Out: out, Resume: true, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "resuming") || strings.Contains(log.String(), "epoch 1/2") || !strings.Contains(log.String(), "epoch 2/2") {
		t.Errorf("resumed run's log:\n%s", log.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}

func TestTrainConfigErrors(t *testing.T) {
	for _, tc := range []struct{ old, new, want string }{
		{"loss: LOSS", "loss: nl", `unknown loss "nl"`},
		{"epochs: 2", "epocs: 2", `unknown train setting "epocs" (did you mean "epochs"?)`},
		{"source: mnist, split: train", "source: mnst, split: train", `unknown data source "mnst" (did you mean "mnist"?)`},
		{"split: train, limit", "split: trian, limit", `"trian" is not one of train, test`},
		{"name: sgd", "name: sgdd", `unknown optimizer "sgdd"`},
		{"epochs: 2", "epochs: 2\n  seed: -1", "seed -1: want 0 or more"},
		{miniData, "data: []", "train data: an empty list, want data sections {source: NAME, ...}"},
		{miniData, "data: mnist", `train data: want a data section {source: NAME, ...} or a list of them, got "mnist"`},
		{miniData, "data: [{source: mnist, limit: 10}, mnist]", `train data 2: want a data section {source: NAME, ...}, got "mnist"`},
		{miniData, "data: [{source: mnst}, {source: mnist, limit: 10}]", `train data 1: unknown data source "mnst"`},
		{miniData, "data: [{source: mnist, limt: 10}]", `train data 1 (mnist): unknown parameter "limt" (did you mean "limit"?)`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			syms, _ := filepath.Abs("grammars/digits.syms")
			src := strings.NewReplacer("SYMS", syms, "LOSS", "nll").Replace(strings.Replace(miniMNIST, tc.old, tc.new, 1))
			p := assembleText(t, "mini.yaml", ".", src)
			_, err := p.TrainConfig()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "mini.yaml:") {
				t.Errorf("error %v, want it to contain %q and a position", err, tc.want)
			}
		})
	}
}

// numbered is a dataset of n examples whose targets are "name i".
type numbered struct {
	name string
	n    int
}

func (d numbered) Len() int       { return d.n }
func (d numbered) Inputs() []Type { return []Type{ImageType} }
func (d numbered) Example(i int, _ uint64) (Example, error) {
	return Example{Target: []string{d.name, strconv.Itoa(i)}}, nil
}

// TestConcatData checks every example of concatenations with empty parts
// among them.
func TestConcatData(t *testing.T) {
	for _, lens := range [][]int{{3}, {0, 3}, {3, 0, 2}, {2, 0, 0, 3, 0}, {1, 1, 1}} {
		var parts []Dataset
		var want []string
		for k, n := range lens {
			name := string(rune('a' + k))
			parts = append(parts, numbered{name, n})
			for i := range n {
				want = append(want, name+" "+strconv.Itoa(i))
			}
		}
		d := newConcatData(parts)
		if d.Len() != len(want) {
			t.Errorf("%v: %d examples, want %d", lens, d.Len(), len(want))
		}
		for i, w := range want {
			ex, err := d.Example(i, 0)
			if err != nil || strings.Join(ex.Target, " ") != w {
				t.Errorf("%v: example %d is %v (%v), want %s", lens, i, ex.Target, err, w)
			}
		}
		for _, i := range []int{-1, len(want)} {
			if _, err := d.Example(i, 0); err == nil {
				t.Errorf("%v: example %d: no error", lens, i)
			}
		}
	}
}

// TestDataList: a list of data sections is their examples one after the
// other.
func TestDataList(t *testing.T) {
	needMNIST(t)
	syms, _ := filepath.Abs("grammars/digits.syms")
	src := strings.NewReplacer("SYMS", syms, "LOSS", "nll").Replace(strings.Replace(miniMNIST,
		miniData,
		"data: [{source: mnist, split: train, limit: 30}, {source: mnist, split: test, limit: 20}]", 1))
	p := assembleText(t, "mini.yaml", ".", src)
	c, err := p.TrainConfig()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := datasets.MNISTDir("")
	if err != nil {
		t.Fatal(err)
	}
	train, err := datasets.LoadMNIST(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	test, err := datasets.LoadMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if c.Data.Len() != 50 {
		t.Fatalf("%d examples, want 30 + 20", c.Data.Len())
	}
	for _, tc := range []struct {
		i    int
		from *datasets.MNIST
		j    int
	}{{0, train, 0}, {29, train, 29}, {30, test, 0}, {49, test, 19}} {
		ex, err := c.Data.Example(tc.i, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := strconv.Itoa(int(tc.from.Labels[tc.j])); ex.Target[0] != want {
			t.Errorf("example %d: target %v, want %s", tc.i, ex.Target, want)
		}
		im := ex.Inputs[0].(*Image)
		img := tc.from.Image(tc.j)
		for k, v := range img {
			if im.Ink[k] != float32(v)/255 {
				t.Errorf("example %d: pixel %d is %v, want %v", tc.i, k, im.Ink[k], float32(v)/255)
				break
			}
		}
	}
	if _, err := c.Data.Example(50, 0); err == nil {
		t.Error("example 50 of 50: no error")
	}

	// Sources whose examples are of different kinds do not mix.
	tmp := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmp, "s.txt"), []byte("He PRP B-NP\nran VBD B-VP\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src = strings.Replace(src, "{source: mnist, split: test, limit: 20}", "{source: conll, file: s.txt, dir: "+tmp+"}", 1)
	_, err = assembleText(t, "mini.yaml", ".", src).TrainConfig()
	if want := "mini.yaml:11:52: train data 2: inputs [sentence] differ from data 1's [image]"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}

	// A source's own checks name the list item.
	src = strings.Replace(src, "{source: conll, file: s.txt, dir: "+tmp+"}", "{source: checks, count: 0}", 1)
	_, err = assembleText(t, "mini.yaml", ".", src).TrainConfig()
	if want := "mini.yaml:11:76: train data 2: count must be at least 1"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// TestMNISTPipelineReproducesEngine evaluates mnist-lenet5.yaml with the
// committed LeNet-5 of gtn mnist train: the pipeline (digit-input,
// recognizer, class graph, best path) must make exactly the engine's 86
// errors on the 10,000 test digits.
func TestMNISTPipelineReproducesEngine(t *testing.T) {
	needMNIST(t)
	p, err := Load("mnist-lenet5.yaml", DefaultRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.LoadModel("../models/lenet5.msgpack"); err != nil {
		t.Fatal(err)
	}
	ev, err := p.EvalConfig()
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Evaluate(context.Background(), ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics["errors"] != 86 || res.Metrics["total"] != 10000 {
		t.Errorf("%v errors of %v, want 86 of 10000 (models/lenet5.msgpack's measured error)", res.Metrics["errors"], res.Metrics["total"])
	}
}

// TestTrainInit checks the train section's init: a node's weights from a
// model file, or fresh (its seeded initialisation, not its model file).
func TestTrainInit(t *testing.T) {
	needMNIST(t)
	p := miniPipeline(t, "nll")
	w := p.Params()[0].Value
	orig := append([]float32(nil), w.Data...)
	dir := t.TempDir()
	saved := filepath.Join(dir, "m.msgpack")
	for i := range w.Data {
		w.Data[i] = 0.5
	}
	if err := p.SaveModel(saved, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.initNodes(map[string]string{"lenet": "fresh"}); err != nil {
		t.Fatal(err)
	}
	for i, v := range w.Data {
		if v != orig[i] {
			t.Fatalf("fresh init: weight %d is %v, the seeded initialisation gives %v", i, v, orig[i])
		}
	}
	if err := p.initNodes(map[string]string{"lenet": saved + "#lenet"}); err != nil {
		t.Fatal(err)
	}
	if w.Data[0] != 0.5 {
		t.Errorf("init from a model file: weight %v, want 0.5", w.Data[0])
	}
	if err := p.initNodes(map[string]string{"lenet": saved + "#other"}); err == nil {
		t.Error("init from a node the model does not have was accepted")
	}
}

// TestCollapsed checks the collapse criteria: energies that flatten, and
// answers that stop being right.
func TestCollapsed(t *testing.T) {
	c := &TrainConfig{Graph: "g", Loss: gtn.EnergyLoss{}, Collapse: 0.05}
	most := energyStats{mean: 10, spread: 4, right: 0.8}
	for _, tc := range []struct {
		now  energyStats
		want string
	}{
		{energyStats{mean: 12, spread: 3, right: 0.9}, ""},
		{energyStats{mean: 12, spread: 0.1, right: 0.9}, "flattened"},
		{energyStats{mean: -2000, spread: 400, right: 0.05}, "read 5%"},
		{energyStats{mean: 9, spread: 3.5, right: 0.45}, ""},
	} {
		err := tc.now.collapsed(most, c)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.now, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want one saying %q", tc.now, err, tc.want)
		}
	}
	// Nothing is decided before the answers are a fifth right.
	if err := (energyStats{spread: 3, right: 0}).collapsed(energyStats{spread: 4, right: 0.1}, c); err != nil {
		t.Errorf("early training: %v", err)
	}
}

// TestTrainInitExperts: init keys node/expert start each expert of a
// lenet5-pair from its own source, a recognizer's model file with fewer
// classes giving the first classes; an expert the node lacks and a source
// missing a parameter are errors.
func TestTrainInitExperts(t *testing.T) {
	dir := t.TempDir()
	src := `pipeline: p
input: image
nodes:
  input: {use: digit-input, from: image, field: 32, size: 32}
  recog: {use: recognizer, from: input, arch: lenet5-pair, classes: 11}
  graph: {use: class-graph, from: recog}
output: graph
`
	p := assembleText(t, "p.yaml", dir, src)
	// Two ten-class lenet5-modern sources: a recognizer's file with all
	// weights 0.25, a pipeline model (node "recog") with all 0.5.
	ten, err := recognizers.New("lenet5-modern", 10, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	fill := func(v float32) {
		for _, q := range ten.Params() {
			for i := range q.Value.Data {
				q.Value.Data[i] = v
			}
		}
	}
	fill(0.25)
	netFile := filepath.Join(dir, "net.msgpack")
	if err := recognizers.Save(netFile, ten, nil); err != nil {
		t.Fatal(err)
	}
	fill(0.5)
	var named []*gtn.Param
	for _, q := range ten.Params() {
		named = append(named, &gtn.Param{Name: "recog/" + q.Name, Value: q.Value})
	}
	pipeFile := filepath.Join(dir, "pipe.msgpack")
	if err := gtn.SaveModel(pipeFile, &gtn.Model{Meta: map[string]string{"pipeline": "q"}, Params: named}); err != nil {
		t.Fatal(err)
	}
	if err := p.initNodes(map[string]string{"recog/frame": pipeFile, "recog/shape": netFile}); err != nil {
		t.Fatal(err)
	}
	for _, q := range p.Params() {
		want := float32(0.5)
		if strings.HasPrefix(q.Name, "shape.") {
			want = 0.25
		}
		n := q.Value.Len()
		if strings.HasSuffix(q.Name, "f6.weight") || strings.HasSuffix(q.Name, "f6.bias") {
			n = n / 11 * 10 // the eleventh class keeps its initialisation
		}
		for i, v := range q.Value.Data[:n] {
			if v != want {
				t.Fatalf("%s[%d] = %v, want %v", q.Name, i, v, want)
			}
		}
	}
	// A fresh expert gets the node's seeded initialisation back.
	if err := p.initNodes(map[string]string{"recog/frame": "fresh"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range p.Params() {
		if strings.HasPrefix(q.Name, "frame.") && strings.HasSuffix(q.Name, "weight") && q.Value.Data[0] == 0.5 {
			t.Errorf("fresh init of the frame expert left %s at the source's 0.5", q.Name)
		}
		if strings.HasPrefix(q.Name, "shape.c1") && q.Value.Data[0] != 0.25 {
			t.Errorf("fresh init of the frame expert changed %s", q.Name)
		}
	}
	if err := p.initNodes(map[string]string{"recog/frame": pipeFile + "#other"}); err == nil || !strings.Contains(err.Error(), "other/c1.weight") {
		t.Errorf("init from a node the model does not have: error %v, want one naming other/c1.weight", err)
	}
	// The train section refuses an expert the node lacks, and a node given
	// whole and by expert.
	for _, tc := range []struct{ init, want string }{
		{"{recog/colour: net.msgpack}", "no expert colour"},
		{"{recog/frame.c1: net.msgpack}", "no expert frame.c1"}, // a layer of an expert
		{"{recog: pipe.msgpack, recog/frame: pipe.msgpack}", "both recog and recog/frame"},
	} {
		init := tc.init
		q := assembleText(t, "p.yaml", dir, src+"train:\n  init: "+init+"\n  data: {source: mnist}\n")
		if _, err := q.TrainConfig(); err == nil || !strings.Contains(err.Error(), "p.yaml:") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("init %s: error %v, want one saying %q at its place in p.yaml", init, err, tc.want)
		}
	}
}

// TestNetworkOf checks that every node type holding a recognizer gives
// its network to train.init (which grows its classes and finds its
// experts by it).
func TestNetworkOf(t *testing.T) {
	for _, tc := range []struct{ name, nodes string }{
		{"recognizer", "  in: {use: digit-input, from: image, field: 32, size: 32}\n  net: {use: recognizer, from: in, arch: lenet5-modern, classes: 13}\n"},
		{"recognition", "  seg: {use: hos-segment, from: image}\n  net: {use: recognition, from: seg, arch: lenet5-pair, classes: 13}\n"},
		{"zone-recognition", "  field: {use: field-locate, from: image}\n  seg: {use: zone-segment, from: field}\n  net: {use: zone-recognition, from: seg, arch: lenet5-modern, classes: 13}\n"},
		{"sdnn", "  net: {use: sdnn, from: image, arch: lenet5-modern, classes: 13}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "pipeline: p\ninput: image\nnodes:\n" + tc.nodes + "output: net\n"
			p := assembleText(t, "p.yaml", t.TempDir(), src)
			n, _ := p.Node("net")
			if got := nodeClasses(n); got != 13 {
				t.Errorf("the node's classes: %d, want 13", got)
			}
		})
	}
}
