package device_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// TestOpTables checks that every elementwise op is declared in full: a
// unique name and method, a reference, a domain the reference is finite
// on, a cost. A constant added without its row fails here.
func TestOpTables(t *testing.T) {
	seen := map[string]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	declared := func(name, method string, ref bool, flops int, ds ...device.Domain) {
		t.Helper()
		require.NotEmpty(t, name, "an op has no table row")
		require.Falsef(t, seen[name], "%s declared twice", name)
		seen[name] = true
		require.NotEmptyf(t, method, "%s: no Method", name)
		require.Truef(t, ref, "%s: no Ref", name)
		require.Positivef(t, flops, "%s: no FLOPs", name)
		for _, d := range ds {
			require.Lessf(t, d.Lo, d.Hi, "%s: empty domain %+v", name, d)
			if d.Gap > 0 {
				require.Truef(t, d.Lo < -d.Gap && d.Gap < d.Hi, "%s: gap %+v", name, d)
			}
			for range 100 {
				x := d.At(r.Float64())
				require.Truef(t, x >= d.Lo && x < d.Hi && math.Abs(x) >= d.Gap, "%s: At gave %g outside %+v", name, x, d)
			}
		}
	}
	for _, op := range device.UnaryOps() {
		in := op.Info()
		declared(in.Name, in.Method, in.Ref != nil, in.FLOPs, in.Domain)
		require.Equal(t, in.Name, op.String())
		p := 0.0
		if in.Params != nil {
			p = in.Params[0]
		}
		for range 100 {
			x := in.Domain.At(r.Float64())
			require.Falsef(t, math.IsNaN(in.Ref(x, p)) || math.IsInf(in.Ref(x, p), 0), "%s(%g) is not finite in its domain", op, x)
		}
	}
	for _, op := range device.BinaryOps() {
		in := op.Info()
		declared(in.Name, in.Method, in.Ref != nil, in.FLOPs, in.A, in.B)
		require.Equal(t, in.Name, op.String())
		require.Falsef(t, in.Fused && (in.Int || in.Compare), "%s: a fused VJP is float-only", op)
	}
	require.Equal(t, device.UnaryInfo{}, device.UnaryOp(200).Info())
	require.False(t, device.BinaryOp(200).IsCompare())
}

// TestDomainAt pins Domain.At's mapping at the ends and across the gap.
func TestDomainAt(t *testing.T) {
	d := device.Domain{Lo: -3, Hi: 1, Gap: 0.5}
	require.Equal(t, -3.0, d.At(0))
	require.InDelta(t, -0.5, d.At(2.5/3.0-1e-12), 1e-9) // the end of [-3, -0.5)
	require.InDelta(t, 0.5, d.At(2.5/3.0), 1e-9)        // then [0.5, 1)
	require.Equal(t, 0.25, device.Domain{Lo: -1, Hi: 1}.At(0.625))
}
