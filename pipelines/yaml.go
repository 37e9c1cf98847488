package pipelines

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Pos is a position in a pipeline file.
type Pos struct {
	File         string
	Line, Column int
}

// String returns "file:line:column".
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// An Error is a problem found in a pipeline file, at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every problem found in a pipeline file.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// kind is the kind of a YAML value.
type kind int

const (
	scalarKind kind = iota
	mapKind
	listKind
	nullKind
)

// value is a YAML value with its position: a scalar (its text), a mapping
// (keys in file order) or a list.
type value struct {
	pos    Pos
	kind   kind
	text   string // scalars
	quoted bool   // a quoted string scalar
	keys   []*value
	vals   []*value
	items  []*value
}

// get returns the value of key in a mapping, or nil.
func (v *value) get(key string) *value {
	for i, k := range v.keys {
		if k.text == key {
			return v.vals[i]
		}
	}
	return nil
}

func (v *value) describe() string {
	switch v.kind {
	case mapKind:
		return "a mapping"
	case listKind:
		return "a list"
	case nullKind:
		return "nothing"
	}
	return fmt.Sprintf("%q", v.text)
}

// parseYAML parses a YAML document into a value tree.
func parseYAML(name string, data []byte) (*value, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(name, err)
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		return nil, &Error{Pos{name, 1, 1}, "want exactly one YAML document"}
	}
	return convert(name, f.Docs[0].Body)
}

// yamlError turns a go-yaml syntax error into an Error with a position.
func yamlError(name string, err error) error {
	msg := err.Error()
	// go-yaml formats syntax errors as "[line:column] message" followed
	// by a source excerpt; keep the first line.
	first := strings.SplitN(msg, "\n", 2)[0]
	if strings.HasPrefix(first, "[") {
		if end := strings.Index(first, "]"); end > 0 {
			var line, col int
			if _, e := fmt.Sscanf(first[1:end], "%d:%d", &line, &col); e == nil {
				return &Error{Pos{name, line, col}, "YAML syntax: " + strings.TrimSpace(first[end+1:])}
			}
		}
	}
	return &Error{Pos{name, 1, 1}, "YAML syntax: " + first}
}

func convert(name string, n ast.Node) (*value, error) {
	tk := n.GetToken()
	pos := Pos{File: name}
	if tk != nil && tk.Position != nil {
		pos.Line, pos.Column = tk.Position.Line, tk.Position.Column
	}
	switch n := n.(type) {
	case *ast.MappingNode:
		v := &value{pos: pos, kind: mapKind}
		for _, mv := range n.Values {
			if err := addPair(name, v, mv); err != nil {
				return nil, err
			}
		}
		return v, nil
	case *ast.MappingValueNode:
		v := &value{pos: pos, kind: mapKind}
		if err := addPair(name, v, n); err != nil {
			return nil, err
		}
		return v, nil
	case *ast.SequenceNode:
		v := &value{pos: pos, kind: listKind}
		for _, it := range n.Values {
			c, err := convert(name, it)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, c)
		}
		return v, nil
	case *ast.NullNode:
		return &value{pos: pos, kind: nullKind}, nil
	case *ast.StringNode:
		quoted := tk != nil && (tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType)
		return &value{pos: pos, kind: scalarKind, text: n.Value, quoted: quoted}, nil
	case *ast.LiteralNode:
		return &value{pos: pos, kind: scalarKind, text: n.Value.Value, quoted: true}, nil
	case *ast.AnchorNode:
		return convert(name, n.Value)
	case *ast.TagNode:
		return nil, &Error{pos, "YAML tags are not supported in pipeline files"}
	case *ast.AliasNode:
		return nil, &Error{pos, "YAML aliases are not supported in pipeline files"}
	case ast.ScalarNode:
		if tk == nil {
			return &value{pos: pos, kind: nullKind}, nil
		}
		return &value{pos: pos, kind: scalarKind, text: tk.Value}, nil
	}
	return nil, &Error{pos, fmt.Sprintf("unsupported YAML element %T", n)}
}

func addPair(name string, m *value, mv *ast.MappingValueNode) error {
	k, err := convert(name, mv.Key)
	if err != nil {
		return err
	}
	if k.kind != scalarKind {
		return &Error{k.pos, "mapping keys must be plain names"}
	}
	if m.get(k.text) != nil {
		return &Error{k.pos, fmt.Sprintf("duplicate key %q", k.text)}
	}
	var v *value
	if mv.Value == nil {
		v = &value{pos: k.pos, kind: nullKind}
	} else if v, err = convert(name, mv.Value); err != nil {
		return err
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	return nil
}

// Scalar conversions used by parameter specs.

func (v *value) asString() (string, error) {
	if v.kind != scalarKind {
		return "", fmt.Errorf("want a string, got %s", v.describe())
	}
	return v.text, nil
}

func (v *value) asInt() (int, error) {
	if v.kind != scalarKind || v.quoted {
		return 0, fmt.Errorf("want an integer, got %s", v.describe())
	}
	i, err := strconv.Atoi(strings.ReplaceAll(v.text, "_", ""))
	if err != nil {
		return 0, fmt.Errorf("want an integer, got %q", v.text)
	}
	return i, nil
}

func (v *value) asFloat() (float64, error) {
	if v.kind != scalarKind || v.quoted {
		return 0, fmt.Errorf("want a number, got %s", v.describe())
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(v.text, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("want a finite number, got %q", v.text)
	}
	return f, nil
}

func (v *value) asBool() (bool, error) {
	if v.kind == scalarKind && !v.quoted {
		switch strings.ToLower(v.text) {
		case "true", "yes", "on":
			return true, nil
		case "false", "no", "off":
			return false, nil
		}
	}
	return false, errors.New("want true or false, got " + v.describe())
}

// asStrings accepts a single string or a list of strings.
func (v *value) asStrings() ([]string, error) {
	if v.kind == scalarKind {
		return []string{v.text}, nil
	}
	if v.kind != listKind {
		return nil, fmt.Errorf("want a name or a list of names, got %s", v.describe())
	}
	out := make([]string, len(v.items))
	for i, it := range v.items {
		s, err := it.asString()
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
