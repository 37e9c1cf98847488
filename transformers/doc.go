// Package transformers holds the graph transformers that read strings of
// handwritten characters without being told where the characters are (LeCun,
// Bottou, Bengio & Haffner 1998, sections IV-VII):
//
//   - HOS, the heuristic over-segmenter: it normalises a string image, cuts
//     its ink into pieces (connected components, and cuts through touching
//     characters at minima of the vertical projection and of the upper and
//     lower contours), and makes the segmentation graph, one arc for every
//     run of 1..MaxSpan consecutive pieces that could be one character, with
//     the piece's ink in the recognizer's input frame and features for a
//     trainable segmentation energy (SegmentEnergy);
//   - Recognize, the recognition transformer: it runs a recognizer on every
//     segment in one batch and replaces each segmentation arc with one arc
//     per class, whose energy is the recognizer's energy plus the
//     segmentation energy, bound to the tensors so that gradients reach both;
//   - SDNN, the space displacement neural network: the recognizer replicated
//     convolutionally over the whole string image, its output sequence as a
//     graph (SDNNGraph), and CharacterModel, the transducer that turns its
//     repeated and partial detections into characters;
//   - grammars (DigitGrammar) and path selection helpers (Constrain).
//
// Composition with a grammar, Viterbi and the forward algorithm are those of
// packages graphs and gtn; the energy-based losses on the resulting
// interpretation graphs are gtn.Tape.GraphLoss.
//
// Labels follow the pipelines' convention: class c of a recognizer is label
// c+1 (label 0 is epsilon), so with digits.syms the digits 0-9 are labels
// 1-10, and a recognizer's last class may be a "not a character" (junk)
// class that grammars do not accept.
package transformers
