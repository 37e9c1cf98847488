package recognizers_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
)

// Build LeNet-5, count its trainable parameters and compute the class
// energies of a blank 28×28 digit.
func ExampleNew() {
	net, err := recognizers.New("lenet5", 10, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("trainable parameters:", recognizers.CountParams(net.Params()))

	blank := make([]byte, 28*28)
	h, w := net.InputSize()
	x, err := recognizers.LeNetInput([][]byte{blank}, 28, 28, h)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("input %v for a %d×%d network\n", x.Shape, h, w)
	tp := gtn.NewTape(nil) // inference: no gradients
	energies, err := net.Forward(tp, tp.Const(x))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("energies", energies.Value.Shape)
	// Output:
	// trainable parameters: 60000
	// input [1 1 32 32] for a 32×32 network
	// energies [1 10]
}

// A convolution with a hand-set kernel: each output is the sum of a 2×2
// window of the input, plus the bias.
func ExampleConv2D() {
	conv, err := recognizers.NewConv2D(recognizers.ConvConfig{Name: "c", In: 1, Out: 1, KH: 2, KW: 2}, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		fmt.Println(err)
		return
	}
	copy(conv.Weight.Value.Data, []float32{1, 1, 1, 1})
	conv.Bias.Value.Data[0] = 0.5
	x, _ := gtn.FromData([]float32{
		1, 2, 3,
		4, 5, 6,
	}, 1, 1, 2, 3)
	tp := gtn.NewTape(nil)
	y, err := conv.Forward(tp, tp.Const(x))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Value.Shape, y.Value.Data)
	// Output: [1 1 1 2] [12.5 16.5]
}

// The connection table of LeNet-5's C3: which S2 maps feed each C3 map.
func ExampleLeNet5Table() {
	t := recognizers.LeNet5Table()
	for i, row := range t {
		fmt.Printf("S2 map %d:", i)
		for _, on := range row {
			if on {
				fmt.Print(" X")
			} else {
				fmt.Print(" .")
			}
		}
		fmt.Println()
	}
	// Output:
	// S2 map 0: X . . . X X X . . X X X X . X X
	// S2 map 1: X X . . . X X X . . X X X X . X
	// S2 map 2: X X X . . . X X X . . X . X X X
	// S2 map 3: . X X X . . X X X X . . X . X X
	// S2 map 4: . . X X X . . X X X X . X X . X
	// S2 map 5: . . . X X X . . X X X X . X X X
}
