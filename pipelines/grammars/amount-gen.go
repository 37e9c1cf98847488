//go:build ignore

// amount-gen writes the check-amount grammars of this directory:
//
//	go run pipelines/grammars/amount-gen.go pipelines/grammars
//
// The files it writes (amount.syms, amount-out.syms, amount-us.fst.txt,
// amount-latin.fst.txt, amount-any.fst.txt) are the ones pipelines read,
// and users may edit them directly; this program only documents how they
// were made and remakes them. amount.md describes them.
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// The energies of the rarer forms (a prior; NLL training of the recognizer
// adapts to them).
const (
	rareZero     = 0.5 // "0.xx": an amount under one unit
	rareFraction = 0.5 // cents written "xx/100"
	rareEnd      = 0.2 // closing marks ("-", "=", ".-")
	rareEnd2     = 0.5 // a second closing dash ("--", "=-")
)

// inSyms are the recognizer's classes, class c as label c+1 (0 is
// epsilon); "#" (not a character) has no arc in any grammar.
var inSyms = []string{"<eps>", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "#", "$", ",", ".", "-", "/", "="}

// outSyms spell what a path read, with the role of each mark. Symbols
// also in inSyms keep their label.
var outSyms = append(append([]string(nil), inSyms...), "th.", "dec,", "end.")

type arc struct {
	src, dst int
	in, out  string
	w        float64
}

type gram struct {
	ids    map[string]int
	arcs   []arc
	finals map[int]bool
}

func (g *gram) id(s string) int {
	if i, ok := g.ids[s]; ok {
		return i
	}
	g.ids[s] = len(g.ids)
	return g.ids[s]
}

func (g *gram) arc(src, dst, in, out string, w float64) {
	g.arcs = append(g.arcs, arc{g.id(src), g.id(dst), in, out, w})
}

// digits adds an arc per digit from lo to 9.
func (g *gram) digits(src, dst string, lo int, w float64) {
	for d := lo; d <= 9; d++ {
		g.arc(src, dst, strconv.Itoa(d), strconv.Itoa(d), w)
	}
}

func (g *gram) final(states ...string) {
	for _, s := range states {
		g.finals[g.id(s)] = true
	}
}

// build returns the grammar of US amounts, of Latin American and European
// amounts, or of both.
func build(us, latin bool) *gram {
	g := &gram{ids: map[string]int{}, finals: map[int]bool{}}
	g.id("start")
	g.arc("start", "cur", "$", "$", 0)
	for _, h := range []string{"start", "cur"} {
		g.digits(h, "a1", 1, 0)
		g.arc(h, "zero", "0", "0", rareZero)
	}
	// A plain integer: no leading zero, any length.
	g.digits("a1", "a2", 0, 0)
	g.digits("a2", "a3", 0, 0)
	g.digits("a3", "p4", 0, 0)
	g.digits("p4", "p4", 0, 0)
	plain := []string{"a1", "a2", "a3", "p4"}
	lead := []string{"a1", "a2", "a3"} // may start thousands groups
	complete := append([]string(nil), plain...)
	if us {
		// Comma thousands: 1-3 digits, then groups of ",ddd".
		for _, s := range lead {
			g.arc(s, "gu0", ",", ",", 0)
		}
		g.digits("gu0", "gu1", 0, 0)
		g.digits("gu1", "gu2", 0, 0)
		g.digits("gu2", "gu3", 0, 0)
		g.arc("gu3", "gu0", ",", ",", 0)
		ints := append(append([]string(nil), plain...), "gu3")
		for _, s := range ints {
			// Cents after a decimal point, or as a fraction "xx/100".
			g.arc(s, "ud0", ".", ".", 0)
			g.digits(s, "f1", 0, 0)
		}
		g.arc("zero", "ud0", ".", ".", 0)
		g.digits("ud0", "ud1", 0, 0)
		g.digits("ud1", "ud2", 0, 0)
		g.digits("f1", "f2", 0, 0)
		g.arc("f2", "f3", "/", "/", rareFraction)
		g.arc("f3", "f4", "1", "1", 0)
		g.arc("f4", "f5", "0", "0", 0)
		g.arc("f5", "f6", "0", "0", 0)
		complete = append(complete, "gu3", "ud2", "f6")
	}
	if latin {
		// Period thousands, and cents after a decimal comma.
		for _, s := range lead {
			g.arc(s, "gl0", ".", "th.", 0)
		}
		g.digits("gl0", "gl1", 0, 0)
		g.digits("gl1", "gl2", 0, 0)
		g.digits("gl2", "gl3", 0, 0)
		g.arc("gl3", "gl0", ".", "th.", 0)
		for _, s := range append(append([]string(nil), plain...), "gl3") {
			g.arc(s, "ld0", ",", "dec,", 0)
		}
		g.arc("zero", "ld0", ",", "dec,", 0)
		g.digits("ld0", "ld1", 0, 0)
		g.digits("ld1", "ld2", 0, 0)
		complete = append(complete, "gl3", "ld2")
	}
	g.final(complete...)
	// Closing marks, after an amount of either style: an optional
	// period, then "-", "--", "=" or "=-" ("1.500.-", "$8.--", "$50=-").
	for _, s := range complete {
		g.arc(s, "close.", ".", "end.", rareEnd)
		g.arc(s, "close1", "-", "-", rareEnd)
		g.arc(s, "close1", "=", "=", rareEnd)
	}
	g.arc("close.", "close1", "-", "-", 0)
	g.arc("close.", "close1", "=", "=", 0)
	g.arc("close1", "close2", "-", "-", rareEnd2)
	g.final("close1", "close2")
	return g
}

func (g *gram) write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, a := range g.arcs {
		fmt.Fprintf(w, "%d\t%d\t%s\t%s", a.src, a.dst, a.in, a.out)
		if a.w != 0 {
			fmt.Fprintf(w, "\t%g", a.w)
		}
		fmt.Fprintln(w)
	}
	for s := range len(g.ids) {
		if g.finals[s] {
			fmt.Fprintln(w, s)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func writeSyms(path string, syms []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for i, s := range syms {
		fmt.Fprintf(f, "%s\t%d\n", s, i)
	}
	return f.Close()
}

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	steps := []func() error{
		func() error { return writeSyms(filepath.Join(dir, "amount.syms"), inSyms) },
		func() error { return writeSyms(filepath.Join(dir, "amount-out.syms"), outSyms) },
		func() error { return build(true, false).write(filepath.Join(dir, "amount-us.fst.txt")) },
		func() error { return build(false, true).write(filepath.Join(dir, "amount-latin.fst.txt")) },
		func() error { return build(true, true).write(filepath.Join(dir, "amount-any.fst.txt")) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			fmt.Fprintln(os.Stderr, "amount-gen:", err)
			os.Exit(1)
		}
	}
}
