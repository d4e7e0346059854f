package nn

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// NamedParam is a trainable parameter with its dotted name in the model,
// as in a PyTorch state dict ("fc1.weight").
type NamedParam struct {
	Name string
	Var  *autograd.Var
}

// NamedTensor is a tensor with a dotted name: a module's buffer (such as
// BatchNorm's running statistics) or a piece of optimizer state.
type NamedTensor struct {
	Name   string
	Tensor *tensor.Tensor
}

// Module is a layer or a network of layers. Parameters and Buffers list
// their entries in a fixed order (slices, never maps), so optimizers,
// checkpoints and gradient sums visit them the same way every run. The
// returned tensors are the module's own: writing into them in place
// (Tensor.Assign) changes the module, which is how checkpoints load.
type Module interface {
	// Forward applies the module to a batch.
	Forward(x *autograd.Var) *autograd.Var
	// Parameters lists the trainable parameters with their dotted names.
	Parameters() []NamedParam
	// Buffers lists the non-trainable state saved in checkpoints.
	Buffers() []NamedTensor
	// Train switches training mode (on) or evaluation mode (off), which
	// changes Dropout and BatchNorm; modules start in training mode.
	Train(on bool)
}

// stateless gives parameter-free modules their empty Parameters, Buffers
// and Train.
type stateless struct{}

// Parameters returns nil: the module has none.
func (stateless) Parameters() []NamedParam { return nil }

// Buffers returns nil: the module has none.
func (stateless) Buffers() []NamedTensor { return nil }

// Train does nothing: the module behaves the same in both modes.
func (stateless) Train(bool) {}

// inputError panics with a *tensor.Error naming the layer and its input,
// as tensor ops do, so that tensor.Try catches a wrong input to a layer
// like any other shape error.
func inputError(layer string, x *autograd.Var, format string, args ...any) {
	panic(&tensor.Error{Op: layer, Msg: fmt.Sprintf(format, args...), Kind: tensor.ErrShape,
		Shapes: [][]int{x.Shape()}, DTypes: []device.DType{x.DType()}, Devices: []device.Device{x.Device()}})
}

// prefixParams returns ps with prefix and a dot put before each name.
func prefixParams(prefix string, ps []NamedParam) []NamedParam {
	out := make([]NamedParam, len(ps))
	for i, p := range ps {
		out[i] = NamedParam{Name: prefix + "." + p.Name, Var: p.Var}
	}
	return out
}

// prefixTensors is prefixParams for NamedTensors.
func prefixTensors(prefix string, ts []NamedTensor) []NamedTensor {
	out := make([]NamedTensor, len(ts))
	for i, t := range ts {
		out[i] = NamedTensor{Name: prefix + "." + t.Name, Tensor: t.Tensor}
	}
	return out
}

// Sequential applies its layers in order. Each layer has a name that
// prefixes its parameters' names: NewSequential names them "0", "1", ...
// as torch.nn.Sequential does, and Add lets a caller choose ("fc1").
type Sequential struct {
	names  []string
	layers []Module
	every  int // checkpoint every this many layers (0: off)
}

// Random is implemented by modules that draw random numbers (Dropout):
// RNGs lists their generators, so that gradient checkpointing can replay
// the same draws when it recomputes them.
type Random interface {
	RNGs() []*tensor.RNG
}

// NewSequential returns the layers in order, named by position.
func NewSequential(layers ...Module) *Sequential {
	s := &Sequential{}
	for i, m := range layers {
		s.Add(strconv.Itoa(i), m)
	}
	return s
}

// Add appends a layer called name and returns s, for chaining. It panics
// on an empty, dotted or repeated name, which would make parameter names
// ambiguous.
func (s *Sequential) Add(name string, m Module) *Sequential {
	if name == "" || strings.Contains(name, ".") {
		panic(fmt.Sprintf("nn: Sequential layer name %q must be non-empty and have no dot", name))
	}
	for _, n := range s.names {
		if n == name {
			panic(fmt.Sprintf("nn: Sequential already has a layer %q", name))
		}
	}
	s.names = append(s.names, name)
	s.layers = append(s.layers, m)
	return s
}

// Len returns the number of layers.
func (s *Sequential) Len() int { return len(s.layers) }

// Layer returns layer i and its name.
func (s *Sequential) Layer(i int) (string, Module) { return s.names[i], s.layers[i] }

// CheckpointEvery makes Forward run the layers in groups of k through
// autograd.Checkpoint: only each group's input is kept for backward, and
// the group's activations are recomputed there, trading one more forward
// pass for memory (about n/k + k layers' activations instead of n).
// Gradients are bit-identical to running without it; dropout masks are
// replayed from the Random layers' generators. A layer that changes state
// in its forward pass (BatchNorm's running statistics in training mode)
// changes it again when recomputed, as with torch.utils.checkpoint.
// k <= 0 turns it off. It returns s, for chaining.
func (s *Sequential) CheckpointEvery(k int) *Sequential {
	s.every = max(k, 0)
	return s
}

// Forward feeds x through every layer.
func (s *Sequential) Forward(x *autograd.Var) *autograd.Var {
	if s.every == 0 {
		for _, m := range s.layers {
			x = m.Forward(x)
		}
		return x
	}
	for lo := 0; lo < len(s.layers); lo += s.every {
		group := s.layers[lo:min(lo+s.every, len(s.layers))]
		var opts autograd.CheckpointOptions
		for _, m := range group {
			for _, p := range m.Parameters() {
				opts.Params = append(opts.Params, p.Var)
			}
			if r, ok := m.(Random); ok {
				opts.RNGs = append(opts.RNGs, r.RNGs()...)
			}
		}
		x = autograd.Checkpoint(func(in []*autograd.Var) *autograd.Var {
			y := in[0]
			for _, m := range group {
				y = m.Forward(y)
			}
			return y
		}, []*autograd.Var{x}, opts)
	}
	return x
}

// RNGs lists the generators of the layers that draw random numbers.
func (s *Sequential) RNGs() []*tensor.RNG {
	var out []*tensor.RNG
	for _, m := range s.layers {
		if r, ok := m.(Random); ok {
			for _, g := range r.RNGs() {
				if !slices.Contains(out, g) {
					out = append(out, g)
				}
			}
		}
	}
	return out
}

// Parameters lists every layer's parameters, in layer order.
func (s *Sequential) Parameters() []NamedParam {
	var out []NamedParam
	for i, m := range s.layers {
		out = append(out, prefixParams(s.names[i], m.Parameters())...)
	}
	return out
}

// Buffers lists every layer's buffers, in layer order.
func (s *Sequential) Buffers() []NamedTensor {
	var out []NamedTensor
	for i, m := range s.layers {
		out = append(out, prefixTensors(s.names[i], m.Buffers())...)
	}
	return out
}

// Train sets the mode of every layer.
func (s *Sequential) Train(on bool) {
	for _, m := range s.layers {
		m.Train(on)
	}
}

// NumParams returns the number of scalar parameters of m.
func NumParams(m Module) int {
	n := 0
	for _, p := range m.Parameters() {
		n += p.Var.Value().Numel()
	}
	return n
}
