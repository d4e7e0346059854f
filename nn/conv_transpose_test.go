package nn_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestConvTransposeTorch compares ConvTranspose2dFn with
// torch.nn.functional.conv_transpose2d in float64 on random inputs: one
// group, two and three groups, depthwise (groups = channels), with
// rectangular kernels, strides and padding; the output and the
// gradients of sum(y·dy) with respect to x, w and b, element by element.
// testdata/conv_transpose.py does the PyTorch side.
func TestConvTransposeTorch(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Skip("no", python)
	}
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skip("no PyTorch for ", python)
	}
	type spec struct {
		X       []float64 `json:"x"`
		XShape  []int     `json:"x_shape"`
		W       []float64 `json:"w"`
		WShape  []int     `json:"w_shape"`
		B       []float64 `json:"b"`
		DY      []float64 `json:"dy"`
		Stride  [2]int    `json:"stride"`
		Padding [2]int    `json:"padding"`
		Groups  int       `json:"groups"`
	}
	cases := []struct {
		x, w    []int // [N, Cin, H, W], [Cin, Cout/groups, KH, KW]
		o       nn.ConvOptions
		hasBias bool
	}{
		{[]int{2, 3, 4, 5}, []int{3, 2, 3, 3}, nn.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, true},
		{[]int{2, 4, 3, 4}, []int{4, 3, 3, 2}, nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, Groups: 2}, true},
		{[]int{1, 6, 5, 3}, []int{6, 2, 2, 4}, nn.ConvOptions{Stride: [2]int{1, 3}, Padding: [2]int{0, 2}, Groups: 3}, false},
		{[]int{3, 4, 4, 4}, []int{4, 1, 3, 3}, nn.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 4}, true},
		{[]int{1, 4, 2, 3}, []int{4, 2, 1, 1}, nn.ConvOptions{Stride: [2]int{3, 2}, Groups: 2}, true},
	}
	rng := tensor.NewRNG(testSeed(t))
	normal := func(shape ...int) *tensor.Tensor { return rng.Normal(cpu, device.Float64, 0, 1, shape...) }
	var specs []spec
	type result struct{ y, dx, dw, db *tensor.Tensor }
	var got []result
	for _, c := range cases {
		x, w := autograd.Param(normal(c.x...)), autograd.Param(normal(c.w...))
		groups := max(c.o.Groups, 1)
		var b *autograd.Var
		s := spec{X: x.Value().Float64s(), XShape: c.x, W: w.Value().Float64s(), WShape: c.w,
			Stride: c.o.Stride, Padding: c.o.Padding, Groups: groups}
		if c.hasBias {
			b = autograd.Param(normal(c.w[1] * groups))
			s.B = b.Value().Float64s()
		}
		y := nn.ConvTranspose2dFn(x, w, b, c.o)
		dy := normal(y.Shape()...)
		s.DY = dy.Float64s()
		y.Mul(autograd.Const(dy)).Sum(false).Backward()
		r := result{y: y.Value(), dx: x.Grad(), dw: w.Grad()}
		if b != nil {
			r.db = b.Grad()
		}
		specs = append(specs, s)
		got = append(got, r)
	}
	in, err := json.Marshal(specs)
	require.NoError(t, err)
	cmd := exec.Command(python, "testdata/conv_transpose.py")
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "conv_transpose.py: %s", stderr.String())
	var want []struct {
		Shape         []int
		Y, DX, DW, DB []float64
	}
	require.NoError(t, json.Unmarshal(out, &want))
	require.Len(t, want, len(cases))
	for i, w := range want {
		g := got[i]
		require.Equal(t, w.Shape, g.y.Shape(), "case %d: output shape", i)
		for _, c := range []struct {
			what string
			want []float64
			got  *tensor.Tensor
		}{{"y", w.Y, g.y}, {"dx", w.DX, g.dx}, {"dw", w.DW, g.dw}, {"db", w.DB, g.db}} {
			if c.got == nil {
				require.Nil(t, c.want, "case %d: %s", i, c.what)
				continue
			}
			gv := c.got.Float64s()
			require.Len(t, gv, len(c.want), "case %d: %s", i, c.what)
			for j := range gv {
				require.InDelta(t, c.want[j], gv[j], 1e-12*math.Max(1, math.Abs(c.want[j])), "case %d: %s[%d]", i, c.what, j)
			}
		}
	}
}
