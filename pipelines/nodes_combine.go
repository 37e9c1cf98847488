package pipelines

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

func combineNodeType() *NodeType {
	return &NodeType{
		Name: "combine",
		Doc: "combines several readers of the same input as a product of experts: each input is a reader's interpretation graph, its output labels spelling answers in the same symbols; " +
			"the candidates are the best distinct answers of every reader, and the output graph has one path per candidate, spelling it, whose energy is the mean over the readers of -log of the candidate's posterior, F(paths spelling it) - F(all paths) (a logarithmic opinion pool: the answer's confidence is the geometric mean of the readers' posteriors, renormalised over the candidates); " +
			"a candidate that some reader cannot spell is dropped. Differentiable: the gradient reaches every reader's arcs",
		Inputs: []Type{GraphType, GraphType}, Variadic: true, Output: GraphType,
		Params: []ParamSpec{
			{Name: "candidates", Kind: Int, Default: 3, Doc: "the distinct answers taken from each reader, best first"},
			{Name: "paths", Kind: Int, Default: 100, Doc: "the most paths of a reader's graph searched for its distinct answers"},
		},
		New: func(a *Args) (Node, error) {
			n := combine{candidates: a.Int("candidates"), paths: a.Int("paths")}
			if n.candidates < 1 {
				return nil, a.Errorf("candidates", "candidates must be at least 1, got %d", n.candidates)
			}
			if n.paths < n.candidates {
				return nil, a.Errorf("paths", "paths (%d) must be at least candidates (%d)", n.paths, n.candidates)
			}
			return n, nil
		},
	}
}

// combine implements the combine node.
type combine struct{ candidates, paths int }

// freeEnergy is a free energy recorded on the tape, and its value in
// float64.
type freeEnergy struct {
	v *gtn.Var
	f float64
}

func (n combine) Run(rc *RunContext, in []any) (any, error) {
	tp := rc.Tape
	readers := make([]*gtn.GraphVar, len(in))
	needGrad := false
	for i, x := range in {
		readers[i] = x.(*gtn.GraphVar)
		needGrad = needGrad || readers[i].Grad != nil
	}
	// The free energy of each reader's graph; a reader that reads nothing
	// spells no candidate.
	all := make([]freeEnergy, len(readers))
	for k, r := range readers {
		v, f, err := tp.FreeEnergy(r, 1)
		if errors.Is(err, graphs.ErrNoPath) {
			none, _, err := graphs.NewBuilder().Build()
			return tp.Graph(none), err
		}
		if err != nil {
			return nil, fmt.Errorf("reader %d: %w", k+1, err)
		}
		all[k] = freeEnergy{v, f}
	}
	answers, err := n.answers(readers)
	if err != nil {
		return nil, err
	}
	// The free energies of each reader's paths that spell each answer.
	var kept [][]int32
	var parts [][]freeEnergy // per kept answer, per reader
	for _, ans := range answers {
		fs, err := spellings(tp, readers, ans)
		if err != nil {
			return nil, err
		}
		if fs != nil {
			kept = append(kept, ans)
			parts = append(parts, fs)
		}
	}
	// One path per answer, on its final state the mean over the readers
	// of F_k(answer) - F_k(all).
	b := graphs.NewBuilder()
	b.SetStart(b.AddState())
	finals := make([]int, len(kept))
	for i, ans := range kept {
		s := 0
		for _, l := range ans {
			t := b.AddState()
			b.AddArc(s, t, l, l, 0)
			s = t
		}
		b.SetFinal(s, 0)
		finals[i] = s
	}
	g, _, err := b.Build()
	if err != nil {
		return nil, err
	}
	energy := tp.NewVar(needGrad, max(len(kept), 1))
	index := slices.Repeat([]int32{-1}, g.NumWeights())
	for i, fs := range parts {
		e := 0.0
		for k, f := range fs {
			e += f.f - all[k].f
		}
		energy.Value.Data[i] = float32(e / float64(len(readers)))
		index[g.FinalIndex(finals[i])] = int32(i)
	}
	if energy.Grad != nil {
		tp.OnBackward(func() {
			for i, fs := range parts {
				d := energy.Grad.Data[i] / float32(len(readers))
				for k, f := range fs {
					if f.v.Grad != nil {
						f.v.Grad.Data[0] += d
						all[k].v.Grad.Data[0] -= d
					}
				}
			}
		})
	}
	return tp.BindArcs(g, index, energy)
}

// spellings returns the free energy of each reader's paths that spell
// ans, or nil if some reader has none.
func spellings(tp *gtn.Tape, readers []*gtn.GraphVar, ans []int32) ([]freeEnergy, error) {
	lin, err := graphs.LinearAcceptor(ans)
	if err != nil {
		return nil, fmt.Errorf("answer %v: %w", ans, err)
	}
	fs := make([]freeEnergy, len(readers))
	for k, r := range readers {
		c, err := tp.Compose(r, tp.Graph(lin))
		if err != nil {
			return nil, fmt.Errorf("reader %d: answer %v: %w", k+1, ans, err)
		}
		v, f, err := tp.FreeEnergy(c, 1)
		if errors.Is(err, graphs.ErrNoPath) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reader %d: answer %v: %w", k+1, ans, err)
		}
		fs[k] = freeEnergy{v, f}
	}
	return fs, nil
}

// answers returns the best distinct answers (output label strings) of
// each reader, up to n.candidates from each, without repeats: the same
// set whatever the order of the readers.
func (n combine) answers(readers []*gtn.GraphVar) ([][]int32, error) {
	var out [][]int32
	seen := map[string]bool{}
	for k, r := range readers {
		paths, err := graphs.NBest(r.G, n.paths)
		if err != nil {
			return nil, fmt.Errorf("reader %d: %w", k+1, err)
		}
		mine := map[string]bool{}
		for _, p := range paths {
			ans := p.OLabels(r.G)
			key := fmt.Sprint(ans)
			if mine[key] {
				continue
			}
			mine[key] = true
			if !seen[key] {
				seen[key] = true
				out = append(out, ans)
			}
			if len(mine) == n.candidates {
				break
			}
		}
	}
	return out, nil
}
