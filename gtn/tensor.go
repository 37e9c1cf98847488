// Package gtn is gotn's learning engine: float32 tensors, named parameters,
// one reverse-mode tape shared by tensor operations and weighted-graph
// operations, energy-based losses, optimizers and the training loop.
//
// A graph arc's energy can be bound to a tensor element (Tape.BindArcs), so a
// loss computed on a graph sends its gradient through every graph operation
// (compose, epsilon removal, ...) back into the network that produced the
// energies, with no glue code.
package gtn

import (
	"fmt"
	"strings"
)

// Tensor is a dense float32 array in row-major order.
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor returns a zero tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, numel(shape))}
}

// FromData returns a tensor of the given shape over data (not copied). It
// reports an error if the sizes disagree.
func FromData(data []float32, shape ...int) (*Tensor, error) {
	if n := numel(shape); n != len(data) {
		return nil, fmt.Errorf("gtn: shape %v holds %d values, got %d", shape, n, len(data))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// Rows returns the size of the first dimension and the number of elements
// of each row (the product of the others): the matrix view of t.
func (t *Tensor) Rows() (rows, cols int) {
	if len(t.Shape) == 0 {
		return 1, 1
	}
	return t.Shape[0], len(t.Data) / max(t.Shape[0], 1)
}

// Row returns row i of the matrix view of t (shares storage).
func (t *Tensor) Row(i int) []float32 {
	_, c := t.Rows()
	return t.Data[i*c : (i+1)*c]
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// SameShape reports whether t and u have the same shape.
func (t *Tensor) SameShape(u *Tensor) bool {
	if len(t.Shape) != len(u.Shape) {
		return false
	}
	for i := range t.Shape {
		if t.Shape[i] != u.Shape[i] {
			return false
		}
	}
	return true
}

// String returns the shape and, for small tensors, the values.
func (t *Tensor) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "tensor%v", t.Shape)
	if len(t.Data) <= 16 {
		fmt.Fprintf(&sb, "%v", t.Data)
	}
	return sb.String()
}
