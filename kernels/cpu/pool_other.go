//go:build purego || !amd64

package cpu

// maxPoolRow32 is nil: maxPool2x2 runs its Go loop.
var maxPoolRow32 func(d *float32, ix *int32, r0, r1 *float32, n, at, w int)

// col2im32 is nil: col2im runs its Go loop.
var col2im32 func(x, col *float32, plan *int32, entries, planes, xs, cs int)
