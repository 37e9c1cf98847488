package gtn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/gotn/gotn/internal/atomicfile"
	"github.com/vmihailenco/msgpack/v5"
)

// ModelFormat names the model file format; ModelVersion is its version.
const (
	ModelFormat  = "gotn-model"
	ModelVersion = 1
)

// Model is what a model file holds: named parameters and free-form metadata
// (architecture, training command, measured accuracy).
type Model struct {
	Meta   map[string]string
	Params []*Param
}

type fileModel struct {
	Format  string            `msgpack:"format"`
	Version int               `msgpack:"version"`
	Meta    map[string]string `msgpack:"meta"`
	Params  []fileParam       `msgpack:"params"`
}

type fileParam struct {
	Name  string `msgpack:"name"`
	Shape []int  `msgpack:"shape"`
	Fixed bool   `msgpack:"fixed,omitempty"`
	Data  []byte `msgpack:"data"` // little-endian float32
}

// WriteModel writes m in msgpack form; tensors are stored as raw
// little-endian float32 blobs.
func WriteModel(w io.Writer, m *Model) error {
	fm := fileModel{Format: ModelFormat, Version: ModelVersion, Meta: m.Meta}
	for _, p := range m.Params {
		b := make([]byte, 4*len(p.Value.Data))
		for i, v := range p.Value.Data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		fm.Params = append(fm.Params, fileParam{Name: p.Name, Shape: p.Value.Shape, Fixed: p.Fixed, Data: b})
	}
	return msgpack.NewEncoder(w).Encode(&fm)
}

// ReadModel reads a model written by WriteModel. name is used in errors.
func ReadModel(r io.Reader, name string) (*Model, error) {
	var fm fileModel
	if err := msgpack.NewDecoder(r).Decode(&fm); err != nil {
		return nil, fmt.Errorf("%s: not a gotn model file: %w", name, err)
	}
	if fm.Format != ModelFormat {
		return nil, fmt.Errorf("%s: not a gotn model file (format %q)", name, fm.Format)
	}
	if fm.Version != ModelVersion {
		return nil, fmt.Errorf("%s: model format version %d, this gotn reads version %d", name, fm.Version, ModelVersion)
	}
	m := &Model{Meta: fm.Meta}
	for _, fp := range fm.Params {
		n := 1
		for _, d := range fp.Shape {
			if d < 0 || d > 1<<28 {
				return nil, fmt.Errorf("%s: parameter %s: bad shape %v", name, fp.Name, fp.Shape)
			}
			n *= d
		}
		if len(fp.Data) != 4*n {
			return nil, fmt.Errorf("%s: parameter %s: shape %v needs %d bytes, file has %d", name, fp.Name, fp.Shape, 4*n, len(fp.Data))
		}
		t := NewTensor(fp.Shape...)
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(fp.Data[4*i:]))
		}
		m.Params = append(m.Params, &Param{Name: fp.Name, Value: t, Fixed: fp.Fixed})
	}
	return m, nil
}

// Load copies the values of the model's parameters into params, matching
// them by name; every parameter of params must be in the model with the
// same shape. name is used in errors.
func (m *Model) Load(params []*Param, name string) error {
	byName := make(map[string]*Param, len(m.Params))
	for _, p := range m.Params {
		byName[p.Name] = p
	}
	for _, p := range params {
		q, ok := byName[p.Name]
		if !ok {
			return fmt.Errorf("%s: parameter %s is missing from the model", name, p.Name)
		}
		if !p.Value.SameShape(q.Value) {
			return fmt.Errorf("%s: parameter %s has shape %v in the model, the network wants %v", name, p.Name, q.Value.Shape, p.Value.Shape)
		}
		copy(p.Value.Data, q.Value.Data)
	}
	return nil
}

// SaveModel writes m to path atomically: to a temporary file in the same
// directory, synced, then renamed over path, so a crash never leaves a
// truncated model.
func SaveModel(path string, m *Model) error {
	var buf bytes.Buffer
	if err := WriteModel(&buf, m); err != nil {
		return fmt.Errorf("saving model %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

// LoadModel reads the model file at path.
func LoadModel(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadModel(f, path)
}
