// Package recognizers holds gotn's trainable tensor modules and the
// networks built from them: convolutions (with the partial connection
// tables of LeNet), the subsampling layers of LeCun et al. (1998), pooling,
// fully connected layers, the Euclidean RBF output with fixed codes,
// log-softmax energies and dropout; and the networks LeNet-1, LeNet-4,
// LeNet-5 (as in the 1998 paper) and a modern variant of LeNet-5.
//
// A layer takes the tape and an input Var and returns its output Var,
// recording its backward pass on the tape (see package gtn). Batches are
// tensors with the batch dimension first: images are [N, C, H, W]. A network
// maps a batch of images to class energies [N, classes], lower is better, so
// that the energy-based losses of package gtn apply directly.
//
// Layers are single-threaded (the trainer parallelises over examples) and
// safe for concurrent use by several goroutines, each with its own tape:
// forward passes only read the parameters, and all scratch memory comes from
// the tape. Convolutions run as im2col followed by matrix products (gonum's
// Sgemm, called on blocks small enough that it never starts goroutines).
package recognizers
