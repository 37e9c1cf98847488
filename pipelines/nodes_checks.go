package pipelines

import (
	"errors"
	"fmt"
	"math"

	"github.com/gotn/gotn/amount"
	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/transformers"
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

// An AnswerScorer is a node that measures the confidence of an answer by
// what it means rather than by how it is spelled: the amount-grammar node
// gives the posterior of the answer's amount, summed over every reading
// that has that value ("$200-" and "$200").
type AnswerScorer interface {
	Node
	// AnswerConfidence returns the posterior of what answer a of the
	// interpretation graph g means.
	AnswerConfidence(g *graphs.Graph, a Answer) (float64, error)
}

// AnswerConfidence returns the confidence of answer a of the pipeline's
// output graph g by its AnswerScorer node, or a.Confidence when it has
// none.
func (p *Pipeline) AnswerConfidence(g *graphs.Graph, a Answer) (float64, error) {
	for _, s := range p.steps {
		if sc, ok := s.node.(AnswerScorer); ok {
			c, err := sc.AnswerConfidence(g, a)
			if err != nil {
				return 0, fmt.Errorf("node %s: %w", s.spec.Name, err)
			}
			return c, nil
		}
	}
	return a.Confidence, nil
}

func checkNodeTypes() []*NodeType {
	return append(fieldNodeTypes(), &NodeType{
		Name: "amount-grammar", Doc: "an amount grammar (pipelines/grammars/amount-*.fst.txt): a transducer from the recognizer's characters to what they mean (digits, currency sign, thousands and decimal separators, fraction bar, closing marks); gives its input side, the acceptor of well-formed amounts, to compose with a recognition graph, and reads every answer into its text, digits and amount (the fields text, digits and amount of gtn read and gtn batch records)",
		Output: GraphType,
		Params: []ParamSpec{
			{Name: "file", Kind: File, Required: true, Doc: "the grammar, in AT&T text"},
			{Name: "isymbols", Kind: File, Required: true, Doc: "input symbol table: the recognizer's classes (grammars/amount.syms)"},
			{Name: "osymbols", Kind: File, Required: true, Doc: "output symbol table: the roles (grammars/amount-out.syms)"},
			{Name: "junk", Kind: Float, Default: -1.0, Doc: "if not negative, segments of the \"not a character\" class # may come anywhere (rules, box lines, specks), each read as nothing at this energy"},
		},
		New: newAmountGrammar,
	})
}

// amountGrammar implements the amount-grammar node.
type amountGrammar struct {
	g      *graphs.Graph // the transducer, arc-sorted by input label
	accept *graphs.Graph // its input side
	canon  *graphs.Graph // from its outputs to the value's spelling
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
	g, err := readGraphFile(a, &graphs.TextOptions{ISymbols: isyms, OSymbols: osyms})
	if err != nil {
		return nil, err
	}
	// Every output symbol the grammar writes must be one amount.Decode
	// knows.
	for arc := range g.NumArcs() {
		if l := g.OLabel(arc); l != 0 {
			s, _ := osyms.Symbol(l)
			if _, err := amount.Decode([]string{s}); err != nil {
				return nil, a.Errorf("file", "%s: arc %d writes %v", a.Path("file"), arc, err)
			}
		}
	}
	g, _ = graphs.ArcSort(g, graphs.ByILabel)
	acc, _ := graphs.Project(g, graphs.ProjectInput)
	if junk := a.Float("junk"); junk >= 0 {
		l, ok := isyms.Label(JunkSymbol)
		if !ok {
			return nil, a.Errorf("junk", "the input symbols have no junk symbol %q", JunkSymbol)
		}
		if acc, err = withJunk(acc, l, junk); err != nil {
			return nil, a.Errorf("junk", "%v", err)
		}
	}
	acc, _ = graphs.ArcSort(acc, graphs.ByILabel)
	canon, err := canonicalizer(g, osyms)
	if err != nil {
		return nil, a.Errorf("osymbols", "%v", err)
	}
	return &amountGrammar{g: g, accept: acc, canon: canon, isyms: isyms, osyms: osyms}, nil
}

// canonicalizer returns the transducer from the grammar's output symbols
// to a spelling of the amount's value: digits as they are, a decimal
// separator (. or dec,) as ".", a fraction bar as "/", the other marks as
// nothing; arc-sorted by input label.
func canonicalizer(g *graphs.Graph, osyms *graphs.SymbolTable) (*graphs.Graph, error) {
	dot, _ := osyms.Label(".")
	seen := map[int32]bool{}
	b := graphs.NewBuilder()
	b.AddStates(1)
	b.SetStart(0)
	b.SetFinal(0, 0)
	for arc := range g.NumArcs() {
		l := g.OLabel(arc)
		if l == 0 || seen[l] {
			continue
		}
		seen[l] = true
		s, _ := osyms.Symbol(l)
		out := int32(0)
		switch {
		case isDigit(s), s == "/":
			out = l
		case s == "." || s == "dec,":
			out = dot
		}
		b.AddArc(0, 0, l, out, 0)
	}
	c, _, err := b.Build()
	if err != nil {
		return nil, err
	}
	c, _ = graphs.ArcSort(c, graphs.ByILabel)
	return c, nil
}

// AnswerConfidence returns the posterior of the value of answer a among
// the readings of g (whose output labels are the grammar's input
// characters): the sum over every reading that spells the same value,
// whatever its currency sign, thousands separators and closing marks.
func (n *amountGrammar) AnswerConfidence(g *graphs.Graph, a Answer) (float64, error) {
	roles, _, err := graphs.Compose(g, n.g)
	if err != nil {
		return 0, err
	}
	values, _, err := graphs.Compose(roles, n.canon)
	if err != nil {
		return 0, err
	}
	fAll, err := graphs.Forward(values, 1)
	if err != nil {
		return 0, err
	}
	// The answer's value: its characters through the grammar, then the
	// canonicalizer.
	lin, err := graphs.LinearAcceptor(a.Labels)
	if err != nil {
		return 0, err
	}
	one, _, err := graphs.Compose(lin, n.g)
	if err != nil {
		return 0, err
	}
	one, _, err = graphs.Compose(one, n.canon)
	if err != nil {
		return 0, err
	}
	best, err := graphs.Viterbi(one)
	if errors.Is(err, graphs.ErrNoPath) {
		return a.Confidence, nil // not an amount: the answer's own posterior
	}
	if err != nil {
		return 0, err
	}
	lin, err = graphs.LinearAcceptor(best.OLabels(one))
	if err != nil {
		return 0, err
	}
	same, _, err := graphs.Compose(values, lin)
	if err != nil {
		return 0, err
	}
	fAns, err := graphs.Forward(same, 1)
	if err != nil {
		return 0, err
	}
	return math.Min(1, math.Exp(-(fAns - fAll))), nil
}

// withJunk returns acc with a loop on every state that reads junk and
// writes nothing, at energy e.
func withJunk(acc *graphs.Graph, junk int32, e float64) (*graphs.Graph, error) {
	b := graphs.NewBuilder()
	b.AddStates(acc.NumStates())
	b.SetStart(acc.Start())
	for s := range acc.NumStates() {
		lo, hi := acc.Arcs(s)
		for a := lo; a < hi; a++ {
			b.AddArc(s, acc.Dst(a), acc.ILabel(a), acc.OLabel(a), acc.Weight(a))
		}
		b.AddArc(s, s, junk, 0, e)
		if acc.IsFinal(s) {
			b.SetFinal(s, acc.Final(s))
		}
	}
	g, _, err := b.Build()
	return g, err
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
			if isDigit(s) {
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

// ZonesType is the type of the candidate amount zones of a check
// (*transformers.ZoneSegmentation without segmentations), and
// ZoneSegmentationType that of the zones with their segmentations.
const (
	ZonesType            Type = "zones"
	ZoneSegmentationType Type = "zone-segmentation"
)

func fieldNodeTypes() []*NodeType {
	d := transformers.DefaultField()
	strs := stringNodeTypes()
	hos, recog := strs[0], strs[1]
	return []*NodeType{
		{
			Name: "field-locate", Doc: "locates the amount field of a full check image: candidate zones by ink layout analysis (lines of ink, each also joined to up to three lines on its left in turn, such as a \"$\" written apart or an amount written in pieces, printed boxes with what they hold and the \"$\" left of them), each with a trainable energy from its features (position, size, aspect, ink density, box, rule under it); keeps the max_zones of lowest energy, each with its crop of the check, for zone-segment and zone-recognition, so that the best interpretation chooses the zone too",
			Inputs: []Type{ImageType}, Output: ZonesType,
			Params: append([]ParamSpec{
				{Name: "work_height", Kind: Int, Default: d.WorkHeight, Doc: "height (pixels) the layout is analysed at"},
				{Name: "threshold", Kind: Float, Default: float64(d.Threshold), Doc: "ink level of the pixels that make components (after the paper's texture is removed)"},
				{Name: "max_zones", Kind: Int, Default: d.MaxZones, Doc: "most zones kept (those of lowest energy)"},
				{Name: "gap", Kind: Float, Default: d.Gap, Doc: "widest blank inside a line of ink, in character heights"},
				{Name: "margin", Kind: Float, Default: d.Margin, Doc: "blank around a zone's crop, in zone heights"},
				{Name: "lr_scale", Kind: Float, Default: 1.0, Doc: "multiplies the learning rate of the zone energy's weights"},
			}, modelParams...),
			New: newFieldNode,
		},
		{
			Name: "zone-segment", Doc: "hos-segment on every zone of a check (the same parameters, and weights named as hos-segment's, so that a model of a field reader serves)",
			Inputs: []Type{ZonesType}, Output: ZoneSegmentationType,
			Params: hos.Params,
			New: func(a *Args) (Node, error) {
				n, err := newHOSNode(a)
				if err != nil {
					return nil, err
				}
				return zoneSegmentNode{n.(*hosNode)}, nil
			},
		},
		{
			Name: "zone-recognition", Doc: "the recognition transformer on every zone of a check (one batch): the union of the zones' recognition graphs, each entered through an arc with the zone's energy (the same parameters, and weights named as recognition's)",
			Inputs: []Type{ZoneSegmentationType}, Output: GraphType,
			Params: recog.Params,
			New: func(a *Args) (Node, error) {
				n, err := newRecognitionNode(a)
				if err != nil {
					return nil, err
				}
				return zoneRecognitionNode{n.(recognitionNode)}, nil
			},
		},
	}
}

// fieldNode implements the field-locate node.
type fieldNode struct {
	loc    *transformers.FieldLocator
	energy *transformers.ZoneEnergy
}

func newFieldNode(a *Args) (Node, error) {
	cfg := transformers.FieldConfig{
		WorkHeight: a.Int("work_height"), Threshold: float32(a.Float("threshold")),
		MaxZones: a.Int("max_zones"), Gap: a.Float("gap"), Margin: a.Float("margin"),
	}
	loc, err := transformers.NewFieldLocator(cfg)
	if err != nil {
		return nil, a.Errorf("", "%v", err)
	}
	n := &fieldNode{loc: loc, energy: transformers.NewZoneEnergy("zone.weights")}
	n.energy.W.LRScale = a.Float("lr_scale")
	if a.Has("model") {
		if err := loadNodeParams(a, n.energy.Params(), 0); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *fieldNode) Run(rc *RunContext, in []any) (any, error) {
	im := in[0].(*Image)
	zones, err := n.loc.Locate(transformers.Bitmap{Width: im.Width, Height: im.Height, Ink: im.Ink}, n.energy)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", im.File, err)
	}
	return &transformers.ZoneSegmentation{Zones: zones, Energy: n.energy.Forward(rc.Tape, zones)}, nil
}

func (n *fieldNode) Params() []*gtn.Param { return n.energy.Params() }

// zoneSegmentNode implements the zone-segment node.
type zoneSegmentNode struct{ *hosNode }

func (n zoneSegmentNode) Run(rc *RunContext, in []any) (any, error) {
	zs := in[0].(*transformers.ZoneSegmentation)
	out := &transformers.ZoneSegmentation{Zones: zs.Zones, Energy: zs.Energy, Segs: make([]*transformers.Segmentation, len(zs.Zones))}
	for i, z := range zs.Zones {
		seg, err := n.segment(rc.Tape, n.prep.apply(z.Ink))
		if err != nil {
			return nil, fmt.Errorf("zone %d: %w", i, err)
		}
		out.Segs[i] = seg
	}
	return out, nil
}

// zoneRecognitionNode implements the zone-recognition node.
type zoneRecognitionNode struct{ recognitionNode }

func (n zoneRecognitionNode) Run(rc *RunContext, in []any) (any, error) {
	return transformers.RecognizeZones(rc.Tape, n.net, in[0].(*transformers.ZoneSegmentation))
}
