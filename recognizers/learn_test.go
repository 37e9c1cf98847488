package recognizers

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gotn/gotn/gtn"
)

// patterns makes n 12×12 images of four classes: a horizontal bar, a
// vertical bar, a "\" diagonal and a "/" diagonal, each of random position
// and length (5 to 8 pixels) and two pixels thick (one-pixel lines alias
// under 2×2 subsampling, which then needs many more epochs), drawn with
// LeNet's input levels (background -0.1, ink 1.175) plus Gaussian noise
// (σ 0.3).
func patterns(rng *rand.Rand, n int) (*gtn.Tensor, []int) {
	const size = 12
	x := gtn.NewTensor(n, 1, size, size)
	labels := make([]int, n)
	for i := range n {
		img := x.Data[i*size*size : (i+1)*size*size]
		for j := range img {
			img[j] = LeNetBackground + float32(0.3*rng.NormFloat64())
		}
		c := rng.IntN(4)
		labels[i] = c
		length := 5 + rng.IntN(4)
		r0, c0 := rng.IntN(size-length+1), rng.IntN(size-length+1)
		fixed := rng.IntN(size)
		for t := range length {
			var y, xx int
			switch c {
			case 0:
				y, xx = fixed, c0+t
			case 1:
				y, xx = r0+t, fixed
			case 2:
				y, xx = r0+t, c0+t
			case 3:
				y, xx = r0+t, c0+length-1-t
			}
			img[y*size+xx] += LeNetInk - LeNetBackground
			if c == 0 {
				y = neighbour(y, size)
			} else {
				xx = neighbour(xx, size)
			}
			img[y*size+xx] += LeNetInk - LeNetBackground
		}
	}
	return x, labels
}

// neighbour returns i+1, or i-1 at the edge.
func neighbour(i, size int) int {
	if i+1 < size {
		return i + 1
	}
	return i - 1
}

// TestLearnsPatterns trains two small networks, one built the 1998 way
// (scaled tanh, subsampling, RBF place codes, energy loss) and one the
// modern way (ReLU, max pooling, dropout, log-softmax, NLL loss), on 1,200
// pattern images and requires 95% accuracy on 600 others (chance: 25%).
// Both take a fraction of a second.
func TestLearnsPatterns(t *testing.T) {
	tests := []struct {
		name   string
		loss   string
		lr     float64
		epochs int
		layers func(rng *rand.Rand) ([]Layer, error)
	}{
		{"1998: tanh, subsampling, RBF, energy loss", "energy", 0.003, 20, func(rng *rand.Rand) ([]Layer, error) {
			b := &builder{rng: rng}
			b.conv(ConvConfig{Name: "c1", In: 1, Out: 6, KH: 5, KW: 5, Act: ScaledTanh})
			b.subsample(SubsampleConfig{Name: "s2", In: 6, Act: ScaledTanh})
			b.linear(LinearConfig{Name: "f3", In: 6 * 4 * 4, Out: 4, Act: ScaledTanh})
			b.rbf(PlaceCodes(4))
			return b.layers, b.err
		}},
		{"modern: relu, max pooling, dropout, nll", "nll", 0.02, 12, func(rng *rand.Rand) ([]Layer, error) {
			b := &builder{rng: rng}
			b.conv(ConvConfig{Name: "c1", In: 1, Out: 8, KH: 3, KW: 3, Pad: 1, Act: ReLU, Init: HeInit})
			b.add(MaxPool{Size: 2})
			b.linear(LinearConfig{Name: "f2", In: 8 * 6 * 6, Out: 32, Act: ReLU, Init: HeInit})
			b.add(Dropout{P: 0.2})
			b.linear(LinearConfig{Name: "f3", In: 32, Out: 4, Init: HeInit})
			b.add(LogSoftmax{})
			return b.layers, b.err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			rng := rand.New(rand.NewPCG(10, 20))
			layers, err := tc.layers(rng)
			if err != nil {
				t.Fatal(err)
			}
			net := NewSequential("patterns", 4, 12, 12, layers...)
			loss, err := gtn.ParseLoss(tc.loss, gtn.LossOptions{})
			if err != nil {
				t.Fatal(err)
			}
			trainX, trainY := patterns(rng, 1200)
			testX, testY := patterns(rng, 600)
			grads := gtn.NewGrads(net.Params())
			tp := gtn.NewTape(grads)
			opt := &gtn.SGD{Momentum: 0.9}
			const batch = 16
			per := 12 * 12
			bx := gtn.NewTensor(batch, 1, 12, 12)
			by := make([]int, batch)
			for epoch := range tc.epochs {
				order := rng.Perm(len(trainY))
				for s := 0; s+batch <= len(order); s += batch {
					for j, i := range order[s : s+batch] {
						copy(bx.Data[j*per:(j+1)*per], trainX.Data[i*per:(i+1)*per])
						by[j] = trainY[i]
					}
					tp.Reset()
					grads.Zero()
					e, err := net.ForwardSeed(tp, tp.Const(bx), uint64(epoch*1000+s))
					if err != nil {
						t.Fatal(err)
					}
					l, err := tp.ClassLoss(e, by, loss)
					if err != nil {
						t.Fatal(err)
					}
					if err := tp.Backward(l); err != nil {
						t.Fatal(err)
					}
					opt.Step(grads, tc.lr)
				}
			}
			acc := accuracy(t, net, testX, testY)
			t.Logf("test accuracy %.1f%% after %d epochs (%v)", 100*acc, tc.epochs, time.Since(start).Round(time.Millisecond))
			if acc < 0.95 {
				t.Errorf("test accuracy %.1f%%, want at least 95%%", 100*acc)
			}
		})
	}
}

// accuracy returns the fraction of the images x that net classifies as
// labels (lowest energy).
func accuracy(t *testing.T, net Network, x *gtn.Tensor, labels []int) float64 {
	tp := gtn.NewTape(nil)
	e, err := net.Forward(tp, tp.Const(x))
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, y := range labels {
		row := e.Value.Row(i)
		best := 0
		for k, v := range row {
			if v < row[best] {
				best = k
			}
		}
		if best == y {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}
