package sequence

import (
	"fmt"

	"github.com/gotn/gotn/datasets"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// Energies returns the emission energies (T×L, row-major) and the
// transition energies ((L+1)×(L+1), see Chain) of a sentence under the
// model, the inputs of Chain and of Lattice. trans aliases the model.
func (m *Model) Energies(s *datasets.Sentence) (emit, trans []float64, err error) {
	if err := m.checkTokens(s, false); err != nil {
		return nil, nil, err
	}
	if s.Len() == 0 {
		return nil, nil, fmt.Errorf("sequence: sentence at line %d has no tokens", s.Line)
	}
	var tg tagger
	m.encode(&tg, s.Tokens)
	emit = make([]float64, s.Len()*len(m.Labels))
	m.emissions(&tg.x, emit)
	_, trans = m.Weights()
	return emit, trans, nil
}

// Symbols returns the symbol table of the lattice's labels: label y+1 is
// m.Labels[y] (0 is epsilon), in the model's scheme (see ModelScheme).
func (m *Model) Symbols() *graphs.SymbolTable {
	t := graphs.NewSymbolTable()
	for i, l := range m.Labels {
		t.AddWithLabel(l, int32(i+1))
	}
	return t
}

// LatticeOf returns the label lattice of a sentence under the model as a
// graph on tp (see Lattice), with the model's energies as constants: the
// graph a pipeline composes with grammars or searches with Viterbi; its
// best path spells the same labels as Predict (in the model's scheme).
func (m *Model) LatticeOf(tp *gtn.Tape, s *datasets.Sentence) (*gtn.GraphVar, error) {
	emit, trans, err := m.Energies(s)
	if err != nil {
		return nil, err
	}
	L := len(m.Labels)
	ev := tp.Const(tensorFrom(emit, s.Len(), L))
	tv := tp.Const(tensorFrom(trans, L+1, L+1))
	return Lattice(tp, ev, tv)
}

func tensorFrom(x []float64, shape ...int) *gtn.Tensor {
	t := gtn.NewTensor(shape...)
	for i, v := range x {
		t.Data[i] = float32(v)
	}
	return t
}
