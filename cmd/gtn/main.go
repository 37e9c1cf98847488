// Command gtn is the command-line interface of gotn: it runs weighted-graph
// operations (gtn fst) and, as the project grows, trains, evaluates and runs
// graph transformer networks described by pipeline files.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `gtn: graph transformer networks

Usage:
  gtn read IMAGE...                 read the courtesy amount of check images (gtn read -h)
  gtn train PIPELINE [--out MODEL]  train a pipeline with its train section (gtn train -h)
  gtn eval PIPELINE [--model MODEL] evaluate a pipeline with its eval section (gtn eval -h)
  gtn run PIPELINE INPUT...         run a pipeline file on inputs (gtn run -h)
  gtn batch PIPELINE --in DIR --out RESULTS.jsonl
                                    run a pipeline over folders or streams of images (gtn batch -h)
  gtn nodes [--markdown]            list the node types pipeline files can use
  gtn fst COMMAND [flags] FILE...   weighted graph operations (gtn fst -h)
  gtn mnist COMMAND [flags]         train and evaluate LeNet on MNIST (gtn mnist -h)
  gtn gen checks --out DIR [flags]  generate synthetic bank checks (gtn gen checks -h)
  gtn gen strings --out DIR [flags] generate handwritten digit strings (gtn gen strings -h)

Exit codes: 0 ok, 1 failure (bad input), 2 usage error.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "fst":
		return runFst(args[1:], stdin, stdout, stderr)
	case "mnist":
		return runMnist(args[1:], stdout, stderr)
	case "nodes":
		return runNodes(args[1:], stdout, stderr)
	case "run":
		return runPipeline(args[1:], stdin, stdout, stderr)
	case "train":
		return runTrain(args[1:], stdout, stderr)
	case "eval":
		return runEval(args[1:], stdout, stderr)
	case "batch":
		return runBatch(args[1:], stdin, stdout, stderr)
	case "read":
		return runRead(args[1:], stdout, stderr)
	case "gen":
		return runGen(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "gtn: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// parseCommand parses a subcommand's flags, which may come before, between
// or after its positional arguments, and checks that there are between
// minArgs and maxArgs of those (maxArgs < 0: no limit). When ok is false the
// command must exit with code: 0 after -h, 2 on a usage error (the usage
// has been printed).
func parseCommand(fs *flag.FlagSet, args []string, minArgs, maxArgs int) (pos []string, code int, ok bool) {
	pos, err := parseInterleaved(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, 0, false
	case err != nil:
		return nil, 2, false
	case len(pos) < minArgs || (maxArgs >= 0 && len(pos) > maxArgs):
		fs.Usage()
		return nil, 2, false
	}
	return pos, 0, true
}
