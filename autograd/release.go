package autograd

import (
	"slices"

	"github.com/tapegrad/tapegrad/tensor"
)

// A backward pass frees the device memory it owns as soon as it is done
// with it, instead of leaving it to the garbage collector (which a GPU
// step barely wakes): the temporaries of each VJP rule once the rule has
// returned, each intermediate gradient once its node has passed it on
// (or a sum has replaced it), and, with GradOptions.ReleaseValues, the
// values the forward pass computed once no recorded op needs them. What
// it owns is told apart by tensor.StorageID: a storage made after the
// pass began, held by nothing the caller was given.

// scratch collects the values a VJP rule computes: the Vars the pass
// hands to a rule carry it, and record adds every op's output, so
// everything the rule made from them is listed.
type scratch struct {
	mark uint64 // tensor.LastStorageID() when the rule started
	ts   []*tensor.Tensor
}

// add lists t when the rule allocated its storage.
func (s *scratch) add(t *tensor.Tensor) {
	if t.StorageID() > s.mark {
		s.ts = append(s.ts, t)
	}
}

// start begins a rule.
func (s *scratch) start() {
	s.mark = tensor.LastStorageID()
	clear(s.ts)
	s.ts = s.ts[:0]
}

// free releases what the rule allocated, except keep's storage (its
// result, or a view of it); keep may be nil. A rule's temporaries are
// views of its inputs or storages it allocated, and nothing outside the
// rule saw the latter.
func (s *scratch) free(keep *Var) {
	var id uint64
	if keep != nil {
		id = keep.value.StorageID()
	}
	for _, t := range s.ts {
		if t.StorageID() != id {
			t.Release()
		}
	}
	clear(s.ts)
	s.ts = s.ts[:0]
}

// hold counts a reference of the pass to t's storage when the pass made
// it. A nil refs (CreateGraph: gradients are part of a new graph) counts
// nothing.
func (p *pass) hold(t *tensor.Tensor) {
	if p.refs != nil && t.StorageID() > p.mark {
		p.refs[t.StorageID()]++
	}
}

// drop removes a reference counted by hold and frees the storage when it
// was the last.
func (p *pass) drop(t *tensor.Tensor) {
	if p.refs == nil || t.StorageID() <= p.mark {
		return
	}
	id := t.StorageID()
	if p.refs[id]--; p.refs[id] <= 0 {
		delete(p.refs, id)
		t.Release()
	}
}

// discard frees t's storage when the pass made it and holds no
// reference to it: a gradient a sum has replaced.
func (p *pass) discard(t *tensor.Tensor) {
	if p.refs != nil && t.StorageID() > p.mark && p.refs[t.StorageID()] == 0 {
		t.Release()
	}
}

// finish drops the gradients the pass still holds, once its results have
// been pinned (hold without drop).
func (p *pass) finish() {
	for i, g := range p.grads {
		if g != nil {
			p.drop(g.value)
			p.grads[i] = nil
		}
	}
}

// releaseNode releases node i's saved state right after its rules ran,
// and with ReleaseValues frees what only they used (node.owned) and the
// values no unreleased op still needs:
// its own, and those of its inputs whose last consumer it was. A value is
// freed only when its op allocated it (a view of an input, as Reshape or
// Transpose of a Param makes, is left to the storage's owner) and the
// caller holds no value sharing its storage (see protect).
func (p *pass) releaseNode(i int) {
	n := p.nodes[i]
	y := n.v.value
	if p.values && n.fresh && !p.keeps(y) {
		n.freeValue = true
	}
	for _, in := range n.inputs {
		m := in.node
		if m != nil && !m.leaf() && m.uses.Add(-1) == 0 && m.freeValue {
			in.value.Release()
		}
	}
	if p.values && n.owned != nil {
		n.owned.Release()
		n.owned = nil
	}
	n.release()
	if n.freeValue && n.uses.Load() == 0 {
		y.Release()
	}
}

// keeps reports whether t shares storage with a value the caller holds
// (see protect).
func (p *pass) keeps(t *tensor.Tensor) bool {
	_, ok := slices.BinarySearch(p.kept, t.StorageID())
	return ok
}

// protect lists the storages ReleaseValues must not free: the outputs',
// the inputs Grad was asked about, and the values of the graph's leaves
// and constants (a Param or Const may wrap an op's value, as Checkpoint's
// recomputation does).
func (p *pass) protect() {
	p.kept = p.kept[:0]
	for _, o := range p.outputs {
		p.kept = append(p.kept, o.value.StorageID())
	}
	for i, n := range p.nodes {
		if p.target[i] || n.leaf() {
			p.kept = append(p.kept, n.v.value.StorageID())
		}
		for _, in := range n.inputs {
			if in.node == nil {
				p.kept = append(p.kept, in.value.StorageID())
			}
		}
	}
	slices.Sort(p.kept)
}

// ReleaseGrad drops v's gradient, as ZeroGrad does, and frees its buffer
// at once when Backward made it (not SetGrad, not a CreateGraph pass):
// a training loop calls it after the optimizer step so that the next
// step's gradients reuse the same device blocks without waiting for the
// garbage collector. The caller promises that nothing still reads the
// tensor Grad returned; an op on it afterwards panics with
// tensor.ErrReleased.
func (v *Var) ReleaseGrad() {
	if v.grad != nil && v.ownsGrad {
		v.grad.value.Release()
	}
	v.grad, v.ownsGrad = nil, false
}

// Own hands t to v's record: t is a temporary that nothing but the op
// which made v reads (a convolution's im2col columns of an input that
// records nothing, which no Var's release would reach). A backward pass
// with ReleaseValues frees t when it releases v's record; when v records
// nothing, t is freed at once. The caller promises that nothing else
// holds t's storage. Own does nothing when v carries a tangent (forward
// mode may have recorded ops reading t) or already owns a tensor.
func (v *Var) Own(t *tensor.Tensor) {
	switch {
	case v.tan != nil:
	case v.node == nil:
		t.Release()
	case v.node.owned == nil && !v.node.leaf():
		v.node.owned = t
	}
}
