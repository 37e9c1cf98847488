package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gotn/gotn/internal/progress"
	"github.com/gotn/gotn/pipelines"
)

// loadPipeline loads a pipeline file and, if model is set, its parameters.
func loadPipeline(path, model string) (*pipelines.Pipeline, error) {
	p, _, err := loadPipelineMeta(path, model)
	return p, err
}

// loadPipelineMeta is loadPipeline that also returns the model's metadata
// (nil without a model).
func loadPipelineMeta(path, model string) (*pipelines.Pipeline, map[string]string, error) {
	p, err := pipelines.Load(path, pipelines.DefaultRegistry())
	if err != nil {
		return nil, nil, err
	}
	var meta map[string]string
	if model != "" {
		if meta, err = p.LoadModel(model); err != nil {
			return nil, nil, err
		}
	}
	return p, meta, nil
}

// interruptible returns a context cancelled by Ctrl-C or a kill
// (SIGTERM), so that a run ends with its outputs whole.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// runTrain runs "gtn train PIPELINE [--out MODEL] [--resume]".
func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gtn train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "model file to write (atomically, after every epoch); default: PIPELINE's name + .msgpack")
	resume := fs.Bool("resume", false, "continue from the epoch recorded in --out")
	epochs := fs.Int("epochs", 0, "override the number of epochs of the train section")
	seed := fs.Uint64("seed", 0, "override the train section's seed (the examples' order and distortions), to train several experts from one file")
	init := fs.String("model", "", "start from this model file's parameters")
	quiet := fs.Bool("quiet", false, "no progress bars")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: gtn train PIPELINE [--out MODEL] [--resume] [--epochs N] [--seed N] [--quiet]

Trains a pipeline with its train section (loss, data, optimizer, schedule, epochs) and,
after each epoch, evaluates it with its eval section and checkpoints the model.

Examples:
  gtn train pipelines/mnist-lenet5.yaml --out lenet5.msgpack
  gtn train pipelines/mnist-lenet5.yaml --out lenet5.msgpack --resume

Flags:
`)
		fs.PrintDefaults()
	}
	files, code, ok := parseCommand(fs, args, 1, 1)
	if !ok {
		return code
	}
	p, err := loadPipeline(files[0], *init)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg, err := p.TrainConfig()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			cfg.Seed = *seed
		}
	})
	if *out == "" {
		*out = p.Spec.Name + ".msgpack"
	}
	opt := pipelines.TrainOptions{Out: *out, Resume: *resume, Epochs: *epochs, Log: stdout}
	if !*quiet && progress.IsTerminal(stderr) {
		opt.Progress = stderr
	}
	ctx, stop := interruptible()
	defer stop()
	if err := p.Train(ctx, cfg, opt); err != nil {
		fmt.Fprintln(stderr, "gtn train:", err)
		return 1
	}
	fmt.Fprintf(stdout, "model written to %s\n", *out)
	return 0
}

// runEval runs "gtn eval PIPELINE [--model MODEL] [--json]".
func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gtn eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model file (default: the weights the pipeline's nodes name)")
	jsonOut := fs.Bool("json", false, "print the metrics as one JSON object")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: gtn eval PIPELINE [--model MODEL] [--json]

Evaluates a pipeline on the data of its eval section: error rate (answers that differ from
the target), string accuracy, character error rate, and speed.

Example:
  gtn eval pipelines/mnist-lenet5.yaml --model lenet5.msgpack --json

Flags:
`)
		fs.PrintDefaults()
	}
	files, code, ok := parseCommand(fs, args, 1, 1)
	if !ok {
		return code
	}
	p, err := loadPipeline(files[0], *model)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg, err := p.EvalConfig()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, stop := interruptible()
	defer stop()
	res, err := p.Evaluate(ctx, cfg, nil)
	if err != nil {
		fmt.Fprintln(stderr, "gtn eval:", err)
		return 1
	}
	if *jsonOut && res.Report != nil {
		if err := json.NewEncoder(stdout).Encode(res.Report); err != nil {
			return 1
		}
		return 0
	}
	if *jsonOut {
		m := map[string]any{}
		for k, v := range res.Metrics {
			if k == "errors" || k == "total" {
				m[k] = int(v)
			} else {
				m[k] = v
			}
		}
		if err := json.NewEncoder(stdout).Encode(m); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintln(stdout, strings.TrimSpace(res.Summary()))
	return 0
}
