package transformers

import (
	"fmt"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// SelectPaths is the path selector: it returns the graph of the paths of
// g whose output labels spell target (g composed with target's linear
// acceptor), recorded on tp so that gradients flow back to g. Its free
// energy is the energy of the correct answer for the NLL loss, its
// Viterbi path the correct answer's best segmentation. It fails with an
// error wrapping graphs.ErrNoPath when no path spells target.
func SelectPaths(tp *gtn.Tape, g *gtn.GraphVar, target []int32) (*gtn.GraphVar, error) {
	lin, err := graphs.LinearAcceptor(target)
	if err != nil {
		return nil, fmt.Errorf("transformers: select paths: %w", err)
	}
	c, err := tp.Compose(g, tp.Graph(lin))
	if err != nil {
		return nil, fmt.Errorf("transformers: select paths: %w", err)
	}
	if c.G.NumStates() == 0 {
		return nil, fmt.Errorf("transformers: select paths: %w", graphs.ErrNoPath)
	}
	return c, nil
}

// LengthGrammar returns the acceptor of the strings of minLen to maxLen
// labels taken from labels (energies 0), arc-sorted for composition: for
// example "3 to 8 digits" with labels 1..10.
func LengthGrammar(labels []int32, minLen, maxLen int) (*graphs.Graph, error) {
	if minLen < 0 || maxLen < minLen || len(labels) == 0 {
		return nil, fmt.Errorf("transformers: length grammar: lengths %d..%d over %d labels", minLen, maxLen, len(labels))
	}
	b := graphs.NewBuilder()
	b.AddStates(maxLen + 1)
	b.SetStart(0)
	for s := range maxLen + 1 {
		if s >= minLen {
			b.SetFinal(s, 0)
		}
		if s < maxLen {
			for _, l := range labels {
				b.AddArc(s, s+1, l, l, 0)
			}
		}
	}
	g, _, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("transformers: length grammar: %w", err)
	}
	sorted, _ := graphs.ArcSort(g, graphs.ByILabel)
	return sorted, nil
}
