package recognizers

import (
	"math/rand/v2"
)

// NewLeNet5Torch returns LeNet-5 in the shape usually written in PyTorch,
// for speed comparisons with it (bench/lenet_vs_pytorch.sh):
//
//	input  32×32
//	C1     6@28×28    5×5 convolution, tanh                      156 parameters
//	S2     6@14×14    2×2 average pooling
//	C3     16@10×10   5×5 convolution (all 6 maps), tanh       2,416
//	S4     16@5×5     2×2 average pooling
//	F5     120        fully connected, tanh                   48,120
//	F6     84         fully connected, tanh                   10,164
//	F7     classes    fully connected (10 classes: 850)
//	output            log-softmax energies, -log p(class)
//
// that is 61,706 parameters for 10 classes; the NLL loss on its energies
// is the cross-entropy loss. The tanh is LeCun's scaled one,
// 1.7159 tanh(2a/3) (the same cost as a plain tanh), and the weights start
// in U(±2.4/Fi).
func NewLeNet5Torch(classes int, rng *rand.Rand) (Network, error) {
	b := &builder{rng: rng}
	b.conv(ConvConfig{Name: "c1", In: 1, Out: 6, KH: 5, KW: 5, Act: ScaledTanh})
	b.add(AvgPool{Size: 2})
	b.conv(ConvConfig{Name: "c3", In: 6, Out: 16, KH: 5, KW: 5, Act: ScaledTanh})
	b.add(AvgPool{Size: 2})
	b.linear(LinearConfig{Name: "f5", In: 16 * 5 * 5, Out: 120, Act: ScaledTanh})
	b.linear(LinearConfig{Name: "f6", In: 120, Out: 84, Act: ScaledTanh})
	b.linear(LinearConfig{Name: "f7", In: 84, Out: classes})
	b.add(LogSoftmax{})
	return b.network("lenet5-torch", classes, 32)
}
