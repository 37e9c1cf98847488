// Package sequence labels token sequences (chunking, named entities, POS
// tags) with one architecture and several energy-based losses, as in the
// energy-based view of LeCun et al.: a linear-chain CRF, Collins's
// structured perceptron and max-margin Markov networks are the same chain
// of linear factors trained with the NLL, perceptron and hinge losses.
//
// # Architecture
//
// A sentence's tokens have attributes declared by templates (Template:
// words and POS tags in a window, their conjunctions, prefixes, suffixes,
// shapes). The energy of labeling y is
//
//	E(x, y) = Σ_t Σ_{a ∈ attrs(x,t)} W[a, y_t] + Σ_t Trans[y_{t-1}, y_t]
//
// with sentence boundaries as an extra label (lower is better). The label
// lattice, whose paths are the labelings, is a graphs.Graph: Lattice builds
// it on a gtn tape as the composition of an emission graph with a bigram
// transition graph, and gtn's Tape.GraphLoss applies any energy-based loss
// to it (GraphLoss). Chain computes exactly the same energies, losses and
// gradients on dense T×L buffers (Viterbi, the most offending incorrect
// labeling, scaled forward-backward), which is what training uses; the
// tests check one against the other on random cases for every loss.
// Hamming cost augmentation (Chain.Loss's cost) turns the perceptron loss
// into the structured hinge loss of M3N / structural SVMs.
//
// # Training
//
// Train builds the attributes and features from the training sentences
// (weights for the (attribute, label) pairs seen in training, as CRFsuite,
// or all pairs) and optimises them with one of the methods: MethodCRF
// (Σ NLL + C2‖w‖² by L-BFGS from gonum/optimize, objective and gradient in
// parallel over sentences), MethodPerceptron (averaged perceptron),
// MethodM3N (structured hinge with Hamming cost, averaged AdaGrad) and
// MethodOnline (any gtn loss, SGD or AdaGrad). A Model predicts with
// Viterbi, scores with conlleval's rules (Score, Counter, Conlleval) and
// saves as a gtn model file (Save, Load, GTNModel).
//
//	train, _ := datasets.ReadCoNLLFile("train.txt", nil)
//	m, stats, _ := sequence.Train(ctx, train, sequence.TrainConfig{Config: sequence.CoNLL2000Config(), Method: sequence.MethodCRF})
//	result, predictions, _ := m.Evaluate(test, 0)
//	fmt.Print(result) // conlleval's report
package sequence
