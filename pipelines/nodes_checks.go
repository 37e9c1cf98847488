package pipelines

import (
	"errors"
	"fmt"
	"os"

	"github.com/gotn/gotn/amount"
	"github.com/gotn/gotn/graphs"
)

// An AnswerReader is a node that reads more out of a pipeline's answer
// than its text: the amount-grammar node parses the characters read into
// the amount's digits and value.
type AnswerReader interface {
	Node
	// ReadAnswer returns fields to add to (or replace in) the answer's
	// record, such as "digits" and "amount".
	ReadAnswer(a Answer) (map[string]any, error)
}

// ReadAnswer returns the fields the pipeline's AnswerReader nodes read
// out of a, merged (nil when the pipeline has none).
func (p *Pipeline) ReadAnswer(a Answer) (map[string]any, error) {
	var fields map[string]any
	for _, s := range p.steps {
		r, ok := s.node.(AnswerReader)
		if !ok {
			continue
		}
		f, err := r.ReadAnswer(a)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", s.spec.Name, err)
		}
		if fields == nil {
			fields = map[string]any{}
		}
		for k, v := range f {
			fields[k] = v
		}
	}
	return fields, nil
}

func checkNodeTypes() []*NodeType {
	return []*NodeType{
		{
			Name: "amount-grammar", Doc: "an amount grammar (pipelines/grammars/amount-*.fst.txt): a transducer from the recognizer's characters to what they mean (digits, currency sign, thousands and decimal separators, fraction bar, closing marks); gives its input side, the acceptor of well-formed amounts, to compose with a recognition graph, and reads every answer into its text, digits and amount (the fields text, digits and amount of gtn read and gtn batch records)",
			Output: GraphType,
			Params: []ParamSpec{
				{Name: "file", Kind: File, Required: true, Doc: "the grammar, in AT&T text"},
				{Name: "isymbols", Kind: File, Required: true, Doc: "input symbol table: the recognizer's classes (grammars/amount.syms)"},
				{Name: "osymbols", Kind: File, Required: true, Doc: "output symbol table: the roles (grammars/amount-out.syms)"},
			},
			New: newAmountGrammar,
		},
	}
}

// amountGrammar implements the amount-grammar node.
type amountGrammar struct {
	g      *graphs.Graph // the transducer, arc-sorted by input label
	accept *graphs.Graph // its input side
	isyms  *graphs.SymbolTable
	osyms  *graphs.SymbolTable
}

func newAmountGrammar(a *Args) (Node, error) {
	isyms, err := readSymbolsParam(a, "isymbols")
	if err != nil {
		return nil, err
	}
	osyms, err := readSymbolsParam(a, "osymbols")
	if err != nil {
		return nil, err
	}
	f, err := os.Open(a.Path("file"))
	if err != nil {
		return nil, a.Errorf("file", "%v", err)
	}
	defer f.Close()
	g, err := graphs.ReadText(f, a.Path("file"), &graphs.TextOptions{ISymbols: isyms, OSymbols: osyms})
	if err != nil {
		return nil, a.Errorf("file", "%v", err)
	}
	for _, l := range osyms.Labels() {
		if s, _ := osyms.Symbol(l); l != 0 {
			if _, err := amount.Decode([]string{s}); err != nil {
				return nil, a.Errorf("osymbols", "%v", err)
			}
		}
	}
	g, _ = graphs.ArcSort(g, graphs.ByILabel)
	acc, _ := graphs.Project(g, graphs.ProjectInput)
	acc, _ = graphs.ArcSort(acc, graphs.ByILabel)
	return &amountGrammar{g: g, accept: acc, isyms: isyms, osyms: osyms}, nil
}

func (n *amountGrammar) Run(rc *RunContext, _ []any) (any, error) {
	return rc.Tape.Graph(n.accept), nil
}

// ReadAnswer parses the characters of a (its labels, the grammar's input
// labels) with the grammar and decodes the roles: "text" (as written,
// cents written as a fraction set apart), "digits" and "amount" (nil when
// the grammar does not read the characters as an amount).
func (n *amountGrammar) ReadAnswer(a Answer) (map[string]any, error) {
	r, err := n.Read(a.Labels)
	if err != nil {
		return nil, err
	}
	fields := map[string]any{"text": r.Text, "digits": r.Digits, "amount": nil}
	if r.Amount != "" {
		fields["amount"] = r.Amount
	}
	return fields, nil
}

// Read parses characters (the grammar's input labels) with the grammar.
// Characters the grammar rejects are read as they are, without an
// amount.
func (n *amountGrammar) Read(labels []int32) (amount.Reading, error) {
	lin, err := graphs.LinearAcceptor(labels)
	if err != nil {
		return amount.Reading{}, err
	}
	c, _, err := graphs.Compose(lin, n.g)
	if err != nil {
		return amount.Reading{}, err
	}
	best, err := graphs.Viterbi(c)
	if errors.Is(err, graphs.ErrNoPath) {
		// Not an amount: the characters as they are.
		var r amount.Reading
		for _, l := range labels {
			s, ok := n.isyms.Symbol(l)
			if !ok {
				return amount.Reading{}, fmt.Errorf("label %d is not in the input symbol table", l)
			}
			r.Text += s
			if len(s) == 1 && s[0] >= '0' && s[0] <= '9' {
				r.Digits += s
			}
		}
		return r, nil
	}
	if err != nil {
		return amount.Reading{}, err
	}
	out := best.OLabels(c)
	syms := make([]string, 0, len(out))
	for _, l := range out {
		s, ok := n.osyms.Symbol(l)
		if !ok {
			return amount.Reading{}, fmt.Errorf("label %d is not in the output symbol table", l)
		}
		syms = append(syms, s)
	}
	return amount.Decode(syms)
}
