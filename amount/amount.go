// Package amount reads the output of the check-amount grammars
// (pipelines/grammars/amount-*.fst.txt): the output labels of an
// interpretation path spell what was read, each mark with its role (a
// thousands separator, a decimal separator, a fraction bar, a closing
// mark), so that one path gives the text as written ("$1,234.56"), its
// digits ("123456") and the amount's value ("1234.56").
//
// The output symbols (pipelines/grammars/amount-out.syms) are:
//
//	0 … 9   a digit (of the units, of the cents, or of a fraction's denominator)
//	$       the currency sign
//	,       a thousands separator written "," (US)
//	th.     a thousands separator written "." (Latin American, European)
//	.       a decimal point (US)
//	dec,    a decimal comma (Latin American, European)
//	/       the bar of cents written as a fraction: the two digits before it
//	        are the cents, the digits after it the denominator ("56/100")
//	-  =    a closing mark
//	end.    the period of a closing ".-"
package amount

import (
	"fmt"
	"strings"
)

// Reading is what one interpretation of an amount field says.
type Reading struct {
	// Text is what was read, punctuation included ("$1,234.56"); cents
	// written as a fraction are set apart by a space ("$1,234 56/100").
	Text string `json:"text"`
	// Digits are the digits of the amount (units and cents, not a
	// fraction's denominator): "123456".
	Digits string `json:"digits"`
	// Amount is the value as a decimal string with two decimals
	// ("1234.56", "200.00"), or "" when the symbols do not spell a
	// well-formed amount (no digit, a leading zero, cents that are not
	// two digits, a denominator other than 100).
	Amount string `json:"amount"`
}

// Decode reads the output symbols of an amount grammar's path. Symbols it
// does not know are an error; a digits-only sequence (the output of a
// grammar without roles) reads as a whole number of units.
func Decode(symbols []string) (Reading, error) {
	var text, units, cents, denom strings.Builder
	inCents, inDenom, fraction := false, false, false
	ok := true // the marks are where an amount has them
	for i, s := range symbols {
		switch {
		case len(s) == 1 && s[0] >= '0' && s[0] <= '9':
			text.WriteString(s)
			switch {
			case inDenom:
				denom.WriteString(s)
			case inCents:
				cents.WriteString(s)
			default:
				units.WriteString(s)
			}
			continue
		}
		switch s {
		case "$", "-", "=":
			text.WriteString(s)
		case ",", "th.":
			text.WriteString(s[len(s)-1:])
			ok = ok && !inCents && !inDenom && units.Len() > 0
		case ".", "dec,":
			text.WriteString(s[len(s)-1:])
			ok = ok && !inCents && !inDenom
			inCents = true
		case "end.":
			text.WriteString(".")
		case "/":
			// The two digits before the bar are the cents.
			u := units.String()
			if inCents || inDenom || len(u) < 2 {
				ok = false
				text.WriteString("/")
				inDenom = true
				continue
			}
			units.Reset()
			units.WriteString(u[:len(u)-2])
			cents.WriteString(u[len(u)-2:])
			t := text.String()
			text.Reset()
			text.WriteString(t[:len(t)-2] + " " + t[len(t)-2:] + "/")
			inDenom, fraction = true, true
		default:
			return Reading{}, fmt.Errorf("amount: symbol %d, %q, is not an amount symbol", i, s)
		}
	}
	r := Reading{Text: text.String(), Digits: units.String() + cents.String()}
	u, c := units.String(), cents.String()
	switch {
	case !ok, u == "" && c == "":
	case len(u) > 1 && u[0] == '0':
	case inCents && len(c) != 2, fraction && denom.String() != "100":
	default:
		if u == "" {
			u = "0"
		}
		if c == "" {
			c = "00"
		}
		r.Amount = u + "." + c
	}
	return r, nil
}
