//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// maxPool2x2AVX512 is one output row of maxPool2x2 for float32, 16 outputs
// a step (the last under a mask): d[i] and ix[i] for i < n from the rows
// r0 and r1 (2n pixels each), ix counting from at, the position of r0's
// first pixel, with rows w apart. It plays the same tournament with the
// same comparisons, so it gives the Go loop's maxima and positions.
func maxPool2x2AVX512(d *float32, ix *int32, r0, r1 *float32, n, at, w int)

// col2imAVX512 clears planes planes of x (xs floats each, contiguous) and
// adds into each the runs of col (cs floats a plane) that plan lists as
// (col offset, x offset, length) triples, in plan's order: col2im's sums
// for float32 at a column stride of 1 (see col2imPlan), bit for bit.
//
//go:noescape
func col2imAVX512(x, col *float32, plan *int32, entries, planes, xs, cs int)

// maxPoolRow32 is maxPool2x2AVX512 where the CPU has AVX-512F, else nil.
var maxPoolRow32 = func() func(d *float32, ix *int32, r0, r1 *float32, n, at, w int) {
	if cpu.X86.HasAVX512F {
		return maxPool2x2AVX512
	}
	return nil
}()

// col2im32 is col2imAVX512 where the CPU has AVX-512F, else nil.
var col2im32 = func() func(x, col *float32, plan *int32, entries, planes, xs, cs int) {
	if cpu.X86.HasAVX512F {
		return col2imAVX512
	}
	return nil
}()
