package gtn

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModelRoundTrip(t *testing.T) {
	p := NewParam("c1.weight", 2, 3)
	for i := range p.Value.Data {
		p.Value.Data[i] = float32(i) - 2.5
	}
	q := &Param{Name: "rbf.codes", Value: NewTensor(1), Fixed: true}
	q.Value.Data[0] = -1
	path := filepath.Join(t.TempDir(), "m.msgpack")
	if err := SaveModel(path, &Model{Meta: map[string]string{"arch": "test"}, Params: []*Param{p, q}}); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Meta["arch"] != "test" || len(m.Params) != 2 || !m.Params[1].Fixed {
		t.Fatalf("got %+v", m)
	}
	dst := []*Param{NewParam("c1.weight", 2, 3), NewParam("rbf.codes", 1)}
	if err := m.Load(dst, path); err != nil {
		t.Fatal(err)
	}
	for i, v := range dst[0].Value.Data {
		if v != p.Value.Data[i] {
			t.Fatalf("value %d: %v, want %v", i, v, p.Value.Data[i])
		}
	}
	err = m.Load([]*Param{NewParam("c1.weight", 3, 2)}, path)
	if err == nil || !strings.Contains(err.Error(), "c1.weight") {
		t.Errorf("shape mismatch error %v should name the parameter", err)
	}
	err = m.Load([]*Param{NewParam("f6.bias", 1)}, path)
	if err == nil || !strings.Contains(err.Error(), "f6.bias") {
		t.Errorf("missing parameter error %v should name the parameter", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestReadModelCorrupt(t *testing.T) {
	var buf bytes.Buffer
	p := NewParam("w", 4)
	if err := WriteModel(&buf, &Model{Params: []*Param{p}}); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	for n := 0; n < len(data); n++ {
		if _, err := ReadModel(bytes.NewReader(data[:n]), "m"); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := ReadModel(strings.NewReader("hello"), "m"); err == nil {
		t.Error("want an error for a non-model file")
	}
}
