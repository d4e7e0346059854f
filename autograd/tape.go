package autograd

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
	"strconv"

	"github.com/tapegrad/tapegrad/tensor"
)

// GradOptions tune Backward and Grad.
type GradOptions struct {
	// Seeds are the gradients of the outputs, one per output with its
	// shape, dtype and device. Nil means 1 for each output, which must
	// then hold a single element.
	Seeds []*Var
	// RetainGraph keeps the graph's saved state so it can be
	// differentiated again; by default a backward pass releases it.
	RetainGraph bool
	// CreateGraph records the backward pass itself, so the gradients
	// are Vars that can be differentiated again (grad of grad,
	// Hessian-vector products). It implies RetainGraph.
	CreateGraph bool
	// AllowUnused makes Grad return nil for an input the outputs do not
	// use (see Grad), instead of panicking.
	AllowUnused bool
}

// Backward computes the gradient of v, a single-element output, with
// respect to every Param it uses and adds it to their Grad, then
// releases the graph (see GradOptions.RetainGraph). A v with more than
// one element needs a seed: use the function Backward.
func (v *Var) Backward() { Backward([]*Var{v}, GradOptions{}) }

// Backward computes the gradients of outputs (seeded by opts.Seeds, or 1
// for single-element outputs) with respect to every Param they use and
// adds them to the Params' Grad. A Param is used when a chain of
// recorded ops leads from it to an output; it gets a gradient even when
// that is zero (x*0, or only the condition of a Where), so its Grad is
// never nil afterwards. A Param the outputs do not use (or use only
// through ops that record nothing: comparisons, ArgMax, Detach) keeps its
// Grad as it was, nil after ZeroGrad. This is Grad's rule; see the
// package documentation. AllowUnused is ignored.
func Backward(outputs []*Var, opts GradOptions) {
	p := run("Backward", outputs, opts, func(n *node) bool { return n.leaf() })
	for i, n := range p.nodes {
		if !n.leaf() {
			continue
		}
		g := p.grads[i]
		if g == nil {
			// Used, but every path's VJP was an exact zero.
			if n.v.grad == nil {
				n.v.grad = Const(n.v.value.ZerosLike())
			}
			continue
		}
		// A gradient can be a broadcast view; optimizers need dense ones.
		g = g.Contiguous()
		if n.v.grad == nil {
			n.v.grad = g
		} else {
			n.v.grad = n.v.grad.Add(g)
		}
	}
}

// Grad returns the gradients of outputs (seeded by opts.Seeds, or 1 for
// single-element outputs) with respect to inputs, without touching any
// Var's Grad. Each input must require grad. An input the outputs use (a
// chain of recorded ops leads from it to one of them) gets a gradient,
// zeros when none flows along the chain (x*0, x.Pow(0), the condition of
// a Where); one they do not use (or use only through ops that record
// nothing: comparisons, ArgMax, Detach) is an error unless
// opts.AllowUnused, which makes its gradient nil. Backward follows the
// same rule. With opts.CreateGraph the results are differentiable Vars
// (a zero gradient is a constant).
func Grad(outputs, inputs []*Var, opts GradOptions) []*Var {
	var want []uint64
	for i, in := range inputs {
		if in.node == nil {
			panic(withOperands(newError("Grad", "input %d does not require grad; make it a Param", i), in.value))
		}
		want = append(want, in.node.seq)
	}
	slices.Sort(want)
	p := run("Grad", outputs, opts, func(n *node) bool {
		_, ok := slices.BinarySearch(want, n.seq)
		return ok
	})
	out := make([]*Var, len(inputs))
	for i, in := range inputs {
		j := p.index(in.node)
		switch {
		case j < 0 && opts.AllowUnused:
		case j < 0:
			panic(withOperands(newError("Grad", "input %d is not used by the outputs; pass AllowUnused to get nil", i), in.value))
		case p.grads[j] == nil:
			// Used, but every path's VJP was an exact zero.
			out[i] = Const(in.value.ZerosLike())
		default:
			out[i] = p.grads[j].Contiguous()
		}
	}
	return out
}

// pass is one backward walk: the nodes reachable from the outputs in
// decreasing seq, and per node whether it leads to a target and the
// gradient of its Var accumulated so far. Nodes are found by binary
// search on seq; no map touches the order or the sums.
type pass struct {
	nodes  []*node
	needed []bool
	grads  []*Var
	create bool
}

// run seeds the outputs, walks the graph to the targets and returns the
// finished pass. It releases the executed nodes unless told to keep them.
func run(op string, outputs []*Var, opts GradOptions, target func(*node) bool) *pass {
	seeds := seedsFor(op, outputs, opts.Seeds)
	if !opts.CreateGraph {
		// Without CreateGraph nothing the pass computes may record,
		// even from a seed that requires grad.
		for i, s := range seeds {
			seeds[i] = s.Detach()
		}
	}
	roots := make([]*node, len(outputs))
	for i, o := range outputs {
		roots[i] = o.node
	}
	p := &pass{nodes: collect(roots), create: opts.CreateGraph}
	p.needed = make([]bool, len(p.nodes))
	p.grads = make([]*Var, len(p.nodes))
	// Inputs come later in the slice, so a reverse sweep sees them first.
	for i := len(p.nodes) - 1; i >= 0; i-- {
		n := p.nodes[i]
		p.needed[i] = target(n)
		for _, x := range n.inputs {
			if x.node != nil && p.needed[p.index(x.node)] {
				p.needed[i] = true
			}
		}
	}
	for i, o := range outputs {
		p.add(p.index(o.node), seeds[i])
	}
	var done []*node
	for i, n := range p.nodes {
		if g := p.grads[i]; g != nil && p.needed[i] && !n.leaf() {
			p.propagate(n, g)
			done = append(done, n)
		}
	}
	if !opts.RetainGraph && !opts.CreateGraph {
		for _, n := range done {
			n.release()
		}
	}
	return p
}

// release drops what n kept for its backward pass: its rules (and the
// tensors they captured) and its hold on its inputs' and output's values,
// keeping only the edges of the graph. The activations of a finished step
// can then be collected even while its loss Var is still held, and a
// second backward through n can still find n to report it.
func (n *node) release() {
	n.shape = n.v.Shape()
	n.rules, n.v, n.released = nil, nil, true
	for i, in := range n.inputs {
		n.inputs[i] = &Var{node: in.node}
	}
}

// seedsFor checks the outputs and returns their seed gradients.
func seedsFor(op string, outputs []*Var, seeds []*Var) []*Var {
	if len(outputs) == 0 {
		panic(newError(op, "needs at least one output"))
	}
	if seeds != nil && len(seeds) != len(outputs) {
		panic(newError(op, "got %d seeds for %d outputs", len(seeds), len(outputs)))
	}
	out := make([]*Var, len(outputs))
	for i, o := range outputs {
		if o.node == nil {
			panic(withOperands(newError(op, "output %d does not require grad: it was not computed from a Param, or was computed from a NoGrad Var", i), o.value))
		}
		if seeds == nil {
			if o.Numel() != 1 {
				panic(withOperands(newError(op, "output %d has shape %v; a non-scalar output needs a seed gradient (GradOptions.Seeds)", i, o.Shape()), o.value))
			}
			out[i] = Const(o.value.OnesLike())
			continue
		}
		s := seeds[i]
		if !slices.Equal(s.Shape(), o.Shape()) || s.DType() != o.DType() || s.Device() != o.Device() {
			panic(withOperands(newError(op, "seed %d must match its output's shape, dtype and device", i), o.value, s.value))
		}
		out[i] = s
	}
	return out
}

// index returns the position of n in the pass, or -1.
func (p *pass) index(n *node) int {
	i, ok := slices.BinarySearchFunc(p.nodes, n.seq, func(m *node, seq uint64) int { return cmp.Compare(seq, m.seq) })
	if !ok {
		return -1
	}
	return i
}

// add accumulates g into the gradient of node i.
func (p *pass) add(i int, g *Var) {
	if p.grads[i] == nil {
		p.grads[i] = g
	} else {
		p.grads[i] = p.grads[i].Add(g)
	}
}

// propagate runs n's rules for the inputs that lead to a target. Without
// CreateGraph the rules see detached Vars, so they record nothing.
func (p *pass) propagate(n *node, g *Var) {
	if n.released {
		e := newError(n.op, "backward through a graph that was already released: a backward pass freed the saved state of this op (output %v); pass RetainGraph to the first backward to run another", n.shape)
		e.Kind = tensor.ErrReleased
		panic(e)
	}
	x, y := n.inputs, n.v
	if !p.create {
		g, y = g.Detach(), y.Detach()
		x = make([]*Var, len(n.inputs))
		for i, in := range n.inputs {
			x[i] = in.Detach()
		}
	}
	for i, in := range n.inputs {
		if in.node == nil || n.rules[i] == nil {
			continue
		}
		j := p.index(in.node)
		if !p.needed[j] {
			continue
		}
		gi := callRule(n, i, g, x, y)
		if gi == nil {
			continue
		}
		if !slices.Equal(gi.Shape(), in.Shape()) || gi.DType() != in.DType() {
			panic(withOperands(newError(n.op, "VJP bug: gradient for input %d has shape %v %v, input is %v %v", i, gi.Shape(), gi.DType(), in.Shape(), in.DType()), in.value, gi.value))
		}
		if anomalyOn.Load() {
			checkFinite(n.op+" backward", "the gradient for input "+strconv.Itoa(i), "VJP whose result", gi.value, n.inputs)
		}
		p.add(j, gi)
	}
}

// callRule runs n's rule for input i. A *tensor.Error raised inside it
// (an anomaly in one of the VJP's own ops, a backend failure) is rethrown
// naming the op whose backward failed, which is the useful fact.
func callRule(n *node, i int, g *Var, x []*Var, y *Var) *Var {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*tensor.Error); ok {
				inner := *e
				inner.Op = n.op + " backward"
				inner.Msg = fmt.Sprintf("VJP for input %d: %s: %s", i, e.Op, e.Msg)
				panic(&inner)
			}
			panic(r)
		}
	}()
	return n.rules[i](g, x, y)
}

// collect returns the nodes reachable from roots in decreasing seq,
// each once. A max-heap on seq pops every consumer of a node before the
// node itself (consumers have larger seqs), so all copies of a node sit
// at the top together and are dropped as repeats of the last one popped.
func collect(roots []*node) []*node {
	h := nodeHeap(slices.Clone(roots))
	heap.Init(&h)
	var out []*node
	for h.Len() > 0 {
		n := heap.Pop(&h).(*node)
		if len(out) > 0 && out[len(out)-1] == n {
			continue
		}
		out = append(out, n)
		for _, x := range n.inputs {
			if x.node != nil {
				heap.Push(&h, x.node)
			}
		}
	}
	return out
}

// nodeHeap is a max-heap of nodes by seq.
type nodeHeap []*node

func (h nodeHeap) Len() int           { return len(h) }
func (h nodeHeap) Less(i, j int) bool { return h[i].seq > h[j].seq }
func (h nodeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)        { *h = append(*h, x.(*node)) }
func (h *nodeHeap) Pop() any {
	old := *h
	n := old[len(old)-1]
	*h = old[:len(old)-1]
	return n
}
