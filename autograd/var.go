package autograd

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Var is a tensor in a computation autograd can differentiate: its value,
// the gradient accumulated into it by Backward (leaves only), and, when it
// requires grad, the node that records how it was made.
//
// A Var's value is never changed by autograd: every op returns a new Var.
type Var struct {
	value  *tensor.Tensor
	node   *node // nil when the Var does not require grad
	grad   *Var  // accumulated by Backward into leaves
	noGrad bool  // made by NoGrad or from such a Var: records nothing, nor do ops on it
	tan    *Var  // forward mode: the tangent carried alongside value (nil: zero)
	// scratch, inside a backward rule, collects the values computed from
	// v, so the pass can free the rule's temporaries once it returns.
	scratch *scratch
	// ownsGrad: grad's storage was made by Backward for v alone, so
	// ReleaseGrad may free it.
	ownsGrad bool
	// autocast is the half dtype MatMul rounds its operands to when v is
	// one of them (see Autocast); Float32, the zero value, means off.
	autocast device.DType
	tf32     bool // float32 products may round operands to TF32 (AllowTF32)
}

// rule is the vector-Jacobian product of one input of an op: given the
// gradient g of the op's output y and the op's inputs x, it returns the
// gradient of x[i] (nil meaning zero). Rules use Vars only through g, x
// and y, never through Vars they captured, so the engine can hand them
// detached Vars (no recording) or the real ones (CreateGraph) at will.
// Captured tensors, axes and constants are fine: they are the op's saved
// state, dropped when the graph is released.
type rule func(g *Var, x []*Var, y *Var) *Var

// tangentRule is the Jacobian-vector product of one input of an op: given
// the tangent t of input i and the op's inputs x and output y (tangent-
// free, so the rule's own ops do not propagate tangents again), it
// returns that input's contribution to the output's tangent (nil meaning
// zero). A contribution may have any shape that broadcasts to y's.
type tangentRule func(t *Var, x []*Var, y *Var) *Var

// deriv holds the derivative rules of one input of an op, side by side:
// vjp for reverse mode, jvp for forward mode. Both are nil for an input
// that carries no derivative (the condition of Where, the x of ReLUGrad).
type deriv struct {
	vjp rule
	jvp tangentRule
}

// node is the record of one op (or a leaf): which Var it made, from which
// inputs, and the rule for each input. seq orders nodes: an op's node
// always has a larger seq than its inputs' nodes, so decreasing seq is a
// topological order of any graph.
type node struct {
	seq      uint64
	op       string
	v        *Var   // the Var this node made, or the leaf; nil once released
	inputs   []*Var // nil for a leaf; value-less stubs once released
	rules    []rule // rules[i] is nil for an input that gets no gradient
	released bool   // a backward pass dropped the saved state
	shape    []int  // the output's shape, kept for errors after release
	// uses counts the recorded ops that take v as an input and have not
	// been released: while one may still run its rule, v's value stays.
	uses atomic.Int32
	// fresh: the op allocated v's value (it is no view of an input), so
	// the graph may free it (GradOptions.ReleaseValues).
	fresh bool
	// freeValue: a pass with ReleaseValues released this node; its value
	// is freed once uses reaches 0.
	freeValue bool
	// owned is a tensor the op allocated for its rules alone (MaxPool2d's
	// argmax positions), freed when a pass with ReleaseValues releases
	// the node.
	owned *tensor.Tensor
}

// seqCounter numbers nodes. One process-wide counter keeps the order
// total even for graphs built by several goroutines.
var seqCounter atomic.Uint64

// leaf reports whether n is a Param rather than the record of an op.
func (n *node) leaf() bool { return n.inputs == nil }

// Param returns a leaf Var holding t that requires grad: a trainable
// parameter or any input to differentiate with respect to. t must be a
// float tensor.
func Param(t *tensor.Tensor) *Var {
	if t == nil {
		panic(newError("Param", "the tensor is a nil *Tensor"))
	}
	if !t.DType().IsFloat() {
		panic(withOperands(newError("Param", "needs a float tensor to carry gradients, got %v", t.DType()), t))
	}
	v := &Var{value: t}
	v.node = &node{seq: seqCounter.Add(1), op: "Param", v: v}
	return v
}

// Const returns a Var holding t that never requires grad: data, labels,
// masks.
func Const(t *tensor.Tensor) *Var {
	if t == nil {
		panic(newError("Const", "the tensor is a nil *Tensor"))
	}
	return &Var{value: t}
}

// Value returns the Var's tensor.
func (v *Var) Value() *tensor.Tensor { return v.value }

// Shape returns a copy of the value's dimensions.
func (v *Var) Shape() []int { return v.value.Shape() }

// Rank returns the value's number of dimensions.
func (v *Var) Rank() int { return v.value.Rank() }

// Dim returns the size of axis (negative counts from the end).
func (v *Var) Dim(axis int) int { return v.value.Dim(axis) }

// Numel returns the value's number of elements.
func (v *Var) Numel() int { return v.value.Numel() }

// DType returns the value's element type.
func (v *Var) DType() device.DType { return v.value.DType() }

// Device returns where the value lives.
func (v *Var) Device() device.Device { return v.value.Device() }

// RequiresGrad reports whether gradients flow into v: it is a Param or
// was computed from one, and from no NoGrad Var.
func (v *Var) RequiresGrad() bool { return v.node != nil }

// IsLeaf reports whether v is a Param or a constant rather than the
// output of a recorded op.
func (v *Var) IsLeaf() bool { return v.node == nil || v.node.leaf() }

// Op returns the name of the op that made v: "Param" for a parameter,
// "" for a Var that records nothing.
func (v *Var) Op() string {
	if v.node == nil {
		return ""
	}
	return v.node.op
}

// Detach returns a Var sharing v's value that records nothing and so
// stops gradients; it drops v's tangent too (a constant, as JAX's
// stop_gradient). The autocast mark, a matter of precision, stays.
func (v *Var) Detach() *Var { return &Var{value: v.value, autocast: v.autocast, tf32: v.tf32} }

// Grad returns the gradient Backward accumulated into v, or nil if none
// has been (v is not a leaf, did not take part, or was zeroed). It is
// dense and, after a Backward without CreateGraph, has a buffer of its
// own (a seed or a gradient another Param got too is copied, so
// ReleaseGrad frees only v's); with CreateGraph it may share one with
// another Param's gradient or a seed. Treat it as read-only, and replace
// it with SetGrad rather than writing into it.
func (v *Var) Grad() *tensor.Tensor {
	if v.grad == nil {
		return nil
	}
	return v.grad.value
}

// GradVar returns the accumulated gradient as a Var: after a Backward with
// CreateGraph it is itself differentiable. Nil when Grad is.
func (v *Var) GradVar() *Var { return v.grad }

// SetGrad replaces v's accumulated gradient with g (nil clears it), for
// gradient clipping and the like; g must match v's shape, dtype and
// device. The next Backward adds to g.
func (v *Var) SetGrad(g *tensor.Tensor) {
	v.ownsGrad = false
	if g == nil {
		v.grad = nil
		return
	}
	if !slices.Equal(g.Shape(), v.Shape()) || g.DType() != v.DType() || g.Device() != v.Device() {
		panic(withOperands(newError("SetGrad", "the gradient must match the Var's shape, dtype and device"), v.value, g))
	}
	v.grad = Const(g)
}

// ZeroGrad drops v's accumulated gradient (as PyTorch's set_to_none): the
// next Backward starts from zero without a fill kernel.
func (v *Var) ZeroGrad() { v.grad, v.ownsGrad = nil, false }

// ZeroGrad drops the accumulated gradient of every Var given.
func ZeroGrad(vars ...*Var) {
	for _, v := range vars {
		v.ZeroGrad()
	}
}

// String describes v briefly: the op that made it and its value.
func (v *Var) String() string {
	op := v.Op()
	switch {
	case v.noGrad:
		op = "nograd"
	case op == "":
		op = "const"
	}
	return fmt.Sprintf("Var(%s, %v)", op, v.value)
}

// record returns the Var holding y, the output of op on inputs x, with
// ds[i] the derivative rules of x[i]. It records a node with the VJP
// rules when any input requires grad and none is marked NoGrad (a mark
// the output then carries on, as it does the first input's autocast
// mark), and, when any input carries a tangent
// (forward mode, see JVP), computes the output's tangent with the JVP
// rules. It is the one place ops enter the tape.
func record(op string, y *tensor.Tensor, x []*Var, ds ...deriv) *Var {
	if anomalyOn.Load() {
		checkFinite(op, "the output", "op whose output", y, x)
	}
	out := &Var{value: y}
	requires := false
	for _, in := range x {
		out.noGrad = out.noGrad || in.noGrad
		requires = requires || in.node != nil
		if in.scratch != nil {
			out.scratch = in.scratch
		}
		if out.autocast == device.Float32 {
			out.autocast = in.autocast
		}
		out.tf32 = out.tf32 || in.tf32
	}
	if out.scratch != nil {
		out.scratch.add(y)
	}
	if requires && !out.noGrad && y.DType().IsFloat() {
		rules := make([]rule, len(ds))
		for i, d := range ds {
			rules[i] = d.vjp
		}
		n := &node{seq: seqCounter.Add(1), op: op, v: out, inputs: append([]*Var(nil), x...), rules: rules, fresh: true}
		id := y.StorageID()
		for _, in := range x {
			n.fresh = n.fresh && in.value.StorageID() < id
			if in.node != nil && !in.node.leaf() {
				in.node.uses.Add(1)
			}
		}
		out.node = n
	}
	out.tan = tangentOf(op, out, x, ds)
	return out
}

// unary records an op of one input with its VJP r and JVP j written over
// (g or t, x, y).
func unary(op string, y *tensor.Tensor, x *Var, r, j func(g, x, y *Var) *Var) *Var {
	return record(op, y, []*Var{x}, deriv{
		vjp: func(g *Var, x []*Var, y *Var) *Var { return r(g, x[0], y) },
		jvp: func(t *Var, x []*Var, y *Var) *Var { return j(t, x[0], y) },
	})
}

// NoGrad returns a Var sharing v's value that records nothing and
// passes that on: every op with a NoGrad input records nothing and
// returns a NoGrad Var, even when its other inputs are Params. Starting
// an evaluation forward pass from NoGrad(Const(x)) therefore builds no
// graph through the model's parameters, as PyTorch's torch.no_grad()
// does, but the choice lives in the values, not in global state: it
// cannot affect another goroutine's ops, and training on one goroutine
// while evaluating on another is safe. The mark reaches what is computed
// from v; ops on Params alone (outside the NoGrad value's path) still
// record, and their graphs are dropped with their outputs. Detach drops
// the mark. A tangent (forward mode) is kept: NoGrad stops recording,
// not differentiation, as torch.no_grad leaves forward-mode AD alone.
func NoGrad(v *Var) *Var {
	return &Var{value: v.value, noGrad: true, tan: v.tan, autocast: v.autocast, tf32: v.tf32}
}

// IsNoGrad reports whether v carries the NoGrad mark: it was made by
// NoGrad or computed from such a Var.
func (v *Var) IsNoGrad() bool { return v.noGrad }

// newError builds the *tensor.Error autograd panics with; operand
// tensors (nil ones skipped) contribute their shape, dtype and device.
func newError(op, format string, args ...any) *tensor.Error {
	return &tensor.Error{Op: op, Msg: fmt.Sprintf(format, args...)}
}

// withOperands adds the facts of ts to e.
func withOperands(e *tensor.Error, ts ...*tensor.Tensor) *tensor.Error {
	for _, t := range ts {
		if t == nil {
			continue
		}
		e.Shapes = append(e.Shapes, t.Shape())
		e.DTypes = append(e.DTypes, t.DType())
		e.Devices = append(e.Devices, t.Device())
	}
	return e
}
