package gtn

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Energies are the quantities an energy-based loss is a function of, for one
// sample (LeCun et al., "A Tutorial on Energy-Based Learning", 2006; LeCun et
// al. 1998, section VI). Lower energy is better.
type Energies struct {
	// Correct is the energy of the correct answer: on a graph, the Viterbi
	// energy of the graph constrained to the correct answer, or its free
	// energy for losses with SoftCorrect.
	Correct float64
	// Offending is the energy of the most offending incorrect answer: the
	// lowest energy among the wrong answers.
	Offending float64
	// Best is the lowest energy among all answers, the correct one included.
	Best float64
	// Free is the free energy of all answers,
	// -1/beta log sum_y exp(-beta E(y)).
	Free float64
}

// Needs says which Energies a loss uses, so that only those are computed.
type Needs struct {
	Correct, Offending, Best, Free bool
	// SoftCorrect asks for the free energy of the correct answers (a graph
	// may have several paths that spell the correct answer) instead of the
	// lowest energy among them.
	SoftCorrect bool
}

// A Loss is an energy-based loss function: a function of the Energies of
// one sample. Eval returns the loss and its partial derivatives with respect
// to each of the energies (zero for those it does not use).
type Loss interface {
	Name() string
	Needs() Needs
	Eval(e Energies) (loss float64, grad Energies)
	// Beta is the inverse temperature used for free energies.
	Beta() float64
}

// The losses. Each documents its formula; "margin" says whether it pushes the
// energy of the correct answer below the others' by a margin, which is what
// keeps it from collapsing (all energies equal) in general architectures.

// EnergyLoss is L = E_correct. No margin: it collapses unless the
// architecture prevents it (LeCun et al. 1998 "Viterbi training").
type EnergyLoss struct{}

// ForwardLoss is L = F_correct, the free energy of the correct answer
// (all the paths that spell it) at inverse temperature beta (1 when zero):
// "forward training" in LeCun et al. 1998. No margin: like EnergyLoss it
// collapses unless the architecture prevents it.
type ForwardLoss struct{ BetaValue float64 }

// PerceptronLoss is L = E_correct - min_y E(y) (discriminative Viterbi
// training in LeCun et al. 1998). No margin; zero once the correct answer
// is the best one.
type PerceptronLoss struct{}

// HingeLoss is L = max(0, m + E_correct - E_offending). Margin m.
type HingeLoss struct{ Margin float64 }

// LogLoss is L = log(1 + exp(E_correct - E_offending)), a soft hinge with an
// infinite margin.
type LogLoss struct{}

// LVQ2Loss is L = min(M, max(0, (E_correct - E_offending) / E_offending))
// (Kohonen's LVQ2 as an energy loss); energies must be positive. No margin.
// Saturation M defaults to 1 when zero.
type LVQ2Loss struct{ Saturation float64 }

// MCELoss is the minimum classification error loss,
// L = sigmoid(E_correct - E_offending) = 1 / (1 + exp(E_offending - E_correct)).
// No margin.
type MCELoss struct{}

// SquareSquareLoss is L = E_correct² + max(0, m - E_offending)². Margin m;
// energies should be non-negative.
type SquareSquareLoss struct{ Margin float64 }

// SquareExpLoss is L = E_correct² + γ exp(-E_offending). Infinite margin.
type SquareExpLoss struct{ Gamma float64 }

// NLLLoss is the negative log-likelihood (MMI, discriminative forward
// training in LeCun et al. 1998): L = F_correct - F_all, with free energies
// at inverse temperature beta (1 when zero). On a class vector F_correct is
// the correct class's energy. Infinite margin.
type NLLLoss struct{ BetaValue float64 }

// MEELoss is the minimum empirical error loss,
// L = 1 - exp(-beta (F_correct - F_all)), one minus the posterior of the
// correct answer. No margin.
type MEELoss struct{ BetaValue float64 }

// MAPLoss is the 1998 paper's loss for RBF outputs (section II.C, eq. 9):
// L = E_correct + log(exp(-j) + sum_y exp(-E(y))). The constant j keeps the
// RBF energies from all being pushed down (collapse); margin through j.
type MAPLoss struct{ J float64 }

func (EnergyLoss) Name() string       { return "energy" }
func (ForwardLoss) Name() string      { return "forward" }
func (PerceptronLoss) Name() string   { return "perceptron" }
func (HingeLoss) Name() string        { return "hinge" }
func (LogLoss) Name() string          { return "log" }
func (LVQ2Loss) Name() string         { return "lvq2" }
func (MCELoss) Name() string          { return "mce" }
func (SquareSquareLoss) Name() string { return "square-square" }
func (SquareExpLoss) Name() string    { return "square-exp" }
func (NLLLoss) Name() string          { return "nll" }
func (MEELoss) Name() string          { return "mee" }
func (MAPLoss) Name() string          { return "map" }

func (EnergyLoss) Needs() Needs       { return Needs{Correct: true} }
func (ForwardLoss) Needs() Needs      { return Needs{Correct: true, SoftCorrect: true} }
func (PerceptronLoss) Needs() Needs   { return Needs{Correct: true, Best: true} }
func (HingeLoss) Needs() Needs        { return Needs{Correct: true, Offending: true} }
func (LogLoss) Needs() Needs          { return Needs{Correct: true, Offending: true} }
func (LVQ2Loss) Needs() Needs         { return Needs{Correct: true, Offending: true} }
func (MCELoss) Needs() Needs          { return Needs{Correct: true, Offending: true} }
func (SquareSquareLoss) Needs() Needs { return Needs{Correct: true, Offending: true} }
func (SquareExpLoss) Needs() Needs    { return Needs{Correct: true, Offending: true} }
func (NLLLoss) Needs() Needs          { return Needs{Correct: true, Free: true, SoftCorrect: true} }
func (MEELoss) Needs() Needs          { return Needs{Correct: true, Free: true, SoftCorrect: true} }
func (MAPLoss) Needs() Needs          { return Needs{Correct: true, Free: true} }

func (EnergyLoss) Beta() float64       { return 1 }
func (PerceptronLoss) Beta() float64   { return 1 }
func (HingeLoss) Beta() float64        { return 1 }
func (LogLoss) Beta() float64          { return 1 }
func (LVQ2Loss) Beta() float64         { return 1 }
func (MCELoss) Beta() float64          { return 1 }
func (SquareSquareLoss) Beta() float64 { return 1 }
func (SquareExpLoss) Beta() float64    { return 1 }
func (l NLLLoss) Beta() float64        { return orOne(l.BetaValue) }
func (l ForwardLoss) Beta() float64    { return orOne(l.BetaValue) }
func (l MEELoss) Beta() float64        { return orOne(l.BetaValue) }

// Beta is 1: the MAP loss's sum is at unit temperature, and its Free
// energy includes the exp(-j) term (see MAPLoss.Eval).
func (MAPLoss) Beta() float64 { return 1 }

func orOne(b float64) float64 {
	if b == 0 {
		return 1
	}
	return b
}

// Eval implements Loss.
func (EnergyLoss) Eval(e Energies) (float64, Energies) {
	return e.Correct, Energies{Correct: 1}
}

// Eval implements Loss.
func (ForwardLoss) Eval(e Energies) (float64, Energies) {
	return e.Correct, Energies{Correct: 1}
}

// Eval implements Loss.
func (PerceptronLoss) Eval(e Energies) (float64, Energies) {
	return e.Correct - e.Best, Energies{Correct: 1, Best: -1}
}

// Eval implements Loss.
func (l HingeLoss) Eval(e Energies) (float64, Energies) {
	v := l.Margin + e.Correct - e.Offending
	if v <= 0 {
		return 0, Energies{}
	}
	return v, Energies{Correct: 1, Offending: -1}
}

// Eval implements Loss.
func (LogLoss) Eval(e Energies) (float64, Energies) {
	d := e.Correct - e.Offending
	s := sigmoid(d)
	return softplus(d), Energies{Correct: s, Offending: -s}
}

// Eval implements Loss.
func (l LVQ2Loss) Eval(e Energies) (float64, Energies) {
	m := l.Saturation
	if m == 0 {
		m = 1
	}
	if e.Offending <= 0 || math.IsInf(e.Offending, 1) {
		return 0, Energies{}
	}
	v := (e.Correct - e.Offending) / e.Offending
	switch {
	case v <= 0:
		return 0, Energies{}
	case v >= m:
		return m, Energies{}
	}
	return v, Energies{Correct: 1 / e.Offending, Offending: -e.Correct / (e.Offending * e.Offending)}
}

// Eval implements Loss.
func (MCELoss) Eval(e Energies) (float64, Energies) {
	s := sigmoid(e.Correct - e.Offending)
	d := s * (1 - s)
	return s, Energies{Correct: d, Offending: -d}
}

// Eval implements Loss.
func (l SquareSquareLoss) Eval(e Energies) (float64, Energies) {
	loss := e.Correct * e.Correct
	g := Energies{Correct: 2 * e.Correct}
	if r := l.Margin - e.Offending; r > 0 {
		loss += r * r
		g.Offending = -2 * r
	}
	return loss, g
}

// Eval implements Loss.
func (l SquareExpLoss) Eval(e Energies) (float64, Energies) {
	x := l.Gamma * math.Exp(-e.Offending)
	return e.Correct*e.Correct + x, Energies{Correct: 2 * e.Correct, Offending: -x}
}

// Eval implements Loss.
func (NLLLoss) Eval(e Energies) (float64, Energies) {
	return e.Correct - e.Free, Energies{Correct: 1, Free: -1}
}

// Eval implements Loss.
func (l MEELoss) Eval(e Energies) (float64, Energies) {
	b := l.Beta()
	p := math.Exp(-b * (e.Correct - e.Free))
	return 1 - p, Energies{Correct: b * p, Free: -b * p}
}

// Eval implements Loss. Free is the free energy of all answers at beta 1;
// the loss adds the constant term: log(exp(-j) + exp(-Free)).
func (l MAPLoss) Eval(e Energies) (float64, Energies) {
	// t = -log(exp(-j) + exp(-F)); d t / d F = posterior of the F term.
	t := -logAddExp(-l.J, -e.Free)
	pF := math.Exp(t - e.Free)
	return e.Correct - t, Energies{Correct: 1, Free: -pF}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	z := math.Exp(x)
	return z / (1 + z)
}

// softplus returns log(1 + exp(x)) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// logAddExp returns log(exp(a) + exp(b)).
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// Losses returns the names of the losses ParseLoss knows.
func Losses() []string {
	names := make([]string, 0, len(lossMakers))
	for n := range lossMakers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var lossMakers = map[string]func(LossOptions) Loss{
	"energy":        func(LossOptions) Loss { return EnergyLoss{} },
	"viterbi":       func(LossOptions) Loss { return EnergyLoss{} },
	"forward":       func(o LossOptions) Loss { return ForwardLoss{BetaValue: o.Beta} },
	"perceptron":    func(LossOptions) Loss { return PerceptronLoss{} },
	"hinge":         func(o LossOptions) Loss { return HingeLoss{Margin: o.Margin} },
	"log":           func(LossOptions) Loss { return LogLoss{} },
	"lvq2":          func(o LossOptions) Loss { return LVQ2Loss{Saturation: o.Saturation} },
	"mce":           func(LossOptions) Loss { return MCELoss{} },
	"square-square": func(o LossOptions) Loss { return SquareSquareLoss{Margin: o.Margin} },
	"square-exp":    func(o LossOptions) Loss { return SquareExpLoss{Gamma: o.Gamma} },
	"nll":           func(o LossOptions) Loss { return NLLLoss{BetaValue: o.Beta} },
	"mmi":           func(o LossOptions) Loss { return NLLLoss{BetaValue: o.Beta} },
	"mee":           func(o LossOptions) Loss { return MEELoss{BetaValue: o.Beta} },
	"map":           func(o LossOptions) Loss { return MAPLoss{J: o.J} },
}

// LossOptions are the constants of the losses that have them.
type LossOptions struct {
	Margin     float64 // hinge, square-square
	Saturation float64 // lvq2
	Gamma      float64 // square-exp
	Beta       float64 // nll, mee
	J          float64 // map
}

// ParseLoss returns the loss with the given name (see Losses).
func ParseLoss(name string, opt LossOptions) (Loss, error) {
	mk, ok := lossMakers[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("gtn: unknown loss %q (known: %s)", name, strings.Join(Losses(), ", "))
	}
	return mk(opt), nil
}
