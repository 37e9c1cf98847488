package transformers

import "math"

// Truth labels for segments (see Segmentation.Truth).
const (
	// TruthJunk marks a segment that is not a character: part of one,
	// or parts of several.
	TruthJunk = -1
	// TruthUnsure marks a segment too close to call either way.
	TruthUnsure = -2
)

// The thresholds of Truth: a segment is character k when it holds at least
// TruthCover of k's ink and at most TruthForeign of the characters' ink it
// holds is not k's. Touching characters that overlap cannot be cut
// cleanly; these bounds accept the cuts a reader would accept.
const (
	TruthCover   = 0.8
	TruthForeign = 0.2
)

// Truth labels the segments against the ground truth of a generated or
// annotated string: owner gives, for each pixel of the source image
// (width srcW, row by row), the index of the character that owns it, or
// -1 (paper or noise, which counts for nothing). A segment is character k
// when it holds at least TruthCover of k's ink and at most TruthForeign of
// the characters' ink it holds is not k's; it is junk when it holds less
// than 55% of every character or more than 40% of foreign ink; otherwise
// it is unsure. Ink is measured in the normalised image.
func (s *Segmentation) Truth(owner []int8, srcW, srcH, chars int) []int {
	// Ink of each piece per owner (chars+1 columns, the last for none).
	np := s.NumPieces
	ink := make([]float64, np*(chars+1))
	total := make([]float64, chars+1)
	w := s.Norm.Width
	for p, r := range s.Piece {
		if r < 0 {
			continue
		}
		x, y := p%w, p/w
		sx, sy := s.Transform.Source(x, y)
		o := chars
		ix, iy := int(math.Floor(sx)), int(math.Floor(sy))
		if ix >= 0 && iy >= 0 && ix < srcW && iy < srcH {
			if k := int(owner[iy*srcW+ix]); k >= 0 && k < chars {
				o = k
			}
		}
		v := float64(s.Norm.Ink[p])
		ink[int(r)*(chars+1)+o] += v
		total[o] += v
	}
	out := make([]int, len(s.Segments))
	acc := make([]float64, chars+1)
	for i, sg := range s.Segments {
		clear(acc)
		// Ink that belongs to no character (noise) counts for nothing.
		var sum float64
		for r := sg.From; r < sg.To; r++ {
			for k := range acc {
				acc[k] += ink[r*(chars+1)+k]
			}
		}
		for k := range chars {
			sum += acc[k]
		}
		best, bestFrac := -1, 0.0
		for k := range chars {
			if total[k] > 0 {
				if f := acc[k] / total[k]; f > bestFrac {
					best, bestFrac = k, f
				}
			}
		}
		foreign := 1.0
		if best >= 0 && sum > 0 {
			foreign = 1 - acc[best]/sum
		}
		switch {
		case best >= 0 && bestFrac >= TruthCover && foreign <= TruthForeign:
			out[i] = best
		case best < 0 || bestFrac < 0.55 || foreign > 0.4:
			out[i] = TruthJunk
		default:
			out[i] = TruthUnsure
		}
	}
	return out
}

// CorrectPath returns the segments (indices into Segments) of a path of
// the segmentation graph whose segments are characters 0, 1, ..., chars-1
// in order according to truth (from Truth), or nil if there is none.
func (s *Segmentation) CorrectPath(truth []int, chars int) []int {
	// reach[state][k]: arriving at state after k characters; the
	// segment used, +1 (0: unreached).
	np := s.NumPieces
	from := make([]int32, (np+1)*(chars+1))
	for i := range from {
		from[i] = -1
	}
	from[0] = -2 // start
	// Segments are ordered by From, so states are visited in order.
	for i, sg := range s.Segments {
		k := truth[i]
		if k < 0 || k >= chars {
			continue
		}
		if from[sg.From*(chars+1)+k] == -1 {
			continue
		}
		if from[sg.To*(chars+1)+k+1] == -1 {
			from[sg.To*(chars+1)+k+1] = int32(i)
		}
	}
	if from[np*(chars+1)+chars] == -1 {
		return nil
	}
	path := make([]int, chars)
	st, k := np, chars
	for k > 0 {
		i := int(from[st*(chars+1)+k])
		path[k-1] = i
		st, k = s.Segments[i].From, k-1
	}
	return path
}
