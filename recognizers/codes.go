package recognizers

import (
	"math/rand/v2"

	"github.com/gotn/gotn/gtn"
)

// The size of the RBF code bitmaps of LeNet-5.
const (
	CodeWidth  = 7
	CodeHeight = 12
)

// digitBitmaps are stylised 7×12 bitmaps of the digits 0-9 ('#' = +1,
// '.' = -1). The 1998 paper shows the bitmaps it used for the 96 ASCII
// characters only as a small figure; these are our own drawings of the
// digits in the same spirit: the glyph in rows 1-10, full width.
var digitBitmaps = [10][CodeHeight]string{
	{".......", "..###..", ".#...#.", "#.....#", "#.....#", "#.....#", "#.....#", "#.....#", "#.....#", ".#...#.", "..###..", "......."},
	{".......", "...#...", "..##...", ".#.#...", "...#...", "...#...", "...#...", "...#...", "...#...", "...#...", ".#####.", "......."},
	{".......", "..###..", ".#...#.", "#.....#", "......#", ".....#.", "....#..", "...#...", "..#....", ".#.....", "#######", "......."},
	{".......", ".#####.", "#.....#", "......#", "......#", "..####.", "......#", "......#", "......#", "#.....#", ".#####.", "......."},
	{".......", "....##.", "...#.#.", "..#..#.", ".#...#.", "#....#.", "#######", ".....#.", ".....#.", ".....#.", ".....#.", "......."},
	{".......", "#######", "#......", "#......", "#####..", ".....#.", "......#", "......#", "......#", "#....#.", ".####..", "......."},
	{".......", "...###.", "..#....", ".#.....", "#......", "#.###..", "##...#.", "#.....#", "#.....#", ".#...#.", "..###..", "......."},
	{".......", "#######", "......#", ".....#.", "....#..", "...#...", "...#...", "..#....", "..#....", "..#....", "..#....", "......."},
	{".......", "..###..", ".#...#.", "#.....#", ".#...#.", "..###..", ".#...#.", "#.....#", "#.....#", ".#...#.", "..###..", "......."},
	{".......", "..###..", ".#...#.", "#.....#", "#.....#", ".#...##", "..###.#", "......#", "......#", ".....#.", "..###..", "......."},
}

// DigitCodes returns the RBF codes of the ten digits, [10, 84]: row d is
// the 7×12 bitmap of digit d, row by row, with +1 for ink and -1 for
// background.
func DigitCodes() *gtn.Tensor {
	t := gtn.NewTensor(10, CodeWidth*CodeHeight)
	for d, bm := range digitBitmaps {
		row := t.Row(d)
		for y, line := range bm {
			for x := range CodeWidth {
				v := float32(-1)
				if line[x] == '#' {
					v = 1
				}
				row[y*CodeWidth+x] = v
			}
		}
	}
	return t
}

// RBFCodes returns codes for classes classes, [classes, 84]: the digit
// bitmaps of DigitCodes for the first ten classes and, beyond ten, random
// ±1 codes drawn from rng (the paper used bitmaps of the ASCII characters;
// random codes of 84 bits are about as far apart, 42 bits on average).
func RBFCodes(classes int, rng *rand.Rand) *gtn.Tensor {
	const d = CodeWidth * CodeHeight
	t := gtn.NewTensor(classes, d)
	digits := DigitCodes()
	copy(t.Data, digits.Data[:min(classes, 10)*d])
	for i := 10 * d; i < len(t.Data); i++ {
		t.Data[i] = float32(2*rng.IntN(2) - 1)
	}
	return t
}

// PlaceCodes returns the place codes of classes classes, [classes,
// classes]: code k is +1 at k and -1 elsewhere, the targets of output units
// trained with the mean squared error.
func PlaceCodes(classes int) *gtn.Tensor {
	t := gtn.NewTensor(classes, classes)
	for k := range classes {
		row := t.Row(k)
		for j := range row {
			row[j] = -1
		}
		row[k] = 1
	}
	return t
}
