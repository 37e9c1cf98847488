package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gotn/gotn/datasets"
)

const genUsage = `Usage: gtn gen COMMAND [flags]

Generate data sets.

Commands:
  checks   synthetic bank checks (or their amount fields) with their amounts
  strings  strings of handwritten MNIST digits, touching and interleaved

Run gtn gen COMMAND -h for the flags of a command.
Exit codes: 0 ok, 1 failure (bad input, missing data), 2 usage error.
`

// runGen runs "gtn gen ...".
func runGen(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, genUsage)
		return 2
	}
	switch args[0] {
	case "checks":
		return genChecks(args[1:], stdout, stderr)
	case "strings":
		return genStrings(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, genUsage)
		return 0
	}
	fmt.Fprintf(stderr, "gtn gen: unknown command %q\n\n%s", args[0], genUsage)
	return 2
}

// genChecks runs "gtn gen checks --out DIR ...".
func genChecks(args []string, stdout, stderr io.Writer) int {
	const cmd = "gtn gen checks"
	def := datasets.DefaultChecks()
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write the PNG files and labels.tsv to (created if needed)")
	count := fs.Int("count", 10, "number of checks")
	from := fs.Int("from", 0, "index of the first check: checks from..from+count-1 are written, named by index (000042.png)")
	seed := fs.Uint64("seed", 1, "seed: check i is a function of (seed, i) and the flags")
	style := fs.String("style", def.Style, "amount style: us ($1,234.56, $75 50/100, $1,000.--), latin (1.234.-, 15.500=) or mixed")
	field := fs.Bool("field", false, "write only the amount field, cropped with a random margin")
	dpi := fs.Int("dpi", def.MinDPI, "scanning resolution, dots per inch")
	maxDPI := fs.Int("max-dpi", 0, "if above --dpi, each check draws its resolution in [dpi, max-dpi]")
	skew := fs.Float64("skew", def.MaxSkew, "largest rotation, degrees")
	noise := fs.Float64("noise", def.Noise, "largest standard deviation of the scanner noise (grey levels in [0, 1])")
	background := fs.Float64("background", def.Background, "probability of a security background pattern")
	fonts := fs.Float64("fonts", def.FontShare, "share of amounts written with a handwriting font (0: MNIST digits and drawn symbols only)")
	fontFiles := fs.String("font-files", strings.Join(def.Fonts, ","), "handwriting fonts, comma-separated TrueType files")
	split := fs.String("split", "test", "MNIST split whose digits write the amounts: test or train (keep train for training data)")
	data := fs.String("data", "", "directory of the MNIST files (default: $GTN_DATA/mnist, then the GoMNIST module)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: gtn gen checks --out DIR [--count N] [--seed S] [--style us|latin|mixed] [--field] [--dpi D] [flags]

Writes synthetic bank checks as grey PNG files (dark ink on white paper) and DIR/labels.tsv, a
header then one line per check: file, text as written ("$1,234.56"), digits ("123456"),
amount ("1234.56"; Latin amounts are integers, "1234"), the amount field's box x0 y0 x1 y1 and
the style. Full checks have a printed form, a date, a payee, the amount in words, a memo, a
signature, a MICR line, security backgrounds, scanner noise and a skew; the courtesy amount is
written with MNIST digits and hand-drawn symbols, or with a handwriting font
(apt-get install fonts-dkg-handwriting fonts-kristi; without them, digits and drawn symbols only).
Lines of other files already in DIR/labels.tsv are kept, so several runs can fill one directory.

Examples:
  gtn gen checks --out checks --count 1000
  gtn gen checks --out fields --count 5000 --field --style mixed --dpi 150 --max-dpi 300 --split train
  gtn gen checks --out demo --count 4 --style us --seed 7
  gtn gen checks --out demo --count 2 --from 4 --style latin --seed 7

Flags:
`)
		fs.PrintDefaults()
	}
	if _, code, ok := parseCommand(fs, args, 0, 0); !ok {
		return code
	}
	switch {
	case *out == "":
		return exitCode(stderr, cmd, usagef("want --out DIR"))
	case *count < 1 || *from < 0:
		return exitCode(stderr, cmd, usagef("--count %d --from %d: want count >= 1, from >= 0", *count, *from))
	case *split != "train" && *split != "test":
		return exitCode(stderr, cmd, usagef("--split %q: want train or test", *split))
	}
	cfg := def
	cfg.Style, cfg.FieldOnly, cfg.MinDPI, cfg.MaxDPI = *style, *field, *dpi, max(*dpi, *maxDPI)
	cfg.MaxSkew, cfg.Noise, cfg.Background, cfg.FontShare = *skew, *noise, *background, *fonts
	cfg.Fonts = nil
	for _, f := range strings.Split(*fontFiles, ",") {
		if f = strings.TrimSpace(f); f != "" {
			cfg.Fonts = append(cfg.Fonts, f)
		}
	}
	if err := cfg.Check(); err != nil {
		return exitCode(stderr, cmd, usageError{err.Error()})
	}
	m, err := loadMNISTSplit(*data, *split)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	c, err := datasets.NewChecks(m, *from+*count, *seed, cfg)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	if err := c.FontError(); err != nil && cfg.FontShare > 0 {
		fmt.Fprintf(stderr, "%s: warning: %v\n", cmd, err)
	}
	if err := datasets.WriteChecks(*out, c, *from, *from+*count); err != nil {
		return exitCode(stderr, cmd, err)
	}
	fmt.Fprintf(stdout, "wrote %d checks to %s (labels in %s/labels.tsv)\n", *count, *out, *out)
	return 0
}

// genStrings runs "gtn gen strings --out DIR ...".
func genStrings(args []string, stdout, stderr io.Writer) int {
	const cmd = "gtn gen strings"
	def := datasets.DefaultDigitStrings()
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write the PNG files and labels.tsv to (created if needed)")
	count := fs.Int("count", 1000, "number of strings")
	seed := fs.Uint64("seed", 7, "seed: string i is a function of (seed, i) and the flags")
	minLen := fs.Int("min", 3, "fewest digits")
	maxLen := fs.Int("max", 6, "most digits")
	minGap := fs.Float64("min-gap", def.MinGap, "smallest gap between neighbours' ink, pixels (negative: touching, overlapping)")
	maxGap := fs.Float64("max-gap", def.MaxGap, "largest gap, pixels")
	noise := fs.Float64("noise", def.Noise, "largest standard deviation of the added noise (ink in [0, 1])")
	split := fs.String("split", "test", "MNIST split whose digits write the strings: test or train (keep train for training data)")
	data := fs.String("data", "", "directory of the MNIST files (default: $GTN_DATA/mnist, then the GoMNIST module)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: gtn gen strings --out DIR [--count N] [--seed S] [--min L] [--max L] [flags]

Writes strings of handwritten MNIST digits side by side, touching and interleaved, as grey PNG
files (dark ink on white paper) and DIR/labels.tsv, a header then one "file<TAB>digits" line per image: the
layout of the string-images data source and of gtn batch. String i depends only on the seed,
the flags and i; test strings are made of MNIST test digits only.

Examples:
  gtn gen strings --out strings --count 2000 --min 3 --max 6
  gtn gen strings --out five --count 2000 --min 5 --max 5

Flags:
`)
		fs.PrintDefaults()
	}
	if _, code, ok := parseCommand(fs, args, 0, 0); !ok {
		return code
	}
	switch {
	case *out == "":
		return exitCode(stderr, cmd, usagef("want --out DIR"))
	case *count < 1:
		return exitCode(stderr, cmd, usagef("--count %d: want at least 1", *count))
	case *split != "train" && *split != "test":
		return exitCode(stderr, cmd, usagef("--split %q: want train or test", *split))
	}
	cfg := def
	cfg.MinLen, cfg.MaxLen = *minLen, *maxLen
	cfg.MinGap, cfg.MaxGap, cfg.Noise = *minGap, *maxGap, *noise
	if err := cfg.Check(); err != nil {
		return exitCode(stderr, cmd, usageError{err.Error()})
	}
	m, err := loadMNISTSplit(*data, *split)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	d, err := datasets.NewDigitStrings(m, *count, *seed, cfg)
	if err != nil {
		return exitCode(stderr, cmd, err)
	}
	if err := datasets.WriteDigitStrings(*out, d, 0, *count); err != nil {
		return exitCode(stderr, cmd, err)
	}
	fmt.Fprintf(stdout, "wrote %d strings to %s (labels in %s/labels.tsv)\n", *count, *out, *out)
	return 0
}

// loadMNISTSplit loads one split of MNIST as loadMNIST does.
func loadMNISTSplit(dir, split string) (*datasets.MNIST, error) {
	d, err := loadMNIST(dir, 0, split == "train", split == "test")
	if err != nil {
		return nil, err
	}
	if split == "train" {
		return d.train, nil
	}
	return d.test, nil
}
