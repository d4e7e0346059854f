// Package autograd is tapegrad's automatic differentiation: a reverse-
// mode tape of Vars over tensors, with a vector-Jacobian product (VJP)
// for every tensor op, and forward mode, with a Jacobian-vector product
// (JVP) for every op beside its VJP.
//
// A Var wraps a *tensor.Tensor. Param makes a leaf that requires grad,
// Const one that does not; every op on Vars computes its value eagerly
// with the tensor layer and, when an input requires grad, records a node:
// its inputs and one VJP rule per input, written right beside the forward
// code. Nodes take sequence numbers from one counter, so the nodes
// reachable from an output, taken in decreasing sequence number, are a
// topological order: Backward and Grad walk them that way, with slices
// and binary search, never maps, so the order of every gradient sum (and
// so its value, to the bit) is fixed. Gradients accumulate across every
// use of a value.
//
// VJP rules are written only in Var ops. They therefore run on any device
// the tensor layer supports, and with GradOptions.CreateGraph the backward
// pass is itself recorded: gradients are Vars that can be differentiated
// again (Hessian-vector products, gradient penalties). The fused backward
// kernels (ReLUGrad, SigmoidGrad, SoftmaxBackward, CrossEntropyBackward,
// MaxPool2dBackward, ...) are Var ops with VJPs of their own, so every op
// here is twice (indeed arbitrarily often) differentiable; where a
// derivative is zero almost everywhere (the kink of ReLU, the choice of a
// maximum) the second derivative is that zero.
//
// Which inputs get a gradient follows one rule, in Backward and Grad
// alike: an input is used by the outputs when a chain of recorded ops
// leads from it to one of them. A used input gets a gradient tensor,
// zeros when no gradient flows along the chain (x*0, x.Pow(0), the x of
// ReLUGrad, the condition of Where). An unused one gets none: Backward
// leaves its Grad as it was (nil after ZeroGrad), Grad panics unless
// AllowUnused, which returns nil. Ops that carry no gradient
// (comparisons, Sign, ArgMax, ArgMin, casts to Int32, Detach, anything
// under NoGrad) record nothing, so an input reached only through them is
// unused. As in PyTorch, nil means "not in the graph", never "zero"; the
// optimizers in nn skip a Param whose Grad is nil.
//
// A backward pass releases the state the executed nodes saved (their
// rules and the tensors those captured) unless RetainGraph or CreateGraph
// is set; running backward through a released node panics with an error
// naming its op. It frees the device memory it owns as soon as it is done
// with it rather than when the garbage collector runs: each rule's
// temporaries and each intermediate gradient; with ReleaseValues also the
// forward values no unreleased op needs (see GradOptions) and the
// temporaries a record owns (MaxPool2d's argmax positions, see Var.Own),
// and Var.ReleaseGrad frees a gradient once the optimizer has used it.
//
// Errors follow the tensor package: a programmer error panics with a
// *tensor.Error naming the op and the operands' shapes, dtypes and
// devices, which tensor.Try turns into an error.
//
// Grad mode is carried by values, never by global state: NoGrad(v)
// returns a Var that records nothing, and every op with such an input
// records nothing and returns another, so an evaluation pass started from
// NoGrad(Const(x)) builds no graph even through Params. One goroutine's
// evaluation therefore cannot stop another's training from recording.
// Mixed precision is carried the same way: Autocast(v, device.BFloat16)
// marks v, every op passes the mark on, and a MatMul with a marked
// operand (so Linear layers and convolutions) rounds its operands to
// bfloat16 or float16 and accumulates in float32, forward and backward,
// while all values, parameters and gradients stay float32.
// SetAnomalyDetection, by contrast, is a process-wide debugging switch
// (as PyTorch's is): it only adds checks, which panic where a NaN or Inf
// appears; set it before starting work on other goroutines.
//
// Forward mode: JVP evaluates a function at primals that carry tangents,
// and every op whose inputs carry one computes its output's tangent in
// the same pass with its JVP rule (written in Var ops, like the VJPs, and
// beside them in the same constructor), so one pass gives f(x) and J·v:
// one pass per input direction, the mirror of reverse mode's one pass per
// output direction. The tangent is carried by the values, as grad mode
// is. An op with a VJP but no JVP panics naming itself in forward mode
// rather than passing on a zero tangent. Tangents flow through the ops of
// a backward pass recorded with CreateGraph, so forward over reverse
// (Hessian-vector products) works; Detach drops the tangent with the
// gradient, and a JVP inside a JVP is refused.
//
// The functional forms follow JAX: JVP and VJP of a function of Vars;
// JacobianFwd and JacobianRev (jacfwd, jacrev), and Jacobian, which picks
// reverse mode when the output has fewer elements than the input and
// forward mode otherwise; Hessian (forward over reverse) and HVP, the
// Hessian times a vector without forming the Hessian.
//
// Check compares every VJP (or, with CheckOptions.Forward, every JVP,
// against central differences and against the VJP) in float64, and Cases
// lists one gradient-check case per differentiable op, for tests, the
// conformance suite in devicetest and `tapegrad gradcheck`.
package autograd
