package nn

import (
	"fmt"
	"strings"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/tensor"
)

// LayerSummary is one row of a model summary.
type LayerSummary struct {
	Name   string // the layer's name in its Sequential ("fc1"), or "model"
	Type   string // its Go type ("Linear")
	Output []int  // the output shape for the sample input
	Params int    // scalar parameters
}

// Summarize runs x (a batch, typically of one sample) through m in
// evaluation mode without recording, and returns one row per layer of a
// Sequential (one row for any other module). It changes no parameter or
// buffer; m is left in training mode, as Trainer.Evaluate leaves it.
func Summarize(m Module, x *tensor.Tensor) []LayerSummary {
	m.Train(false)
	defer m.Train(true)
	v := autograd.NoGrad(autograd.Const(x))
	s, ok := m.(*Sequential)
	if !ok {
		out := m.Forward(v)
		return []LayerSummary{{Name: "model", Type: typeName(m), Output: out.Shape(), Params: NumParams(m)}}
	}
	rows := make([]LayerSummary, 0, s.Len())
	for i := range s.Len() {
		name, l := s.Layer(i)
		v = l.Forward(v)
		rows = append(rows, LayerSummary{Name: name, Type: typeName(l), Output: v.Shape(), Params: NumParams(l)})
	}
	return rows
}

// typeName returns m's String when it has one ("ReLU"), else its type
// without package and pointer ("Linear").
func typeName(m Module) string {
	if s, ok := m.(fmt.Stringer); ok {
		return s.String()
	}
	t := fmt.Sprintf("%T", m)
	return t[strings.LastIndex(t, ".")+1:]
}
