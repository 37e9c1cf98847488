package graphs

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

var longNumber = regexp.MustCompile(`[0-9]{7}`)

var linePrefix = regexp.MustCompile(`^fuzz:\d+: |^fuzz: graphs: `)

// FuzzReadText feeds arbitrary input to the AT&T text reader: it must
// return a graph or an error naming the line, never panic, and what it
// reads must survive a write-read round trip.
func FuzzReadText(f *testing.F) {
	for _, seed := range []string{
		"0 1 1 2 0.5\n1\n",
		"0\t1\t3\t3\n1\t2\t0\t4\t-1.25\n2\t0.5\n",
		"2 0 1 1\n0 Infinity\n",
		"0 1 1 1 nan\n",
		"0 1 a b\n",
		"",
		"\n\n0\n",
		"99999999999999999999 1 1 1\n",
		"0 1 1 1 1e309\n",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, acceptor bool) {
		if len(data) > 1<<16 || longNumber.Match(data) {
			return // huge state numbers make huge graphs, by design
		}
		opt := &TextOptions{Acceptor: acceptor}
		g, err := ReadText(bytes.NewReader(data), "fuzz", opt)
		if err != nil {
			if !linePrefix.MatchString(err.Error()) {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		if g.NumStates() > 1<<20 {
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("ReadText returned an invalid graph: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteText(&buf, g, &TextOptions{Acceptor: acceptor && g.IsAcceptor()}); err != nil {
			t.Fatal(err)
		}
		h, err := ReadText(strings.NewReader(buf.String()), "again", &TextOptions{Acceptor: acceptor && g.IsAcceptor()})
		if err != nil {
			t.Fatalf("re-reading written text: %v\n%s", err, buf.String())
		}
		// States with neither arcs nor finality after the last one
		// written cannot be expressed in text; compare what can.
		if h.NumArcs() != g.NumArcs() {
			t.Fatalf("round trip: %d arcs, want %d", h.NumArcs(), g.NumArcs())
		}
		for a := range g.NumArcs() {
			if g.Arc(a) != h.Arc(a) && g.Start() == 0 {
				t.Fatalf("round trip: arc %d is %+v, want %+v", a, h.Arc(a), g.Arc(a))
			}
		}
	})
}
