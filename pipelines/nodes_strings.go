package pipelines

import (
	"fmt"
	"strings"

	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
	"github.com/gotn/gotn/transformers"
)

// SegmentationType is the type of a segmentation graph with the images of
// its segments (*transformers.Segmentation).
const SegmentationType Type = "segmentation"

var (
	cleanParam = ParamSpec{Name: "clean", Kind: Bool, Default: false, Doc: "remove a textured paper background and stretch the ink's contrast first (scanned documents such as bank checks)"}
	rulesParam = ParamSpec{Name: "rules", Kind: Bool, Default: false, Doc: "erase printed rules and the box around a field first (after clean), keeping the strokes that touch them: otherwise an underline or a box sets the height the characters are scaled by"}
)

// pieceSourceParams are the parameters of the data sources that cut
// strings into segments as hos-segment does, and must cut them the same
// way.
func pieceSourceParams() []ParamSpec {
	return []ParamSpec{
		{Name: "frame", Kind: Int, Default: 32, Doc: "as hos-segment's frame"},
		{Name: "body", Kind: Int, Default: 24, Doc: "as hos-segment's body"},
		{Name: "max_span", Kind: Int, Default: 4, Doc: "as hos-segment's max_span"},
		{Name: "min_piece", Kind: Int, Default: transformers.DefaultHOS().MinPiece, Doc: "as hos-segment's min_piece"},
	}
}

// pieceSegmenter returns the segmenter that a data source's
// pieceSourceParams ask for.
func pieceSegmenter(a *Args) (*transformers.HOS, error) {
	return newHOS(a, segmenterConfig(a))
}

// segmenterConfig returns the segmenter settings that hos-segment and the
// piece data sources share: frame, body, max_span and min_piece.
func segmenterConfig(a *Args) transformers.HOSConfig {
	cfg := transformers.DefaultHOS()
	cfg.Frame, cfg.Body = a.Int("frame"), a.Int("body")
	cfg.MaxSpan, cfg.MinPiece = a.Int("max_span"), a.Int("min_piece")
	return cfg
}

// newHOS returns the segmenter of cfg, or an error naming a's node.
func newHOS(a *Args, cfg transformers.HOSConfig) (*transformers.HOS, error) {
	hos, err := transformers.NewHOS(cfg)
	if err != nil {
		return nil, a.Errorf("", "%v", err)
	}
	return hos, nil
}

// preparation says how a document image is prepared before it is read:
// the clean and rules parameters of the nodes and data sources that
// segment ink.
type preparation struct{ clean, rules bool }

// preparationOf returns the preparation that a's clean and rules
// parameters ask for.
func preparationOf(a *Args) preparation {
	return preparation{clean: a.Bool("clean"), rules: a.Bool("rules")}
}

// bitmapOf returns the ink of a pipeline image, prepared.
func bitmapOf(im *Image, p preparation) transformers.Bitmap {
	return p.apply(transformers.Bitmap{Width: im.Width, Height: im.Height, Ink: im.Ink})
}

// apply returns b with its paper background removed if p.clean, then its
// rules erased if p.rules.
func (p preparation) apply(b transformers.Bitmap) transformers.Bitmap {
	if p.clean {
		b = transformers.Clean(b, transformers.StringCleanWindow(b.Height))
	}
	if p.rules {
		b = transformers.RemoveRules(b, 0.3)
	}
	return b
}

var modelParams = []ParamSpec{
	{Name: "model", Kind: File, Doc: "initial weights: a model file written by gtn train (the parameters of node model_node; a recognizer with fewer classes gives the first classes) or, for a recognizer, by recognizers.Save"},
	{Name: "model_node", Kind: String, Doc: "the node whose parameters to take from model (default: this node's name)"},
}

func stringNodeTypes() []*NodeType {
	return []*NodeType{
		{
			Name: "hos-segment", Doc: "heuristic over-segmentation of a string image: normalises its height, cuts its ink into pieces (connected components; cuts through touching characters from minima of the vertical projection and valleys of the upper and lower contours), and gives the segmentation graph (an arc per run of 1..max_span pieces) with each segment's ink in the recognizer's frame and a trainable segmentation energy from its features (width, height, gaps, cuts)",
			Inputs: []Type{ImageType}, Output: SegmentationType,
			Params: append([]ParamSpec{
				{Name: "frame", Kind: Int, Default: 32, Doc: "side of the recognizer's input frame; the string is normalised to this height"},
				{Name: "body", Kind: Int, Default: 24, Doc: "height the string's ink is scaled to"},
				{Name: "threshold", Kind: Float, Default: 0.3, Doc: "ink level of the pixels that make components"},
				{Name: "max_span", Kind: Int, Default: 4, Doc: "most pieces in one segment"},
				{Name: "min_piece", Kind: Int, Default: transformers.DefaultHOS().MinPiece, Doc: "fewest ink pixels (after normalisation) of a piece: smaller components are noise"},
				{Name: "max_width", Kind: Float, Default: 1.5, Doc: "widest segment of several pieces, in bodies"},
				{Name: "cut_width", Kind: Float, Default: 0.45, Doc: "components at least this wide (in bodies) are cut"},
				{Name: "energy", Kind: Bool, Default: true, Doc: "learn a segmentation energy (else segmentation is left to the recognizer)"},
				{Name: "lr_scale", Kind: Float, Default: 30.0, Doc: "multiplies the learning rate of the segmentation energy's weights (their gradients are small next to the recognizer's)"},
				cleanParam, rulesParam,
			}, modelParams...),
			New: newHOSNode,
		},
		{
			Name: "recognition", Doc: "the recognition transformer: runs a recognizer on every segment of a segmentation (one batch, shared weights) and gives the recognition graph, one arc per segment and class (label class+1) with energy = recognizer energy + segmentation energy; its last class may be a \"not a character\" class that grammars leave out",
			Inputs: []Type{SegmentationType}, Output: GraphType,
			Params: append([]ParamSpec{
				{Name: "arch", Kind: String, Required: true, Choices: recognizers.Archs(), Doc: "network architecture"},
				{Name: "classes", Kind: Int, Required: true, Doc: "number of classes (the characters, and a junk class if the last is one)"},
				{Name: "seed", Kind: Int, Default: 1, Doc: "seed of the random initialisation (without model)"},
			}, modelParams...),
			New: newRecognitionNode,
		},
		{
			Name: "sdnn", Doc: "space displacement neural network: a recognizer replicated convolutionally over the whole string image (normalised to the recognizer's height) in one pass; gives the chain of its output positions, one arc per class (label class+1) with the recognizer's energy; compose with a character-model to read characters",
			Inputs: []Type{ImageType}, Output: GraphType,
			Params: append([]ParamSpec{
				{Name: "arch", Kind: String, Required: true, Choices: recognizers.Archs(), Doc: "network architecture"},
				{Name: "classes", Kind: Int, Required: true, Doc: "number of classes: the characters, then the junk class (no character centred)"},
				{Name: "body", Kind: Int, Default: 24, Doc: "height the string's ink is scaled to"},
				{Name: "pad", Kind: Int, Default: 16, Doc: "blank columns added on each side"},
				cleanParam, rulesParam,
				{Name: "seed", Kind: Int, Default: 1, Doc: "seed of the random initialisation (without model)"},
			}, modelParams...),
			New: newSDNNNode,
		},
		{
			Name: "character-model", Doc: "the SDNN's character-model transducer: reads position labels (characters 1..chars, junk chars+1) and writes characters, one per run of detections of the same character between junk or other characters",
			Output: GraphType,
			Params: []ParamSpec{
				{Name: "chars", Kind: Int, Default: 10, Doc: "number of characters (labels 1..chars; chars+1 is junk)"},
			},
			New: func(a *Args) (Node, error) {
				g, err := transformers.CharacterModel(a.Int("chars"))
				if err != nil {
					return nil, a.Errorf("chars", "%v", err)
				}
				return constGraph{g}, nil
			},
		},
	}
}

// sdnnNode implements the sdnn node.
type sdnnNode struct {
	sdnn *transformers.SDNN
	prep preparation
}

func newSDNNNode(a *Args) (Node, error) {
	net, err := newNetwork(a)
	if err != nil {
		return nil, err
	}
	h, _ := net.InputSize()
	if a.Int("body") < 4 || a.Int("body") > h || a.Int("pad") < 0 {
		return nil, a.Errorf("body", "body must be in 4..%d and pad non-negative", h)
	}
	s, err := transformers.NewSDNN(net, transformers.NormalizeConfig{Height: h, Body: a.Int("body"), Pad: a.Int("pad"), Threshold: 0.3, MinSpeck: 4})
	if err != nil {
		return nil, a.Errorf("arch", "%v", err)
	}
	return sdnnNode{s, preparationOf(a)}, nil
}

func (n sdnnNode) Run(rc *RunContext, in []any) (any, error) {
	im := in[0].(*Image)
	e, err := n.sdnn.Forward(rc.Tape, bitmapOf(im, n.prep))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", im.File, err)
	}
	return transformers.PositionGraph(rc.Tape, e)
}

func (n sdnnNode) Params() []*gtn.Param { return n.sdnn.Net().Params() }

func (n sdnnNode) network() recognizers.Network { return n.sdnn.Net() }

// loadNodeParams copies into params (named as their node names them) the
// values of model file path's parameters node/NAME; classes is the node's
// number of classes (0 if it has none), which a model with fewer may fill
// in part (see copyGrowing).
func loadNodeParams(a *Args, params []*gtn.Param, classes int) error {
	path := a.Path("model")
	m, err := gtn.LoadModel(path)
	if err != nil {
		return a.Errorf("model", "%v", err)
	}
	node := a.String("model_node")
	if node == "" {
		node = a.Node()
	}
	byName := make(map[string]*gtn.Param, len(m.Params))
	for _, q := range m.Params {
		byName[q.Name] = q
	}
	for _, p := range params {
		q, ok := byName[node+"/"+p.Name]
		if !ok {
			hint := ""
			if m.Meta["pipeline"] != "" {
				var nodes []string
				seen := map[string]bool{}
				for _, q := range m.Params {
					if n, _, ok := strings.Cut(q.Name, "/"); ok && !seen[n] {
						seen[n] = true
						nodes = append(nodes, n)
					}
				}
				hint = fmt.Sprintf(" (the model, of pipeline %s, has nodes %s: set model_node)", m.Meta["pipeline"], strings.Join(nodes, ", "))
			}
			return a.Errorf("model", "%s: parameter %s/%s is missing from the model%s", path, node, p.Name, hint)
		}
		if err := copyGrowing(p.Value, q.Value, classes); err != nil {
			return a.Errorf("model", "%s: parameter %s/%s: %v", path, node, p.Name, err)
		}
	}
	return nil
}

// copyGrowing copies src into dst when they have the same shape, or when
// dst's first dimension is classes (the node's number of classes), src
// has fewer rows there and otherwise the same shape: a model with fewer
// classes gives the first classes of a recognizer with more, whose other
// classes keep their initialisation. The rule goes by size: with classes
// 0 (a node without classes) nothing grows.
func copyGrowing(dst, src *gtn.Tensor, classes int) error {
	if dst.SameShape(src) {
		copy(dst.Data, src.Data)
		return nil
	}
	ds, ss := dst.Shape, src.Shape
	ok := len(ds) == len(ss) && len(ds) > 0 && ss[0] < ds[0]
	for i := 1; ok && i < len(ds); i++ {
		ok = ds[i] == ss[i]
	}
	switch {
	case !ok:
		return fmt.Errorf("shape %v in the model, the node wants %v", ss, ds)
	case classes == 0 || ds[0] != classes:
		return fmt.Errorf("shape %v in the model, the node wants %v (only a recognizer's classes can be added to)", ss, ds)
	}
	copy(dst.Data, src.Data)
	return nil
}

// hosNode implements the hos-segment node.
type hosNode struct {
	hos    *transformers.HOS
	energy *transformers.SegmentEnergy // nil: none
	prep   preparation
}

func newHOSNode(a *Args) (Node, error) {
	cfg := segmenterConfig(a)
	cfg.Threshold = float32(a.Float("threshold"))
	cfg.MaxWidth, cfg.CutWidth = a.Float("max_width"), a.Float("cut_width")
	hos, err := newHOS(a, cfg)
	if err != nil {
		return nil, err
	}
	n := &hosNode{hos: hos, prep: preparationOf(a)}
	if a.Bool("energy") {
		n.energy = transformers.NewSegmentEnergy("segment.weights")
		n.energy.W.LRScale = a.Float("lr_scale")
		if a.Has("model") {
			if err := loadNodeParams(a, n.energy.Params(), 0); err != nil {
				return nil, err
			}
		}
	} else if a.Has("model") {
		return nil, a.Errorf("model", "the node has no parameters (energy: false)")
	}
	return n, nil
}

func (n *hosNode) Run(rc *RunContext, in []any) (any, error) {
	im := in[0].(*Image)
	seg, err := n.segment(rc.Tape, bitmapOf(im, n.prep))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", im.File, err)
	}
	return seg, nil
}

// segment cuts b (already prepared) and puts the
// segmentation energy on the tape.
func (n *hosNode) segment(tp *gtn.Tape, b transformers.Bitmap) (*transformers.Segmentation, error) {
	seg, err := n.hos.Segment(b)
	if err != nil {
		return nil, err
	}
	if n.energy != nil {
		if err := n.energy.Forward(tp, seg); err != nil {
			return nil, err
		}
	}
	return seg, nil
}

func (n *hosNode) Params() []*gtn.Param {
	if n.energy == nil {
		return nil
	}
	return n.energy.Params()
}

// recognitionNode implements the recognition node.
type recognitionNode struct{ net recognizers.Network }

func (n recognitionNode) network() recognizers.Network { return n.net }

func newRecognitionNode(a *Args) (Node, error) {
	net, err := newNetwork(a)
	if err != nil {
		return nil, err
	}
	return recognitionNode{net}, nil
}

// newNetwork builds the network of a node with arch, classes, seed and
// model parameters.
func newNetwork(a *Args) (recognizers.Network, error) {
	if a.Int("classes") < 2 {
		return nil, a.Errorf("classes", "need at least 2 classes, got %d", a.Int("classes"))
	}
	if a.Has("model") {
		// A recognizer's own model file (recognizers.Save).
		if m, err := gtn.LoadModel(a.Path("model")); err == nil && m.Meta[recognizers.MetaArch] != "" {
			net, err := recognizers.FromModel(m, a.Path("model"))
			if err != nil {
				return nil, a.Errorf("model", "%v", err)
			}
			if net.Arch() != a.String("arch") || net.Classes() > a.Int("classes") {
				return nil, a.Errorf("model", "%s holds a %s with %d classes, the node says %s with %d", a.Path("model"), net.Arch(), net.Classes(), a.String("arch"), a.Int("classes"))
			}
			if net.Classes() == a.Int("classes") {
				return net, nil
			}
			// Fewer classes: they give the first classes of a new network,
			// whose other classes keep their initialisation.
			grown, err := transformers.NewRecognizer(a.String("arch"), a.Int("classes"), uint64(a.Int("seed")))
			if err != nil {
				return nil, a.Errorf("arch", "%v", err)
			}
			for i, p := range grown.Params() {
				if err := copyGrowing(p.Value, net.Params()[i].Value, a.Int("classes")); err != nil {
					return nil, a.Errorf("model", "%s: parameter %s: %v", a.Path("model"), p.Name, err)
				}
			}
			return grown, nil
		}
	}
	net, err := transformers.NewRecognizer(a.String("arch"), a.Int("classes"), uint64(a.Int("seed")))
	if err != nil {
		return nil, a.Errorf("arch", "%v", err)
	}
	if a.Has("model") {
		if err := loadNodeParams(a, net.Params(), a.Int("classes")); err != nil {
			return nil, err
		}
	}
	return net, nil
}

func (n recognitionNode) Run(rc *RunContext, in []any) (any, error) {
	return transformers.Recognize(rc.Tape, n.net, in[0].(*transformers.Segmentation))
}

func (n recognitionNode) Params() []*gtn.Param { return n.net.Params() }
