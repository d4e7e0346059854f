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
	// ReleaseValues also frees the values of the graph's intermediate
	// Vars (what the forward pass computed) as soon as backward has used
	// them and no recorded op outside the pass still needs them, instead
	// of when the garbage collector finds them: on a GPU a training step's
	// activations then return to the allocator's cache during backward.
	// Params, constants, the outputs and views of them keep their values.
	// The caller promises not to read the other Vars of the graph
	// afterwards: an op on one panics with tensor.ErrReleased (on every
	// device). Ignored with RetainGraph or CreateGraph.
	ReleaseValues bool
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
				n.v.grad, n.v.ownsGrad = Const(n.v.value.ZerosLike()), true
			}
			continue
		}
		// A gradient can be a broadcast view; optimizers need dense ones.
		c := g.Contiguous()
		if n.v.grad != nil {
			n.v.grad, n.v.ownsGrad = n.v.grad.Add(c), !p.create
			if c != g {
				p.discard(c.value)
			}
			continue
		}
		if p.refs != nil && !p.exclusive(c, g) {
			// A caller's seed, or a gradient another Param got too (Add
			// hands both operands the same one): a copy of its own lets
			// ReleaseGrad free each without touching the other.
			c = Const(c.value.Clone())
		}
		n.v.grad, n.v.ownsGrad = c, !p.create
		p.hold(c.value) // pinned: the Param holds it now
	}
	p.finish()
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
			p.hold(out[i].value) // pinned: the caller holds it now
		}
	}
	p.finish()
	return out
}

// pass is one backward walk: the nodes reachable from the outputs in
// decreasing seq, and per node whether it leads to a target and the
// gradient of its Var accumulated so far. Nodes are found by binary
// search on seq; no map touches the order or the sums.
type pass struct {
	nodes   []*node
	needed  []bool
	target  []bool
	grads   []*Var
	outputs []*Var
	create  bool
	// values: free the graph's values as it goes (ReleaseValues).
	values bool
	// mark is tensor.LastStorageID() when the pass began: storages with
	// larger IDs are its own. refs counts the pass's references to each
	// (see hold); nil with CreateGraph.
	mark uint64
	refs map[uint64]int32
	// kept: sorted storage IDs ReleaseValues must not free (protect).
	kept []uint64
	// sc lists each rule's temporaries (without CreateGraph).
	sc scratch
}

// run seeds the outputs, walks the graph to the targets and returns the
// finished pass. It releases the executed nodes unless told to keep them.
func run(op string, outputs []*Var, opts GradOptions, target func(*node) bool) *pass {
	mark := tensor.LastStorageID()
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
	release := !opts.RetainGraph && !opts.CreateGraph
	p := &pass{nodes: collect(roots), outputs: outputs, create: opts.CreateGraph, values: release && opts.ReleaseValues, mark: mark}
	if !p.create {
		p.refs = map[uint64]int32{}
	}
	p.needed = make([]bool, len(p.nodes))
	p.target = make([]bool, len(p.nodes))
	p.grads = make([]*Var, len(p.nodes))
	// Inputs come later in the slice, so a reverse sweep sees them first.
	for i := len(p.nodes) - 1; i >= 0; i-- {
		n := p.nodes[i]
		p.target[i] = target(n)
		p.needed[i] = p.target[i]
		for _, x := range n.inputs {
			if x.node != nil && p.needed[p.index(x.node)] {
				p.needed[i] = true
			}
		}
	}
	if p.values {
		p.protect()
	}
	for i, o := range outputs {
		p.add(p.index(o.node), seeds[i])
	}
	for i, n := range p.nodes {
		g := p.grads[i]
		if g == nil || !p.needed[i] || n.leaf() {
			continue
		}
		p.propagate(n, g)
		if !p.target[i] {
			p.grads[i] = nil
			p.drop(g.value)
		}
		if release {
			p.releaseNode(i)
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

// add accumulates g into the gradient of node i; a gradient the sum
// replaces is freed when the pass made it and nothing else holds it.
func (p *pass) add(i int, g *Var) {
	old := p.grads[i]
	if old == nil {
		p.grads[i] = g
		p.hold(g.value)
		return
	}
	p.grads[i] = old.Add(g)
	p.hold(p.grads[i].value)
	p.drop(old.value)
	p.discard(g.value)
}

// exclusive reports whether c, the dense form of gradient g, may become
// a Param's own gradient: the pass made its storage and holds it only
// through g's entry (or, for a copy, not at all). Comparing storages, not
// Vars, matters: Contiguous wraps a dense g in a new Var, and every
// Param's gradient used to be copied once more for that.
func (p *pass) exclusive(c, g *Var) bool {
	id := c.value.StorageID()
	want := int32(0)
	if id == g.value.StorageID() {
		// c is g, or a Var of g's own storage (Contiguous of a dense g).
		want = 1
	}
	return id > p.mark && p.refs[id] == want
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
	var sc *scratch
	if !p.create {
		sc = &p.sc
		g, y = &Var{value: g.value, scratch: sc}, &Var{value: y.value, scratch: sc}
		x = make([]*Var, len(n.inputs))
		for i, in := range n.inputs {
			x[i] = &Var{value: in.value, scratch: sc}
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
		if sc != nil {
			sc.start()
		}
		gi := callRule(n, i, g, x, y)
		if sc != nil {
			sc.free(gi)
			if gi != nil {
				gi = &Var{value: gi.value} // the scratch list ends with the rule
			}
		}
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
