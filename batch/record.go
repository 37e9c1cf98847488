package batch

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// Record is the result for one page of an input: one line of the JSON
// Lines output. See the package documentation for the meaning of the
// fields.
type Record struct {
	File         string          `json:"file"`
	Page         int             `json:"page"`
	Pages        int             `json:"pages"`
	Output       json.RawMessage `json:"output"`
	Energy       *float64        `json:"energy"`
	Confidence   *float64        `json:"confidence"`
	Error        *string         `json:"error"`
	Milliseconds float64         `json:"milliseconds"`
}

// Failed reports whether the record holds an error.
func (r *Record) Failed() bool { return r.Error != nil }

// Key returns the key of the record.
func (r *Record) Key() Key { return Key{File: r.File, Page: r.Page, Pages: r.Pages} }

// Key identifies a record: page Page of the Pages pages of File (Pages is
// 0 for an input that could not be split into pages).
type Key struct {
	File        string
	Page, Pages int
}

// MarshalJSON returns the record as one line of JSON without the newline,
// its keys in the documented order.
func (r *Record) MarshalJSON() ([]byte, error) {
	return r.appendJSON(nil), nil
}

// UnmarshalJSON reads a record from its JSON. An output of null is read
// as a nil Output.
func (r *Record) UnmarshalJSON(b []byte) error {
	type plain Record // without the methods
	if err := json.Unmarshal(b, (*plain)(r)); err != nil {
		return err
	}
	if string(r.Output) == "null" {
		r.Output = nil
	}
	return nil
}

// appendJSON appends the JSON of r to b.
func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"file":`...)
	b = appendString(b, r.File)
	b = append(b, `,"page":`...)
	b = strconv.AppendInt(b, int64(r.Page), 10)
	b = append(b, `,"pages":`...)
	b = strconv.AppendInt(b, int64(r.Pages), 10)
	b = append(b, `,"output":`...)
	if len(r.Output) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, r.Output...)
	}
	b = append(b, `,"energy":`...)
	b = appendFloat(b, r.Energy)
	b = append(b, `,"confidence":`...)
	b = appendFloat(b, r.Confidence)
	b = append(b, `,"error":`...)
	if r.Error == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *r.Error)
	}
	b = append(b, `,"milliseconds":`...)
	ms := r.Milliseconds
	b = appendFloat(b, &ms)
	return append(b, '}')
}

// appendFloat appends v in the shortest form that reads back exactly, or
// null for nil, NaN and infinities.
func appendFloat(b []byte, v *float64) []byte {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return append(b, "null"...)
	}
	f := *v
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 bytes become
// U+FFFD each, as with encoding/json (see jsonName); control characters
// and U+2028/U+2029 are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonName returns s as it reads back from its JSON string: each byte
// that is not part of valid UTF-8 replaced by U+FFFD. Names are compared
// in this form when resuming, so that a file name that is not UTF-8 is
// still found done.
func jsonName(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}
