package pipelines

import (
	"fmt"
	"math"
	"strings"

	"github.com/gotn/gotn/graphs"
)

// Answer is the reading of an interpretation graph: its best path's output
// labels, energy and confidence.
type Answer struct {
	// Text is the best path's output labels through the symbol table,
	// joined without spaces when every symbol is a single character and
	// with spaces otherwise; the labels' numbers when there is no table.
	Text   string  `json:"text"`
	Labels []int32 `json:"labels"`
	// Energy is the best path's energy.
	Energy float64 `json:"energy"`
	// Confidence is the posterior of the answer among all interpretations,
	// exp(-(F_answer - F_all)): F_answer is the free energy of the paths
	// that spell the answer, F_all of all paths (LeCun et al. 1998, VIII).
	Confidence float64 `json:"confidence"`
}

// Interpret reads the best answer of an interpretation graph g, whose
// output labels spell the answers. It fails with an error wrapping
// graphs.ErrNoPath when g has no successful path.
func Interpret(g *graphs.Graph, syms *graphs.SymbolTable) (Answer, error) {
	best, err := graphs.Viterbi(g)
	if err != nil {
		return Answer{}, err
	}
	labels := best.OLabels(g)
	fAll, err := graphs.Forward(g, 1)
	if err != nil {
		return Answer{}, err
	}
	lin, err := graphs.LinearAcceptor(labels)
	if err != nil {
		return Answer{}, err
	}
	constrained, _, err := graphs.Compose(g, lin)
	if err != nil {
		return Answer{}, err
	}
	fAns, err := graphs.Forward(constrained, 1)
	if err != nil {
		return Answer{}, fmt.Errorf("the best answer has no path: %w", err)
	}
	if labels == nil {
		labels = []int32{}
	}
	return Answer{
		Text:       LabelText(labels, syms),
		Labels:     labels,
		Energy:     best.Energy,
		Confidence: math.Min(1, math.Exp(-(fAns - fAll))),
	}, nil
}

// LabelText spells labels with a symbol table (see Answer.Text).
func LabelText(labels []int32, syms *graphs.SymbolTable) string {
	parts := make([]string, len(labels))
	single := true
	for i, l := range labels {
		s, ok := "", false
		if syms != nil {
			s, ok = syms.Symbol(l)
		}
		if !ok {
			s = fmt.Sprint(l)
			single = false
		}
		single = single && len([]rune(s)) == 1
		parts[i] = s
	}
	if single {
		return strings.Join(parts, "")
	}
	return strings.Join(parts, " ")
}
