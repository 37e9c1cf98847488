package transformers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
	"github.com/gotn/gotn/recognizers"
)

// TestSDNNEqualsWindows checks that the SDNN's energies at position p are
// exactly the recognizer's energies on the frame-wide window at column
// p·stride, for the LeNets whose last layers are fully connected (LeNet-1:
// a fully connected layer over 4×4 maps becomes a 4×4 convolution) or
// convolutional (LeNet-5).
func TestSDNNEqualsWindows(t *testing.T) {
	for _, arch := range []string{"lenet5", "lenet1", "lenet5-modern"} {
		t.Run(arch, func(t *testing.T) {
			net, err := NewRecognizer(arch, 11, 3)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := net.InputSize()
			s, err := NewSDNN(net, NormalizeConfig{Height: h, Body: h - 8, Pad: 0, Threshold: 0.3, MinSpeck: 1})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			w := 3*h + 5
			norm := &Bitmap{Width: w, Height: h, Ink: make([]float32, w*h)}
			for i := range norm.Ink {
				if rng.Float64() < 0.3 {
					norm.Ink[i] = float32(rng.Float64())
				}
			}
			tp := gtn.NewTape(nil)
			e, err := s.ForwardNormalized(tp, norm)
			if err != nil {
				t.Fatal(err)
			}
			positions := (w-h)/s.Stride() + 1
			if e.Value.Shape[0] != positions || e.Value.Shape[1] != 11 {
				t.Fatalf("energies of shape %v, want [%d 11]", e.Value.Shape, positions)
			}
			win := gtn.NewTensor(positions, 1, h, h)
			const bg, scale = recognizers.LeNetBackground, recognizers.LeNetInk - recognizers.LeNetBackground
			for p := range positions {
				for y := range h {
					for x := range h {
						win.Data[(p*h+y)*h+x] = bg + scale*norm.Ink[y*w+p*s.Stride()+x]
					}
				}
			}
			want, err := net.Forward(tp, tp.Const(win))
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range want.Value.Data {
				if d := math.Abs(float64(v - e.Value.Data[i])); d > 1e-3*(1+math.Abs(float64(v))) {
					t.Fatalf("position %d class %d: SDNN %v, window %v", i/11, i%11, e.Value.Data[i], v)
				}
			}
		})
	}
}

// TestCharacterModel reads SDNN label sequences through the character
// model: repeated detections merge, junk separates repeated characters.
func TestCharacterModel(t *testing.T) {
	cm, err := CharacterModel(10)
	if err != nil {
		t.Fatal(err)
	}
	const J = 11
	for _, tc := range []struct {
		in   []int32
		want []int32
	}{
		{[]int32{J, 4, 4, 4, J, J, 6, 8, 8, J}, []int32{4, 6, 8}},
		{[]int32{4, 4, J, 4}, []int32{4, 4}},
		{[]int32{J, J}, nil},
		{[]int32{1, 2, 1}, []int32{1, 2, 1}},
		{[]int32{3}, []int32{3}},
	} {
		lin, err := graphs.LinearAcceptor(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		g, _, err := graphs.Compose(lin, cm)
		if err != nil {
			t.Fatal(err)
		}
		paths, err := graphs.NBest(g, 5)
		if err != nil {
			t.Fatalf("%v: %v", tc.in, err)
		}
		if len(paths) != 1 {
			t.Fatalf("%v: %d readings, want exactly 1", tc.in, len(paths))
		}
		if got := paths[0].OLabels(g); !equalLabels(got, tc.want) {
			t.Errorf("%v reads %v, want %v", tc.in, got, tc.want)
		}
	}
}

func equalLabels(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
