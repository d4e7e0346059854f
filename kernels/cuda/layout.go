package cuda

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// stridedBytes is sizeof(struct Strided) in common.cuh: int rank, 4 bytes
// of padding, long long shape[8], strides[8], offset.
const stridedBytes = 8 + 8*device.MaxRank*2 + 8

// strided is a device.Layout in the form the kernels take: at most
// device.MaxRank dims after collapsing, held in arrays so that building
// one allocates nothing.
type strided struct {
	rank    int
	shape   [device.MaxRank]int
	strides [device.MaxRank]int
	offset  int
}

// put appends s to a as the kernels' struct Strided, little-endian.
func (s *strided) put(a *driver.Args) {
	b := a.Bytes(stridedBytes)
	binary.LittleEndian.PutUint32(b[0:], uint32(s.rank))
	for d := range s.rank {
		binary.LittleEndian.PutUint64(b[8+8*d:], uint64(s.shape[d]))
		binary.LittleEndian.PutUint64(b[8+8*device.MaxRank+8*d:], uint64(s.strides[d]))
	}
	binary.LittleEndian.PutUint64(b[8+16*device.MaxRank:], uint64(s.offset))
}

// flat is the contiguous rank-1 walk of n elements.
func flat(n int) strided {
	return strided{rank: 1, shape: [device.MaxRank]int{n}, strides: [device.MaxRank]int{1}}
}

// contiguous reports whether s walks consecutive elements from its offset.
func (s *strided) contiguous() bool {
	return s.rank == 1 && (s.strides[0] == 1 || s.shape[0] == 1)
}

// maxOperands is the most layouts an op collapses together (Where's
// cond, a and b).
const maxOperands = 3

// collapse rewrites layouts that share one shape into the fewest dims that
// walk them in the same row-major order: size-1 dims go, and dim d merges
// into d+1 when every layout has strides[d] == strides[d+1]*shape[d+1].
// The result has rank 1 at least (a rank-0 or all-ones shape becomes [n]
// with stride 0), so the kernels' rank-1 fast path covers every
// contiguous walk. It takes at most maxOperands layouts of at most
// device.MaxRank dims (checkLayout's bound) and fills the first len(ls)
// entries of its result.
func collapse(shape []int, ls ...device.Layout) (out [maxOperands]strided) {
	for k, l := range ls {
		out[k].offset = l.Offset
	}
	rank := 0
	for d, n := range shape {
		if n == 1 {
			continue
		}
		last := rank - 1
		merge := last >= 0
		for k, l := range ls {
			if merge && out[k].strides[last] != l.Strides[d]*n {
				merge = false
			}
		}
		for k, l := range ls {
			if merge {
				out[k].shape[last] *= n
				out[k].strides[last] = l.Strides[d]
			} else {
				out[k].shape[rank] = n
				out[k].strides[rank] = l.Strides[d]
			}
		}
		if !merge {
			rank++
		}
	}
	if rank == 0 {
		rank = 1
		for k := range ls {
			out[k].shape[0], out[k].strides[0] = 1, 0
		}
	}
	for k := range ls {
		out[k].rank = rank
	}
	return out
}

// checkLayout verifies that l is a well-formed layout of at most MaxRank
// dims whose every element lies inside a buffer of n elements. A GPU would
// read or write past the allocation instead of failing, so the check is
// made here.
func checkLayout(op string, l device.Layout, n int, what string) error {
	if len(l.Shape) > device.MaxRank {
		return opErr(op, "%s has rank %d, more than device.MaxRank %d", what, len(l.Shape), device.MaxRank)
	}
	if len(l.Strides) != len(l.Shape) {
		return opErr(op, "%s has %d strides for shape %v", what, len(l.Strides), l.Shape)
	}
	if slices.ContainsFunc(l.Shape, func(d int) bool { return d < 0 }) {
		return opErr(op, "%s has negative shape %v", what, l.Shape)
	}
	if l.Size() == 0 {
		return nil
	}
	lo, hi := l.Offset, l.Offset
	for d, s := range l.Shape {
		if ext := l.Strides[d] * (s - 1); ext < 0 {
			lo += ext
		} else {
			hi += ext
		}
	}
	if lo < 0 || hi >= n {
		return opErr(op, "%s (shape %v, strides %v, offset %d) addresses elements [%d, %d] of a buffer of %d",
			what, l.Shape, l.Strides, l.Offset, lo, hi, n)
	}
	return nil
}

// sameShape checks that every layout has the shape of the first.
func sameShape(op string, ls ...device.Layout) error {
	for _, l := range ls[1:] {
		if !slices.Equal(ls[0].Shape, l.Shape) {
			return opErr(op, "shapes %v and %v differ", ls[0].Shape, l.Shape)
		}
	}
	return nil
}

// opErr formats an error of op, prefixed like every error of this package.
func opErr(op, format string, args ...any) error {
	return fmt.Errorf("cuda: "+op+": "+format, args...)
}
