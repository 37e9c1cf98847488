package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gotn/gotn/batch"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/pipelines"
)

// runNodes runs "gtn nodes [--markdown]".
func runNodes(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gtn nodes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	markdown := fs.Bool("markdown", false, "write the pipeline reference in Markdown (docs/pipelines.md)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: gtn nodes [--markdown]\n\nLists the node types pipeline files can use.\n\nExample:\n  gtn nodes --markdown > docs/pipelines.md\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if _, code, ok := parseCommand(fs, args, 0, 0); !ok {
		return code
	}
	reg := pipelines.DefaultRegistry()
	var err error
	if *markdown {
		err = reg.WriteMarkdown(stdout)
	} else {
		err = reg.WriteList(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "gtn nodes:", err)
		return 1
	}
	return 0
}

// runPipeline runs "gtn run PIPELINE INPUT...".
func runPipeline(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gtn run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model file (default: the weights the pipeline's nodes name)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: gtn run PIPELINE [--model MODEL] INPUT...

Runs a pipeline file on its inputs and prints one JSON line per run. A pipeline with one
image input takes image files (PNG, JPEG, TIFF with every page, BMP, GIF). A pipeline with
k inputs takes its inputs k at a time, in the order the file declares them: a tokens input
is a string split at white space, a graph input an AT&T text file. When the output is a
graph, the line holds its best answer: {"text", "labels", "energy", "confidence"}.

Examples:
  gtn run pipelines/mnist-lenet5.yaml --model lenet5.msgpack digit.png
  gtn run pipelines/edit-distance.yaml kitten sitting
`)
		fs.PrintDefaults()
	}
	files, code, ok := parseCommand(fs, args, 1, -1)
	if !ok {
		return code
	}
	p, err := loadPipeline(files[0], *model)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	inputs := files[1:]
	if len(p.Spec.Inputs) == 1 {
		switch p.Spec.Inputs[0].Type {
		case pipelines.ImageType:
			return runImages(p, inputs, stdout, stderr)
		case pipelines.SentenceType:
			return runSentences(p, inputs, stdin, stdout, stderr)
		}
	}
	k := len(p.Spec.Inputs)
	if len(inputs) == 0 || len(inputs)%k != 0 {
		fmt.Fprintf(stderr, "gtn run: %s takes %d input(s) per run, got %d arguments\n", files[0], k, len(inputs))
		return 2
	}
	enc := json.NewEncoder(stdout)
	code = 0
	for i := 0; i < len(inputs); i += k {
		group := inputs[i : i+k]
		rec := map[string]any{"input": group}
		if err := runOnce(p, group, rec); err != nil {
			rec["error"] = err.Error()
			code = 1
		}
		if err := enc.Encode(rec); err != nil {
			fmt.Fprintln(stderr, "gtn run:", err)
			return 1
		}
	}
	return code
}

// runImages runs an image pipeline on image files (every page of each), in
// order, printing one JSON line per page.
func runImages(p *pipelines.Pipeline, files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintf(stderr, "gtn run: %s takes image files\n", p.Spec.File)
		return 2
	}
	proc, err := p.Processor()
	if err != nil {
		fmt.Fprintln(stderr, "gtn run:", err)
		return 1
	}
	sink := &stdoutSink{enc: json.NewEncoder(stdout)}
	ctx, stop := interruptible()
	defer stop()
	if _, err := batch.RunTo(ctx, batch.Files(files...), sink, proc, batch.Options{Ordered: true, Force: true}); err != nil {
		fmt.Fprintln(stderr, "gtn run:", err)
		return 1
	}
	if sink.failed {
		return 1
	}
	return 0
}

// runSentences tags CoNLL files (standard input without files), writing
// them to standard output with the predicted labels as a new last column.
func runSentences(p *pipelines.Pipeline, files []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, f := range files {
		r, name := stdin, "<stdin>"
		if f != "-" {
			file, err := os.Open(f)
			if err != nil {
				fmt.Fprintln(stderr, "gtn run:", err)
				return 1
			}
			defer file.Close()
			r, name = file, f
		}
		if err := p.Tag(r, name, stdout); err != nil {
			fmt.Fprintln(stderr, "gtn run:", err)
			return 1
		}
	}
	return 0
}

// runOnce runs p on one group of command-line inputs and adds the result
// to rec.
func runOnce(p *pipelines.Pipeline, args []string, rec map[string]any) error {
	vals := make([]any, len(args))
	for j, in := range p.Spec.Inputs {
		switch in.Type {
		case pipelines.TokensType:
			vals[j] = strings.Fields(args[j])
		case pipelines.GraphType:
			f, err := os.Open(args[j])
			if err != nil {
				return err
			}
			g, err := graphs.ReadText(f, args[j], nil)
			f.Close()
			if err != nil {
				return err
			}
			vals[j] = g
		default:
			return fmt.Errorf("input %s: %s inputs are not supported on the command line yet", in.Name, in.Type)
		}
	}
	rc := &pipelines.RunContext{Tape: gtn.NewTape(nil)}
	for j, v := range vals {
		if g, ok := v.(*graphs.Graph); ok {
			vals[j] = rc.Tape.Graph(g)
		}
	}
	out, err := p.Run(rc, vals...)
	if err != nil {
		return err
	}
	switch v := out.(type) {
	case *gtn.GraphVar:
		ans, err := pipelines.Interpret(v.G, p.Symbols)
		if err != nil {
			return err
		}
		rec["text"], rec["labels"], rec["energy"], rec["confidence"] = ans.Text, ans.Labels, ans.Energy, ans.Confidence
	case []string:
		rec["tokens"] = v
	default:
		rec["output"] = fmt.Sprint(v)
	}
	return nil
}
