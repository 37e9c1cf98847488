// Package recognizers holds gotn's trainable tensor modules and the
// networks built from them: convolutions (with the partial connection
// tables of LeNet), the subsampling layers of LeCun et al. (1998), pooling,
// fully connected layers, the Euclidean RBF output with fixed codes,
// log-softmax energies and dropout; and the networks LeNet-1, LeNet-4 and
// LeNet-5 of the 1998 paper and a modern variant of LeNet-5 (New, Archs).
//
// A layer takes the tape and an input Var and returns its output Var,
// recording its backward pass on the tape (see package gtn). Batches are
// tensors with the batch dimension first: images are [N, C, H, W]. A network
// maps a batch of images to class energies [N, classes], lower is better, so
// that the energy-based losses of package gtn apply directly. ToModel,
// FromModel, Save and Load turn networks into model files and back.
//
// Layers are single-threaded (the trainer parallelises over examples) and
// safe for concurrent use by several goroutines, each with its own tape:
// forward passes only read the parameters, and all scratch memory comes from
// the tape.
//
// # Speed
//
// Convolutions run as im2col followed by one matrix product per chunk of
// images (the chunk's columns fit in the L2 cache). On amd64 processors with
// AVX2 and FMA the matrix products and the scaled tanh run on assembly
// kernels (kernels_amd64.s: a 6×16 register-blocked kernel for A·B and
// Aᵀ·B, a 3×4 dot-product kernel for A·Bᵀ, an 8-wide tanh); elsewhere, or
// with the purego build tag, on gonum's Sgemm (called on blocks small
// enough that it never starts goroutines) and a table interpolation of tanh.
// Both paths are tested. BenchmarkLeNet5TrainBatch32 and
// BenchmarkLeNet5Inference measure LeNet-5.
package recognizers
