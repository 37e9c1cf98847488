// Package pipelines reads declarative pipeline files — a directed acyclic
// graph of graph transformers, recognizers and data sources, with sections
// for training and evaluation — checks them against a registry of node
// types, and assembles them into runnable pipelines.
//
// Every problem in a pipeline file is reported with its file:line:column
// and, for misspelt names, a suggestion, before anything runs.
package pipelines

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gotn/gotn/gtn"
)

// Type is the type of the values that flow along a pipeline's edges.
type Type string

// The value types. A node's Run receives and returns the Go types listed.
const (
	ImageType  Type = "image"  // *Image: a grey-level image and where it came from
	TensorType Type = "tensor" // *gtn.Var
	GraphType  Type = "graph"  // *gtn.GraphVar
	TokensType Type = "tokens" // []string
	AudioType  Type = "audio"  // *Audio
	// SentenceType is a sentence of a CoNLL file: *datasets.Sentence.
	SentenceType Type = "sentence"
)

// ParamKind is the kind of a node parameter.
type ParamKind int

// The parameter kinds.
const (
	String  ParamKind = iota // a string
	Int                      // an integer
	Float                    // a number
	Bool                     // true or false
	Strings                  // a string or a list of strings
	File                     // a path, relative to the pipeline file
	Text                     // multi-line text (e.g. an inline graph)
)

func (k ParamKind) String() string {
	return [...]string{"string", "integer", "number", "boolean", "list of strings", "file", "text"}[k]
}

// ParamSpec documents and checks one parameter of a node type.
type ParamSpec struct {
	Name     string
	Kind     ParamKind
	Doc      string
	Default  any      // used when the parameter is absent; nil if none
	Required bool     // the parameter must be given
	Choices  []string // allowed values of a String parameter
}

// NodeType is a kind of node that pipeline files can use.
type NodeType struct {
	Name string
	Doc  string
	// Inputs are the types of the node's inputs, in order. With Variadic
	// the last type may repeat (at least once).
	Inputs   []Type
	Variadic bool
	Output   Type
	Params   []ParamSpec
	// New builds a node from checked arguments.
	New func(args *Args) (Node, error)
}

// Node is a step of a pipeline.
type Node interface {
	// Run computes the node's output from its inputs (one Go value per
	// input, of the Go type of its declared Type), recording on rc.Tape.
	Run(rc *RunContext, in []any) (any, error)
}

// Trainable is a Node with parameters to learn.
type Trainable interface {
	Node
	Params() []*gtn.Param
}

// RunContext is what a node runs with.
type RunContext struct {
	Tape *gtn.Tape
}

// Args are the checked parameters of one node or data section.
type Args struct {
	node   string
	label  string // what errors name: "node NAME", or a data section ("train data 2")
	dir    string // directory of the pipeline file
	values map[string]any
	pos    map[string]Pos
	at     Pos // the node's position
}

// Node returns the name of the node the arguments are for (for a data
// section, what errors call it: "train data", "eval data 2").
func (a *Args) Node() string { return a.node }

// Has reports whether the parameter was given or has a default.
func (a *Args) Has(name string) bool { return a.values[name] != nil }

// String returns a String, File or Text parameter ("" if absent).
func (a *Args) String(name string) string { s, _ := a.values[name].(string); return s }

// Int returns an Int parameter (0 if absent).
func (a *Args) Int(name string) int { i, _ := a.values[name].(int); return i }

// Float returns a Float parameter (0 if absent).
func (a *Args) Float(name string) float64 { f, _ := a.values[name].(float64); return f }

// Bool returns a Bool parameter (false if absent).
func (a *Args) Bool(name string) bool { b, _ := a.values[name].(bool); return b }

// Strings returns a Strings parameter (nil if absent).
func (a *Args) Strings(name string) []string { s, _ := a.values[name].([]string); return s }

// Path returns a File parameter resolved against the pipeline's directory.
func (a *Args) Path(name string) string {
	p := a.String(name)
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(a.dir, p)
}

// Errorf returns an error positioned at parameter name (or at the node when
// the parameter was not given).
func (a *Args) Errorf(name, format string, args ...any) error {
	pos, ok := a.pos[name]
	if !ok {
		pos = a.at
	}
	return &Error{pos, a.label + ": " + fmt.Sprintf(format, args...)}
}

// Registry holds the node types pipeline files can use.
type Registry struct {
	types map[string]*NodeType
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{types: map[string]*NodeType{}} }

// Register adds a node type; its name must be new.
func (r *Registry) Register(t *NodeType) error {
	if t.Name == "" || t.New == nil {
		return fmt.Errorf("pipelines: node type %q: needs a name and a constructor", t.Name)
	}
	if _, dup := r.types[t.Name]; dup {
		return fmt.Errorf("pipelines: node type %q registered twice", t.Name)
	}
	r.types[t.Name] = t
	return nil
}

// Lookup returns the node type with the given name.
func (r *Registry) Lookup(name string) (*NodeType, bool) {
	t, ok := r.types[name]
	return t, ok
}

// Types returns the node types sorted by name.
func (r *Registry) Types() []*NodeType {
	ts := make([]*NodeType, 0, len(r.types))
	for _, t := range r.types {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts
}

func (r *Registry) names() []string {
	ns := make([]string, 0, len(r.types))
	for n := range r.types {
		ns = append(ns, n)
	}
	return ns
}

// suggest returns ` (did you mean "x"?)` for the candidate closest to s,
// or "" when none is close.
func suggest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
