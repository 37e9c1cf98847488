package pipelines

import (
	"fmt"

	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
	"github.com/gotn/gotn/transformers"
)

func recognizerNodeTypes() []*NodeType {
	return []*NodeType{
		{
			Name: "digit-input", Doc: "normalises a character image as MNIST was made (ink box scaled into box×box, centre of mass at the centre of a field×field frame) and scales it to the LeNet input levels, padded to size×size",
			Inputs: []Type{ImageType}, Output: TensorType,
			Params: []ParamSpec{
				{Name: "box", Kind: Int, Default: 20, Doc: "side of the square the ink is scaled into"},
				{Name: "field", Kind: Int, Default: 28, Doc: "side of the frame the character is centred in"},
				{Name: "size", Kind: Int, Default: 32, Doc: "side of the network input (the frame is padded with background)"},
			},
			New: newDigitInput,
		},
		{
			Name: "recognizer", Doc: "a trainable convolutional network that gives each input image an energy per class (lower is better)",
			Inputs: []Type{TensorType}, Output: TensorType,
			Params: []ParamSpec{
				{Name: "arch", Kind: String, Required: true, Choices: recognizers.Archs(), Doc: "network architecture"},
				{Name: "classes", Kind: Int, Required: true, Doc: "number of classes"},
				{Name: "seed", Kind: Int, Default: 1, Doc: "seed of the random initialisation"},
				modelParams[0], modelParams[1],
			},
			New: newRecognizerNode,
		},
		{
			Name: "class-graph", Doc: "turns class energies [N, C] into a linear graph of N positions with one arc per class (label c+1, energy bound to the tensor, so the loss on the graph trains the network)",
			Inputs: []Type{TensorType}, Output: GraphType,
			New: func(*Args) (Node, error) { return classGraph{}, nil },
		},
	}
}

// digitInput implements the digit-input node.
type digitInput struct{ box, field, size int }

func newDigitInput(a *Args) (Node, error) {
	n := digitInput{a.Int("box"), a.Int("field"), a.Int("size")}
	switch {
	case n.box < 1 || n.box > n.field:
		return nil, a.Errorf("box", "box must be between 1 and field (%d), got %d", n.field, n.box)
	case n.field > n.size:
		return nil, a.Errorf("field", "field (%d) must not exceed size (%d)", n.field, n.size)
	}
	return n, nil
}

func (n digitInput) Run(rc *RunContext, in []any) (any, error) {
	im := NormalizeDigit(in[0].(*Image), n.box, n.field)
	t := rc.Tape.Tensor(1, 1, n.size, n.size)
	for i := range t.Data {
		t.Data[i] = recognizers.LeNetBackground
	}
	off := (n.size - n.field) / 2
	const scale = recognizers.LeNetInk - recognizers.LeNetBackground
	for y := range n.field {
		for x := range n.field {
			t.Data[(y+off)*n.size+x+off] = recognizers.LeNetBackground + scale*im.Ink[y*n.field+x]
		}
	}
	return rc.Tape.Const(t), nil
}

// recognizerNode implements the recognizer node.
type recognizerNode struct{ net recognizers.Network }

func (n recognizerNode) network() recognizers.Network { return n.net }

func newRecognizerNode(a *Args) (Node, error) {
	net, err := newNetwork(a)
	if err != nil {
		return nil, err
	}
	return recognizerNode{net}, nil
}

func (n recognizerNode) Run(rc *RunContext, in []any) (any, error) {
	return n.net.Forward(rc.Tape, in[0].(*gtn.Var))
}

func (n recognizerNode) Params() []*gtn.Param { return n.net.Params() }

// classGraph implements the class-graph node.
type classGraph struct{}

func (classGraph) Run(rc *RunContext, in []any) (any, error) {
	x := in[0].(*gtn.Var)
	if rows, classes := x.Value.Rows(); rows == 0 || classes == 0 {
		return nil, fmt.Errorf("class energies of shape %v: nothing to choose from", x.Value.Shape)
	}
	return transformers.PositionGraph(rc.Tape, x)
}
