package transformers

import (
	"fmt"

	"github.com/gotn/gotn/graphs"
	"github.com/gotn/gotn/gtn"
)

// The character model reads an SDNN's sequence of detections: runs of
// the same digit are one digit, junk (label 11) separates repeats.
func ExampleCharacterModel() {
	cm, _ := CharacterModel(10)
	const junk = 11
	// Labels are digits + 1: 4 is "3", 6 is "5".
	seq, _ := graphs.LinearAcceptor([]int32{junk, 4, 4, junk, 4, 6, 6, junk})
	g, _, _ := graphs.Compose(seq, cm)
	p, _ := graphs.Viterbi(g)
	for _, l := range p.OLabels(g) {
		fmt.Print(l - 1)
	}
	fmt.Println()
	// Output: 335
}

// Over-segmenting a hand-drawn "10" whose bar's foot touches the ring:
// the segmentation graph has a path that reads each character as one
// segment, and others that a recognizer will reject.
func ExampleHOS_Segment() {
	c := newCanvas(36, 28)
	c.line(8, 4, 7, 23, 1.2, 0)
	c.line(7, 23, 12.5, 23, 1.2, 0)
	c.ring(19, 14, 6, 9, 1.2, 1)
	h, _ := NewHOS(DefaultHOS())
	seg, _ := h.Segment(c.bitmap())
	truth := seg.Truth(c.owner, c.w, c.h, 2)
	fmt.Printf("%d pieces, %d segments\n", seg.NumPieces, len(seg.Segments))
	for _, s := range seg.CorrectPath(truth, 2) {
		fmt.Printf("character: pieces %d-%d\n", seg.Segments[s].From, seg.Segments[s].To-1)
	}
	// Output:
	// 3 pieces, 6 segments
	// character: pieces 0-0
	// character: pieces 1-2
}

// The recognition transformer turns a segmentation into a graph with an
// arc per segment and class; its energies are bound to the recognizer's
// output, so a loss on any graph made from it trains the recognizer.
func ExampleRecognize() {
	c := newCanvas(36, 28)
	c.line(8, 4, 7, 23, 1.2, 0)
	c.line(7, 23, 12.5, 23, 1.2, 0)
	c.ring(19, 14, 6, 9, 1.2, 1)
	h, _ := NewHOS(DefaultHOS())
	seg, _ := h.Segment(c.bitmap())
	net, _ := NewRecognizer("lenet5", 11, 1) // ten digits and junk
	tp := gtn.NewTape(nil)
	g, _ := Recognize(tp, net, seg)
	fmt.Printf("%d segments × 11 classes = %d arcs between %d states\n", len(seg.Segments), g.G.NumArcs(), g.G.NumStates())
	// Output: 6 segments × 11 classes = 66 arcs between 4 states
}
