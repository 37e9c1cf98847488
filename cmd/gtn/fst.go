package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/internal/atomicfile"
)

// fstCommand is one "gtn fst" subcommand.
type fstCommand struct {
	args    string // positional arguments, for usage
	summary string
	example string
	minArgs int
	maxArgs int // -1: any number
	// flags declares the command's own flags; run executes it.
	flags func(fs *flag.FlagSet, o *fstOpts)
	run   func(c *fstCtx, gs []*graphs.Graph) error
}

// fstOpts are the flags of the fst subcommands.
type fstOpts struct {
	isyms, osyms string
	acceptor     bool
	out          string
	jsonOut      bool
	semiring     string
	beta         float64
	reverse      bool
	delta        float64
	nshortest    int
	output       bool
	plus         bool
	best         bool
	title        string
}

// fstCtx is what a subcommand runs with.
type fstCtx struct {
	opts         fstOpts
	isyms, osyms *graphs.SymbolTable
	stdout       io.Writer
	names        []string
}

func semiringFlag(fs *flag.FlagSet, o *fstOpts) {
	fs.StringVar(&o.semiring, "semiring", "tropical", "semiring: tropical (min, Viterbi) or log (log-sum-exp, forward)")
}

var fstCommands = map[string]*fstCommand{
	"info": {
		args: "G", summary: "print the size and properties of a graph", example: "gtn fst info lattice.txt",
		minArgs: 1, maxArgs: 1,
		flags: func(fs *flag.FlagSet, o *fstOpts) { fs.BoolVar(&o.jsonOut, "json", false, "print JSON") },
		run:   fstInfo,
	},
	"compose": {
		args: "A B", summary: "compose two transducers (output labels of A with input labels of B)",
		example: "gtn fst compose recog.txt grammar.txt > interp.txt", minArgs: 2, maxArgs: 2,
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			g, _, err := graphs.Compose(gs[0], gs[1])
			if err != nil {
				return err
			}
			return c.write(g)
		},
	},
	"intersect": {
		args: "A B", summary: "intersect two acceptors", example: "gtn fst intersect a.txt b.txt",
		minArgs: 2, maxArgs: 2,
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			g, _, err := graphs.Intersect(gs[0], gs[1])
			if err != nil {
				return err
			}
			return c.write(g)
		},
	},
	"forward": {
		args: "G", summary: "free energy F = -1/beta log sum over paths exp(-beta E) (log-semiring total)",
		example: "gtn fst forward lattice.txt --json", minArgs: 1, maxArgs: 1,
		flags: func(fs *flag.FlagSet, o *fstOpts) {
			fs.BoolVar(&o.jsonOut, "json", false, `print {"free_energy": F}`)
			fs.Float64Var(&o.beta, "beta", 1, "inverse temperature (> 0)")
		},
		run: fstForward,
	},
	"viterbi": {
		args: "G", summary: "the lowest-energy path: its energy and labels",
		example: "gtn fst viterbi lattice.txt --json", minArgs: 1, maxArgs: 1,
		flags: func(fs *flag.FlagSet, o *fstOpts) {
			fs.BoolVar(&o.jsonOut, "json", false, `print {"energy": E, "ilabels": [...], "olabels": [...]}`)
			fs.IntVar(&o.nshortest, "nbest", 1, "print the n best paths (JSON: one object a line)")
		},
		run: fstViterbi,
	},
	"shortestdistance": {
		args: "G", summary: "per-state shortest distance from the start (to the finals with --reverse)",
		example: "gtn fst shortestdistance --semiring log --reverse lattice.txt", minArgs: 1, maxArgs: 1,
		flags: func(fs *flag.FlagSet, o *fstOpts) {
			semiringFlag(fs, o)
			fs.BoolVar(&o.reverse, "reverse", false, "distances to the final states")
			fs.Float64Var(&o.delta, "delta", 0, "convergence delta for cyclic graphs (0: default)")
			fs.BoolVar(&o.jsonOut, "json", false, "print a JSON array")
		},
		run: fstShortestDistance,
	},
	"draw": {
		args: "G", summary: "write Graphviz DOT", example: "gtn fst draw --best lattice.txt | dot -Tsvg > lattice.svg",
		minArgs: 1, maxArgs: 1,
		flags: func(fs *flag.FlagSet, o *fstOpts) {
			fs.BoolVar(&o.best, "best", false, "highlight the lowest-energy path")
			fs.StringVar(&o.title, "title", "", "title of the drawing")
		},
		run: fstDraw,
	},
	"rmepsilon": {
		args: "G", summary: "remove epsilon arcs (input and output label 0)", example: "gtn fst rmepsilon g.txt",
		minArgs: 1, maxArgs: 1, flags: func(fs *flag.FlagSet, o *fstOpts) { semiringFlag(fs, o) },
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			sr, err := c.semiring()
			if err != nil {
				return err
			}
			g, _, err := graphs.RmEpsilon(gs[0], sr)
			return c.writeOrErr(g, err)
		},
	},
	"determinize": {
		args: "G", summary: "determinize a weighted acceptor (epsilon-free)", example: "gtn fst determinize --semiring log g.txt",
		minArgs: 1, maxArgs: 1, flags: func(fs *flag.FlagSet, o *fstOpts) { semiringFlag(fs, o) },
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			sr, err := c.semiring()
			if err != nil {
				return err
			}
			g, _, err := graphs.Determinize(gs[0], sr, nil)
			return c.writeOrErr(g, err)
		},
	},
	"minimize": {
		args: "G", summary: "minimize a deterministic weighted acceptor", example: "gtn fst minimize det.txt",
		minArgs: 1, maxArgs: 1, flags: func(fs *flag.FlagSet, o *fstOpts) { semiringFlag(fs, o) },
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			sr, err := c.semiring()
			if err != nil {
				return err
			}
			g, _, err := graphs.Minimize(gs[0], sr)
			return c.writeOrErr(g, err)
		},
	},
	"project": {
		args: "G", summary: "keep the input labels (--output: the output labels) as an acceptor",
		example: "gtn fst project --output t.txt", minArgs: 1, maxArgs: 1,
		flags: func(fs *flag.FlagSet, o *fstOpts) { fs.BoolVar(&o.output, "output", false, "project on output labels") },
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			side := graphs.ProjectInput
			if c.opts.output {
				side = graphs.ProjectOutput
			}
			g, _ := graphs.Project(gs[0], side)
			return c.write(g)
		},
	},
	"invert": {
		args: "G", summary: "swap input and output labels", example: "gtn fst invert t.txt", minArgs: 1, maxArgs: 1,
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			g, _ := graphs.Invert(gs[0])
			return c.write(g)
		},
	},
	"reverse": {
		args: "G", summary: "reverse every path", example: "gtn fst reverse g.txt", minArgs: 1, maxArgs: 1,
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			g, _ := graphs.Reverse(gs[0])
			return c.write(g)
		},
	},
	"union": {
		args: "G...", summary: "union of graphs", example: "gtn fst union a.txt b.txt", minArgs: 1, maxArgs: -1,
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			g, _ := graphs.Union(gs...)
			return c.write(g)
		},
	},
	"concat": {
		args: "G...", summary: "concatenation of graphs", example: "gtn fst concat a.txt b.txt", minArgs: 1, maxArgs: -1,
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			g, _ := graphs.Concat(gs...)
			return c.write(g)
		},
	},
	"closure": {
		args: "G", summary: "Kleene closure (star; --plus for one or more)", example: "gtn fst closure digit.txt",
		minArgs: 1, maxArgs: 1,
		flags: func(fs *flag.FlagSet, o *fstOpts) { fs.BoolVar(&o.plus, "plus", false, "one or more repetitions") },
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			kind := graphs.ClosureStar
			if c.opts.plus {
				kind = graphs.ClosurePlus
			}
			g, _ := graphs.Closure(gs[0], kind)
			return c.write(g)
		},
	},
	"connect": {
		args: "G", summary: "remove states not on a successful path", example: "gtn fst connect g.txt",
		minArgs: 1, maxArgs: 1,
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			g, _ := graphs.Connect(gs[0])
			return c.write(g)
		},
	},
	"topsort": {
		args: "G", summary: "renumber the states of an acyclic graph in topological order",
		example: "gtn fst topsort g.txt", minArgs: 1, maxArgs: 1,
		run: func(c *fstCtx, gs []*graphs.Graph) error {
			g, _, err := graphs.TopSorted(gs[0])
			return c.writeOrErr(g, err)
		},
	},
}

func fstUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: gtn fst COMMAND [flags] FILE...

Weighted graph operations on OpenFst AT&T text files ("src dst ilabel olabel [energy]" arc
lines, "state [energy]" final lines; the first line's source is the start state). Energies
are costs: lower is better. "-" reads standard input. Results go to standard output
(or -o FILE; a FILE ending in .msgpack is written in gotn's binary form, which is also
read wherever a graph is).

Commands:
`)
	names := make([]string, 0, len(fstCommands))
	for n := range fstCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := fstCommands[n]
		fmt.Fprintf(w, "  %-17s %s\n", n+" "+c.args, c.summary)
	}
	fmt.Fprint(w, `
Flags common to all commands: --isymbols FILE, --osymbols FILE (symbol tables for
labels), --acceptor (one label per arc line), -o FILE.
"gtn fst COMMAND -h" shows a command's flags and an example.
Exit codes: 0 ok, 1 bad input (the message names the file and line), 2 usage.
`)
}

// runFst runs "gtn fst ARGS".
func runFst(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			fstUsage(stderr)
			return 2
		}
		fstUsage(stdout)
		return 0
	}
	name := args[0]
	cmd, ok := fstCommands[name]
	if !ok {
		fmt.Fprintf(stderr, "gtn fst: unknown command %q (see gtn fst -h)\n", name)
		return 2
	}
	var o fstOpts
	fs := flag.NewFlagSet("gtn fst "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.isyms, "isymbols", "", "input symbol table (OpenFst text)")
	fs.StringVar(&o.osyms, "osymbols", "", "output symbol table (OpenFst text)")
	fs.BoolVar(&o.acceptor, "acceptor", false, "acceptor format: one label per arc line")
	fs.StringVar(&o.out, "o", "", "write the result to this file (.msgpack: binary)")
	if cmd.flags != nil {
		cmd.flags(fs, &o)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: gtn fst %s [flags] %s\n\n%s.\n\nExample:\n  %s\n\nFlags:\n", name, cmd.args, cmd.summary, cmd.example)
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(files) < cmd.minArgs || (cmd.maxArgs >= 0 && len(files) > cmd.maxArgs) {
		fmt.Fprintf(stderr, "gtn fst %s: want %s, got %d file(s)\n", name, cmd.args, len(files))
		fs.Usage()
		return 2
	}
	c := &fstCtx{opts: o, stdout: stdout, names: files}
	if err := c.loadSymbols(); err != nil {
		fmt.Fprintf(stderr, "gtn fst %s: %v\n", name, err)
		return 1
	}
	gs := make([]*graphs.Graph, len(files))
	for i, f := range files {
		if gs[i], err = c.readGraph(f, stdin); err != nil {
			fmt.Fprintf(stderr, "gtn fst %s: %v\n", name, err)
			return 1
		}
	}
	if err := cmd.run(c, gs); err != nil {
		fmt.Fprintf(stderr, "gtn fst %s: %v\n", name, err)
		return 1
	}
	return 0
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, and returns the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (c *fstCtx) loadSymbols() error {
	load := func(path string) (*graphs.SymbolTable, error) {
		if path == "" {
			return nil, nil
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return graphs.ReadSymbols(f, path)
	}
	var err error
	if c.isyms, err = load(c.opts.isyms); err != nil {
		return err
	}
	c.osyms, err = load(c.opts.osyms)
	return err
}

func (c *fstCtx) textOptions() *graphs.TextOptions {
	return &graphs.TextOptions{ISymbols: c.isyms, OSymbols: c.osyms, Acceptor: c.opts.acceptor}
}

// readGraph reads AT&T text or gotn's binary form from path ("-": stdin).
func (c *fstCtx) readGraph(path string, stdin io.Reader) (*graphs.Graph, error) {
	var r io.Reader = stdin
	name := "<stdin>"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, path
	}
	br := bufio.NewReaderSize(r, 1<<16)
	// gotn's binary form is a msgpack map; AT&T text starts with a digit.
	if head, _ := br.Peek(1); len(head) == 1 && (head[0]&0xf0 == 0x80 || head[0] == 0xde || head[0] == 0xdf) {
		g, err := graphs.ReadBinary(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return g, nil
	}
	return graphs.ReadText(br, name, c.textOptions())
}

func (c *fstCtx) writeOrErr(g *graphs.Graph, err error) error {
	if err != nil {
		return err
	}
	return c.write(g)
}

// write writes g to -o FILE (atomically) or standard output.
func (c *fstCtx) write(g *graphs.Graph) error {
	opt := c.textOptions()
	if opt.Acceptor && !g.IsAcceptor() {
		opt.Acceptor = false
	}
	if c.opts.out == "" {
		return graphs.WriteText(c.stdout, g, opt)
	}
	var buf bytes.Buffer
	var err error
	if strings.HasSuffix(c.opts.out, ".msgpack") {
		err = graphs.WriteBinary(&buf, g)
	} else {
		err = graphs.WriteText(&buf, g, opt)
	}
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(c.opts.out, buf.Bytes())
}

func (c *fstCtx) semiring() (graphs.Semiring, error) {
	switch c.opts.semiring {
	case "tropical", "standard":
		return graphs.Tropical, nil
	case "log":
		return graphs.Log, nil
	}
	return 0, fmt.Errorf("unknown semiring %q (want tropical or log)", c.opts.semiring)
}

// jsonFloat is a float64 that encodes +Inf and NaN as null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (c *fstCtx) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	return enc.Encode(v)
}

func fstInfo(c *fstCtx, gs []*graphs.Graph) error {
	g := gs[0]
	finals, eps := 0, 0
	for s := range g.NumStates() {
		if g.IsFinal(s) {
			finals++
		}
	}
	for a := range g.NumArcs() {
		if g.ILabel(a) == graphs.Epsilon && g.OLabel(a) == graphs.Epsilon {
			eps++
		}
	}
	info := struct {
		File         string `json:"file"`
		States       int    `json:"states"`
		Arcs         int    `json:"arcs"`
		FinalStates  int    `json:"final_states"`
		Start        int    `json:"start"`
		EpsilonArcs  int    `json:"epsilon_arcs"`
		Acceptor     bool   `json:"acceptor"`
		Acyclic      bool   `json:"acyclic"`
		ILabelSorted bool   `json:"ilabel_sorted"`
		OLabelSorted bool   `json:"olabel_sorted"`
	}{c.names[0], g.NumStates(), g.NumArcs(), finals, g.Start(), eps, g.IsAcceptor(), graphs.IsAcyclic(g),
		g.Has(graphs.ILabelSorted), g.Has(graphs.OLabelSorted)}
	if c.opts.jsonOut {
		return c.printJSON(info)
	}
	fmt.Fprintf(c.stdout, "file           %s\nstates         %d\narcs           %d\nfinal states   %d\nstart state    %d\nepsilon arcs   %d\nacceptor       %v\nacyclic        %v\nilabel sorted  %v\nolabel sorted  %v\n",
		info.File, info.States, info.Arcs, info.FinalStates, info.Start, info.EpsilonArcs, info.Acceptor, info.Acyclic, info.ILabelSorted, info.OLabelSorted)
	return nil
}

func fstForward(c *fstCtx, gs []*graphs.Graph) error {
	if !(c.opts.beta > 0) {
		return fmt.Errorf("--beta must be > 0, got %v", c.opts.beta)
	}
	f, err := graphs.Forward(gs[0], c.opts.beta)
	empty := errors.Is(err, graphs.ErrNoPath)
	if err != nil && !empty {
		return err
	}
	if c.opts.jsonOut {
		if empty {
			return c.printJSON(map[string]any{"free_energy": nil, "empty": true})
		}
		return c.printJSON(map[string]any{"free_energy": jsonFloat(f)})
	}
	if empty {
		fmt.Fprintln(c.stdout, "no path reaches a final state")
		return nil
	}
	fmt.Fprintf(c.stdout, "free energy %.10g\n", f)
	return nil
}

func (c *fstCtx) labels(ls []int32, syms *graphs.SymbolTable) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprint(l)
		if syms != nil {
			if s, ok := syms.Symbol(l); ok {
				parts[i] = s
			}
		}
	}
	return strings.Join(parts, " ")
}

func fstViterbi(c *fstCtx, gs []*graphs.Graph) error {
	g := gs[0]
	if c.opts.nshortest < 1 {
		return fmt.Errorf("--nbest must be >= 1, got %d", c.opts.nshortest)
	}
	paths, err := graphs.NBest(g, c.opts.nshortest)
	if err != nil && !errors.Is(err, graphs.ErrNoPath) {
		return err
	}
	type result struct {
		Energy  *jsonFloat `json:"energy"`
		ILabels []int32    `json:"ilabels"`
		OLabels []int32    `json:"olabels"`
		Empty   bool       `json:"empty,omitempty"`
	}
	if len(paths) == 0 {
		if c.opts.jsonOut {
			return c.printJSON(result{ILabels: []int32{}, OLabels: []int32{}, Empty: true})
		}
		fmt.Fprintln(c.stdout, "no path reaches a final state")
		return nil
	}
	osyms := c.osyms
	if osyms == nil && c.opts.acceptor {
		osyms = c.isyms
	}
	for i, p := range paths {
		il, ol := p.ILabels(g), p.OLabels(g)
		if il == nil {
			il = []int32{}
		}
		if ol == nil {
			ol = []int32{}
		}
		if c.opts.jsonOut {
			e := jsonFloat(p.Energy)
			if err := c.printJSON(result{Energy: &e, ILabels: il, OLabels: ol}); err != nil {
				return err
			}
			continue
		}
		if len(paths) > 1 {
			fmt.Fprintf(c.stdout, "%d. ", i+1)
		}
		fmt.Fprintf(c.stdout, "energy %.10g\ninput  %s\noutput %s\n", p.Energy, c.labels(il, c.isyms), c.labels(ol, osyms))
	}
	return nil
}

func fstShortestDistance(c *fstCtx, gs []*graphs.Graph) error {
	sr, err := c.semiring()
	if err != nil {
		return err
	}
	d, err := graphs.ShortestDistance(gs[0], sr, &graphs.DistanceOptions{Reverse: c.opts.reverse, Delta: c.opts.delta})
	if err != nil {
		return err
	}
	if c.opts.jsonOut {
		out := make([]jsonFloat, len(d))
		for i, v := range d {
			out[i] = jsonFloat(v)
		}
		return c.printJSON(out)
	}
	bw := bufio.NewWriter(c.stdout)
	for s, v := range d {
		if math.IsInf(v, 1) {
			fmt.Fprintf(bw, "%d\tInfinity\n", s)
		} else {
			fmt.Fprintf(bw, "%d\t%.10g\n", s, v)
		}
	}
	return bw.Flush()
}

func fstDraw(c *fstCtx, gs []*graphs.Graph) error {
	g := gs[0]
	opt := &graphs.DOTOptions{ISymbols: c.isyms, OSymbols: c.osyms, Title: c.opts.title}
	if c.opts.best {
		p, err := graphs.Viterbi(g)
		if err != nil && !errors.Is(err, graphs.ErrNoPath) {
			return err
		}
		opt.HighlightArcs = p.Arcs
	}
	if c.opts.out == "" {
		return graphs.WriteDOT(c.stdout, g, opt)
	}
	var buf bytes.Buffer
	if err := graphs.WriteDOT(&buf, g, opt); err != nil {
		return err
	}
	return atomicfile.WriteFile(c.opts.out, buf.Bytes())
}
