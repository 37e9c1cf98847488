package pipelines

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Spec is a parsed pipeline file, before its nodes are built.
type Spec struct {
	Name        string
	Description string
	File        string // path of the pipeline file, as given
	Dir         string // directory that relative paths in the file are relative to

	Inputs []InputSpec
	Nodes  []*NodeSpec
	Output string
	// Symbols names the symbol table of the output graph's output labels,
	// used to spell answers (relative to Dir); "" if none.
	Symbols string

	Train *Section // nil when the file has no train section
	Eval  *Section // nil when the file has no eval section

	outputPos  Pos
	symbolsPos Pos
}

// InputSpec is one input of a pipeline.
type InputSpec struct {
	Name string
	Type Type
	Pos  Pos
}

// NodeSpec is one node of a pipeline file.
type NodeSpec struct {
	Name string
	Use  string   // node type
	From []string // names of the inputs or nodes it reads
	Pos  Pos

	usePos  Pos
	fromPos []Pos
	params  *value // the node's mapping, including use and from
}

// Section is a train or eval section: a mapping of settings with their
// positions, read by the code that trains or evaluates.
type Section struct {
	v *value
}

// Pos returns the position of the section.
func (s *Section) Pos() Pos { return s.v.pos }

// Keys returns the section's keys in file order.
func (s *Section) Keys() []string {
	ks := make([]string, len(s.v.keys))
	for i, k := range s.v.keys {
		ks[i] = k.text
	}
	return ks
}

// Sub returns the sub-section under key, or nil.
func (s *Section) Sub(key string) *Section {
	v := s.v.get(key)
	if v == nil || v.kind != mapKind {
		return nil
	}
	return &Section{v}
}

// KeyPos returns the position of key's value, or of the section.
func (s *Section) KeyPos(key string) Pos {
	if v := s.v.get(key); v != nil {
		return v.pos
	}
	return s.v.pos
}

// Errorf returns an error positioned at key's value (or the section).
func (s *Section) Errorf(key, format string, args ...any) error {
	return &Error{s.KeyPos(key), fmt.Sprintf(format, args...)}
}

// Check reports keys of the section not in known, with suggestions.
func (s *Section) Check(what string, known ...string) error {
	var errs ErrorList
	for _, k := range s.v.keys {
		found := false
		for _, n := range known {
			found = found || k.text == n
		}
		if !found {
			errs = append(errs, &Error{k.pos, fmt.Sprintf("unknown %s setting %q%s (known: %s)", what, k.text, suggest(k.text, known), strings.Join(known, ", "))})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// String returns the string under key, or def when absent.
func (s *Section) String(key, def string) (string, error) {
	v := s.v.get(key)
	if v == nil {
		return def, nil
	}
	str, err := v.asString()
	if err != nil {
		return "", &Error{v.pos, key + ": " + err.Error()}
	}
	return str, nil
}

// Int returns the integer under key, or def when absent.
func (s *Section) Int(key string, def int) (int, error) {
	v := s.v.get(key)
	if v == nil {
		return def, nil
	}
	i, err := v.asInt()
	if err != nil {
		return 0, &Error{v.pos, key + ": " + err.Error()}
	}
	return i, nil
}

// Float returns the number under key, or def when absent.
func (s *Section) Float(key string, def float64) (float64, error) {
	v := s.v.get(key)
	if v == nil {
		return def, nil
	}
	f, err := v.asFloat()
	if err != nil {
		return 0, &Error{v.pos, key + ": " + err.Error()}
	}
	return f, nil
}

// Bool returns the boolean under key, or def when absent.
func (s *Section) Bool(key string, def bool) (bool, error) {
	v := s.v.get(key)
	if v == nil {
		return def, nil
	}
	b, err := v.asBool()
	if err != nil {
		return false, &Error{v.pos, key + ": " + err.Error()}
	}
	return b, nil
}

// Strings returns the string or list of strings under key, or nil.
func (s *Section) Strings(key string) ([]string, error) {
	v := s.v.get(key)
	if v == nil {
		return nil, nil
	}
	l, err := v.asStrings()
	if err != nil {
		return nil, &Error{v.pos, key + ": " + err.Error()}
	}
	return l, nil
}

var topKeys = []string{"pipeline", "description", "input", "inputs", "nodes", "output", "symbols", "train", "eval"}

// ReadSpec reads and parses the pipeline file at path.
func ReadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return ParseSpec(path, filepath.Dir(path), data)
}

// ParseSpec parses a pipeline file's contents; name is used in errors and
// dir resolves relative paths.
func ParseSpec(name, dir string, data []byte) (*Spec, error) {
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	if root.kind != mapKind {
		return nil, &Error{root.pos, "a pipeline file is a mapping with pipeline, input, nodes and output"}
	}
	sp := &Spec{File: name, Dir: dir}
	var errs ErrorList
	add := func(err error) {
		var el ErrorList
		var e *Error
		switch {
		case errors.As(err, &el):
			errs = append(errs, el...)
		case errors.As(err, &e):
			errs = append(errs, e)
		case err != nil:
			errs = append(errs, &Error{root.pos, err.Error()})
		}
	}
	for _, k := range root.keys {
		if !contains(topKeys, k.text) {
			errs = append(errs, &Error{k.pos, fmt.Sprintf("unknown key %q%s", k.text, suggest(k.text, topKeys))})
		}
	}
	str := func(key string) string {
		v := root.get(key)
		if v == nil {
			return ""
		}
		s, err := v.asString()
		if err != nil {
			add(&Error{v.pos, key + ": " + err.Error()})
		}
		return s
	}
	sp.Name = str("pipeline")
	if root.get("pipeline") == nil {
		errs = append(errs, &Error{root.pos, "missing \"pipeline: NAME\""})
	}
	sp.Description = str("description")
	sp.Symbols = str("symbols")
	if v := root.get("symbols"); v != nil {
		sp.symbolsPos = v.pos
	}
	add(sp.parseInputs(root))
	add(sp.parseNodes(root))
	if v := root.get("output"); v == nil {
		errs = append(errs, &Error{root.pos, "missing \"output: NODE\""})
	} else {
		sp.Output, err = v.asString()
		sp.outputPos = v.pos
		if err != nil {
			add(&Error{v.pos, "output: " + err.Error()})
		}
	}
	for _, sec := range []struct {
		key string
		dst **Section
	}{{"train", &sp.Train}, {"eval", &sp.Eval}} {
		if v := root.get(sec.key); v != nil {
			if v.kind != mapKind {
				errs = append(errs, &Error{v.pos, sec.key + ": want a mapping of settings"})
				continue
			}
			*sec.dst = &Section{v}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return sp, nil
}

func (sp *Spec) parseInputs(root *value) error {
	v := root.get("inputs")
	if one := root.get("input"); one != nil {
		if v != nil {
			return &Error{one.pos, "give either input or inputs, not both"}
		}
		// "input: image" names one input of that type, called by the
		// type's name; "input: {name: type}" is the general form.
		if one.kind == scalarKind {
			sp.Inputs = []InputSpec{{Name: one.text, Type: Type(one.text), Pos: one.pos}}
			if err := checkInputType(sp.Inputs[0]); err != nil {
				return err
			}
			return nil
		}
		v = one
	}
	if v == nil {
		return &Error{root.pos, "missing \"input: TYPE\" (or inputs: {name: type, ...})"}
	}
	if v.kind != mapKind {
		return &Error{v.pos, "inputs: want a mapping of input names to types"}
	}
	var errs ErrorList
	for i, k := range v.keys {
		t, err := v.vals[i].asString()
		if err != nil {
			errs = append(errs, &Error{v.vals[i].pos, "input " + k.text + ": " + err.Error()})
			continue
		}
		in := InputSpec{Name: k.text, Type: Type(t), Pos: v.vals[i].pos}
		if err := checkInputType(in); err != nil {
			errs = append(errs, err)
			continue
		}
		sp.Inputs = append(sp.Inputs, in)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

var allTypes = []string{string(ImageType), string(TensorType), string(GraphType), string(TokensType), string(AudioType), string(SentenceType)}

func checkInputType(in InputSpec) *Error {
	if !contains(allTypes, string(in.Type)) {
		return &Error{in.Pos, fmt.Sprintf("unknown input type %q%s (types: %s)", in.Type, suggest(string(in.Type), allTypes), strings.Join(allTypes, ", "))}
	}
	return nil
}

func (sp *Spec) parseNodes(root *value) error {
	v := root.get("nodes")
	if v == nil {
		return &Error{root.pos, "missing \"nodes:\""}
	}
	if v.kind != mapKind {
		return &Error{v.pos, "nodes: want a mapping of node names to {use: TYPE, from: INPUT, ...}"}
	}
	var errs ErrorList
	for i, k := range v.keys {
		nv := v.vals[i]
		n := &NodeSpec{Name: k.text, Pos: k.pos, params: nv}
		if nv.kind != mapKind {
			errs = append(errs, &Error{nv.pos, fmt.Sprintf("node %s: want {use: TYPE, from: INPUT, ...}, got %s", k.text, nv.describe())})
			continue
		}
		use := nv.get("use")
		if use == nil {
			errs = append(errs, &Error{nv.pos, fmt.Sprintf("node %s: missing \"use: TYPE\"", k.text)})
			continue
		}
		var err error
		if n.Use, err = use.asString(); err != nil {
			errs = append(errs, &Error{use.pos, "use: " + err.Error()})
			continue
		}
		n.usePos = use.pos
		if from := nv.get("from"); from != nil {
			if n.From, err = from.asStrings(); err != nil {
				errs = append(errs, &Error{from.pos, "from: " + err.Error()})
				continue
			}
			if from.kind == listKind {
				for _, it := range from.items {
					n.fromPos = append(n.fromPos, it.pos)
				}
			} else {
				n.fromPos = []Pos{from.pos}
			}
		}
		sp.Nodes = append(sp.Nodes, n)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
