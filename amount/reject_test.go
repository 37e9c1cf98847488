package amount

import (
	"math"
	"testing"
)

func TestCalibrate(t *testing.T) {
	o := func(c float64, correct bool) Outcome { return Outcome{Confidence: c, Answered: true, Correct: correct} }
	none := Outcome{}
	tests := []struct {
		name      string
		outcomes  []Outcome
		maxErrors float64
		want      OperatingPoint
	}{
		{"all right", []Outcome{o(0.9, true), o(0.5, true), o(0.2, true), none}, 0.01,
			OperatingPoint{0.2, 0.75, 0, 0.25}},
		{"stop before the first error", []Outcome{o(0.99, true), o(0.9, true), o(0.8, false), o(0.7, true)}, 0.01,
			OperatingPoint{0.9, 0.5, 0, 0.5}},
		{"one error allowed", []Outcome{o(0.99, true), o(0.9, true), o(0.8, false), o(0.7, true), o(0.6, false)}, 0.2,
			OperatingPoint{0.7, 0.6, 0.2, 0.2}},
		{"ties move together", []Outcome{o(0.9, true), o(0.8, true), o(0.8, false), o(0.1, true)}, 0.01,
			OperatingPoint{0.9, 0.25, 0, 0.75}},
		{"most confident is wrong", []Outcome{o(0.9, false), o(0.8, true)}, 0,
			OperatingPoint{math.Nextafter(0.9, 2), 0, 0, 1}},
		{"no answer", []Outcome{none, none}, 0.01, OperatingPoint{math.Inf(1), 0, 0, 1}},
		{"a NaN confidence is no answer", []Outcome{o(0.9, true), o(math.NaN(), true), o(0.5, true)}, 0.01,
			OperatingPoint{0.5, 2.0 / 3, 0, 1.0 / 3}},
	}
	for _, tt := range tests {
		got := Calibrate(tt.outcomes, tt.maxErrors)
		if math.Abs(got.Correct-tt.want.Correct) > 1e-12 || math.Abs(got.Errors-tt.want.Errors) > 1e-12 ||
			math.Abs(got.Rejected-tt.want.Rejected) > 1e-12 || got.Threshold != tt.want.Threshold {
			t.Errorf("%s: Calibrate = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
