package amount

import (
	"math"
	"slices"
)

// An Outcome is how one read went, for choosing a reject threshold.
type Outcome struct {
	// Confidence is the answer's posterior (0 when there was no answer).
	Confidence float64
	// Answered is false when the reader gave no answer (no interpretation,
	// an error): such a read is always rejected.
	Answered bool
	// Correct reports whether the answer was right.
	Correct bool
}

// An OperatingPoint is what a reader does at one reject threshold:
// answers whose confidence is at least Threshold are accepted, the others
// rejected. Correct, Errors and Rejected are fractions of all the reads
// (they sum to 1), as banks count them (LeCun et al. 1998: 82% correct,
// 1% errors, 17% rejected).
type OperatingPoint struct {
	Threshold                 float64
	Correct, Errors, Rejected float64
}

// At returns the operating point of outcomes at threshold t.
func At(outcomes []Outcome, t float64) OperatingPoint {
	p := OperatingPoint{Threshold: t}
	if len(outcomes) == 0 {
		return p
	}
	for _, o := range outcomes {
		switch {
		case !o.Answered || !(o.Confidence >= t): // a NaN confidence is no answer
			p.Rejected++
		case o.Correct:
			p.Correct++
		default:
			p.Errors++
		}
	}
	n := float64(len(outcomes))
	p.Correct, p.Errors, p.Rejected = p.Correct/n, p.Errors/n, p.Rejected/n
	return p
}

// Calibrate returns the operating point that reads the most while its
// errors stay at most maxErrors (a fraction of all the reads): its
// threshold is the lowest confidence that keeps the errors of the answers
// accepted within maxErrors. When no answer can be accepted (the most
// confident one is wrong and maxErrors allows none), the threshold is just
// above the highest confidence, and every read is rejected.
func Calibrate(outcomes []Outcome, maxErrors float64) OperatingPoint {
	var answered []Outcome
	for _, o := range outcomes {
		if o.Answered && !math.IsNaN(o.Confidence) {
			answered = append(answered, o)
		}
	}
	if len(answered) == 0 {
		return At(outcomes, math.Inf(1))
	}
	slices.SortFunc(answered, func(a, b Outcome) int {
		switch {
		case a.Confidence > b.Confidence:
			return -1
		case a.Confidence < b.Confidence:
			return 1
		}
		return 0
	})
	allowed := maxErrors * float64(len(outcomes))
	best := math.Nextafter(answered[0].Confidence, math.Inf(1))
	errs := 0
	// Accept the answers in order of confidence, a group of equal
	// confidences at a time (a threshold cannot split them).
	for i := 0; i < len(answered); {
		j := i
		for j < len(answered) && answered[j].Confidence == answered[i].Confidence {
			if !answered[j].Correct {
				errs++
			}
			j++
		}
		if float64(errs) > allowed+1e-9 {
			break
		}
		best = answered[i].Confidence
		i = j
	}
	return At(outcomes, best)
}
