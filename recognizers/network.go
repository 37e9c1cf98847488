package recognizers

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/gotn/gotn/gtn"
)

// A Network is a trainable recognizer: it maps a batch of images
// [N, 1, H, W] (H×W = InputSize) to class energies [N, Classes], lower is
// better.
type Network interface {
	// Arch returns the architecture name, as given to New.
	Arch() string
	// Classes returns the number of classes.
	Classes() int
	// InputSize returns the height and width of the input images.
	InputSize() (height, width int)
	// Params returns the network's parameters, fixed ones included, with
	// unique names.
	Params() []*gtn.Param
	// Forward computes the class energies of the batch x.
	Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error)
}

// A SeededNetwork draws random numbers when training (dropout);
// ForwardSeed makes them a function of seed. Forward derives a seed from
// the input, so a trainer that wants reproducible runs independent of batch
// contents passes its own, for example one per (epoch, batch).
type SeededNetwork interface {
	Network
	ForwardSeed(tp *gtn.Tape, x *gtn.Var, seed uint64) (*gtn.Var, error)
}

// Sequential is a network made of layers applied one after the other.
type Sequential struct {
	arch          string
	classes       int
	height, width int
	// Layers are applied in order; the last one outputs the energies.
	Layers []Layer
}

// NewSequential returns a network named arch that applies layers in order
// to images of height×width and outputs energies for classes classes.
func NewSequential(arch string, classes, height, width int, layers ...Layer) *Sequential {
	return &Sequential{arch: arch, classes: classes, height: height, width: width, Layers: layers}
}

// Arch implements Network.
func (s *Sequential) Arch() string { return s.arch }

// Classes implements Network.
func (s *Sequential) Classes() int { return s.classes }

// InputSize implements Network.
func (s *Sequential) InputSize() (int, int) { return s.height, s.width }

// Params implements Network.
func (s *Sequential) Params() []*gtn.Param {
	var ps []*gtn.Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Forward implements Network. Seeded layers (dropout) get seeds derived
// from the input.
func (s *Sequential) Forward(tp *gtn.Tape, x *gtn.Var) (*gtn.Var, error) {
	return s.ForwardSeed(tp, x, hashValues(x.Value.Data))
}

// ForwardSeed implements SeededNetwork: the i-th seeded layer gets a seed
// derived from seed and i.
func (s *Sequential) ForwardSeed(tp *gtn.Tape, x *gtn.Var, seed uint64) (*gtn.Var, error) {
	sh := x.Value.Shape
	if len(sh) != 4 || sh[1] != 1 || sh[2] != s.height || sh[3] != s.width {
		return nil, fmt.Errorf("recognizers: %s: input has shape %v, want [N, 1, %d, %d]", s.arch, sh, s.height, s.width)
	}
	var err error
	for i, l := range s.Layers {
		if sl, ok := l.(SeededLayer); ok {
			x, err = sl.ForwardSeed(tp, x, mixSeed(seed, uint64(i)))
		} else {
			x, err = l.Forward(tp, x)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.arch, err)
		}
	}
	if sh := x.Value.Shape; len(sh) != 2 || sh[1] != s.classes {
		return nil, fmt.Errorf("recognizers: %s: the last layer outputs %v, want [N, %d]", s.arch, sh, s.classes)
	}
	return x, nil
}

// mixSeed derives a seed from a seed and an index (SplitMix64 finaliser).
func mixSeed(seed, i uint64) uint64 {
	z := seed + (i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Archs returns the architecture names New knows, sorted.
func Archs() []string {
	names := make([]string, 0, len(constructors))
	for n := range constructors {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// constructors maps architecture names to constructors; it is never
// modified.
var constructors = map[string]func(classes int, rng *rand.Rand) (Network, error){
	"lenet1":        NewLeNet1,
	"lenet4":        NewLeNet4,
	"lenet5":        NewLeNet5,
	"lenet5-modern": NewLeNet5Modern,
	"lenet5-pair":   NewLeNet5Pair,
	"lenet5-torch":  NewLeNet5Torch,
}

// New returns a network of the named architecture (see Archs) for classes
// classes, with initial weights drawn from rng.
func New(arch string, classes int, rng *rand.Rand) (Network, error) {
	f, ok := constructors[arch]
	if !ok {
		return nil, fmt.Errorf("recognizers: unknown architecture %q (known: %v)", arch, Archs())
	}
	if classes < 1 {
		return nil, fmt.Errorf("recognizers: %s: %d classes, want at least 1", arch, classes)
	}
	return f(classes, rng)
}

// CountParams returns the number of trainable (not Fixed) parameter values.
func CountParams(params []*gtn.Param) int {
	n := 0
	for _, p := range params {
		if !p.Fixed {
			n += p.Value.Len()
		}
	}
	return n
}

// The metadata keys ToModel writes and FromModel reads.
const (
	MetaArch        = "arch"
	MetaClasses     = "classes"
	MetaInputHeight = "input_height"
	MetaInputWidth  = "input_width"
)

// ToModel returns a model holding net's parameters (shared, not copied) and
// metadata: extra (copied) plus the architecture, the number of classes and
// the input size, which FromModel needs.
func ToModel(net Network, extra map[string]string) *gtn.Model {
	meta := make(map[string]string, len(extra)+4)
	for k, v := range extra {
		meta[k] = v
	}
	h, w := net.InputSize()
	meta[MetaArch] = net.Arch()
	meta[MetaClasses] = strconv.Itoa(net.Classes())
	meta[MetaInputHeight] = strconv.Itoa(h)
	meta[MetaInputWidth] = strconv.Itoa(w)
	return &gtn.Model{Meta: meta, Params: net.Params()}
}

// FromModel rebuilds the network a model was made from (by ToModel) and
// loads its parameters. name is used in errors (a file name).
func FromModel(m *gtn.Model, name string) (Network, error) {
	arch := m.Meta[MetaArch]
	if arch == "" {
		return nil, fmt.Errorf("%s: the model does not say its architecture (meta %q)", name, MetaArch)
	}
	classes, err := strconv.Atoi(m.Meta[MetaClasses])
	if err != nil {
		return nil, fmt.Errorf("%s: bad number of classes in the model: %w", name, err)
	}
	net, err := New(arch, classes, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	h, w := net.InputSize()
	if m.Meta[MetaInputHeight] != strconv.Itoa(h) || m.Meta[MetaInputWidth] != strconv.Itoa(w) {
		return nil, fmt.Errorf("%s: the model's input is %s×%s, architecture %s takes %d×%d", name, m.Meta[MetaInputHeight], m.Meta[MetaInputWidth], arch, h, w)
	}
	if err := m.Load(net.Params(), name); err != nil {
		return nil, err
	}
	return net, nil
}

// Save writes net and the metadata extra to the model file at path
// (atomically, see gtn.SaveModel).
func Save(path string, net Network, extra map[string]string) error {
	return gtn.SaveModel(path, ToModel(net, extra))
}

// Load reads the model file at path and rebuilds its network. It also
// returns the model, for its metadata.
func Load(path string) (Network, *gtn.Model, error) {
	m, err := gtn.LoadModel(path)
	if err != nil {
		return nil, nil, err
	}
	net, err := FromModel(m, path)
	if err != nil {
		return nil, nil, err
	}
	return net, m, nil
}
