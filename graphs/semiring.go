package graphs

import "math"

// Semiring selects how the energies of alternative paths combine.
type Semiring int

const (
	// Tropical keeps the lowest energy of alternative paths (min-sum,
	// Viterbi); it is OpenFst's tropical semiring.
	Tropical Semiring = iota
	// Log combines alternative paths by -log(exp(-a) + exp(-b)) (forward,
	// free energy at beta = 1); it is OpenFst's log semiring.
	Log
)

// String returns "tropical" or "log".
func (s Semiring) String() string {
	if s == Log {
		return "log"
	}
	return "tropical"
}

// Plus returns a ⊕ b in the semiring: min(a, b) for Tropical,
// -log(exp(-a)+exp(-b)) for Log.
func (s Semiring) Plus(a, b float64) float64 {
	if s == Log {
		return logAdd(a, b)
	}
	return min(a, b)
}

// logAdd returns -log(exp(-a) + exp(-b)), stable for energies of any size;
// +Inf is the identity.
func logAdd(a, b float64) float64 {
	if a > b {
		a, b = b, a
	}
	if math.IsInf(b, 1) {
		return a
	}
	return a - math.Log1p(math.Exp(a-b))
}
