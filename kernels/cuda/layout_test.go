package cuda

import (
	"encoding/binary"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

func TestCollapse(t *testing.T) {
	cases := []struct {
		name    string
		shape   []int
		ls      []device.Layout
		shapes  [][]int
		strides [][]int
	}{
		{"contiguous", []int{2, 3, 4}, []device.Layout{device.Contiguous([]int{2, 3, 4})},
			[][]int{{24}}, [][]int{{1}}},
		{"scalar", []int{}, []device.Layout{{Offset: 5}}, [][]int{{1}}, [][]int{{0}}},
		{"ones dropped", []int{1, 5, 1}, []device.Layout{{Shape: []int{1, 5, 1}, Strides: []int{99, 2, 7}}},
			[][]int{{5}}, [][]int{{2}}},
		{"transpose stays", []int{3, 4}, []device.Layout{{Shape: []int{3, 4}, Strides: []int{1, 3}}},
			[][]int{{3, 4}}, [][]int{{1, 3}}},
		{"broadcast merges with broadcast only", []int{2, 3, 4}, []device.Layout{
			device.Contiguous([]int{2, 3, 4}),
			{Shape: []int{2, 3, 4}, Strides: []int{0, 0, 1}},
		}, [][]int{{6, 4}, {6, 4}}, [][]int{{4, 1}, {0, 1}}},
		{"padded rows", []int{3, 4}, []device.Layout{{Shape: []int{3, 4}, Strides: []int{5, 1}, Offset: 2}},
			[][]int{{3, 4}}, [][]int{{5, 1}}},
	}
	for _, c := range cases {
		got := collapse(c.shape, c.ls...)
		for k := range c.ls {
			require.Equal(t, c.shapes[k], got[k].shape[:got[k].rank], "%s: layout %d shape", c.name, k)
			require.Equal(t, c.strides[k], got[k].strides[:got[k].rank], "%s: layout %d strides", c.name, k)
			require.Equal(t, c.ls[k].Offset, got[k].offset, "%s: layout %d offset", c.name, k)
		}
	}
}

func TestStridedBytesMatchCommonCuh(t *testing.T) {
	s := strided{rank: 2, shape: [device.MaxRank]int{3, 4}, strides: [device.MaxRank]int{-5, 1}, offset: 17}
	var a driver.Args
	a.Int32(7) // the descriptor after a scalar still starts 8-byte aligned
	s.put(&a)
	require.Equal(t, 2, a.Len())
	require.Equal(t, 8, a.Offset(1))
	require.Equal(t, 144, a.Size(1))
	b := a.Blob()[a.Offset(1):]
	require.Len(t, b, 144)
	le := binary.LittleEndian
	require.Equal(t, uint32(2), le.Uint32(b[0:]))
	require.Equal(t, uint64(3), le.Uint64(b[8:]))
	require.Equal(t, uint64(4), le.Uint64(b[16:]))
	require.Equal(t, int64(-5), int64(le.Uint64(b[72:])))
	require.Equal(t, uint64(1), le.Uint64(b[80:]))
	require.Equal(t, uint64(17), le.Uint64(b[136:]))
}

// TestDescriptorSizesMatchPTX checks every by-value struct the Go side
// marshals against the .param declaration nvcc emitted for it.
func TestDescriptorSizesMatchPTX(t *testing.T) {
	cases := []struct {
		mod, kernel string
		param       int
		put         func(*driver.Args)
	}{
		{modMemory, "copy_f64", 1, func(a *driver.Args) { s := flat(1); s.put(a) }},
		{modBinary, "where_i32", 6, func(a *driver.Args) { s := flat(1); s.put(a) }},
		{modReduce, "reduce_argmax_f32", 3, func(a *driver.Args) { s := flat(1); s.put(a) }},
		{modMatmul, "matmul_f32", 3, func(a *driver.Args) { putGemmDesc(a, device.MatMulArgs{}) }},
		{modConv, "im2col_f64", 2, func(a *driver.Args) { putConvDesc(a, device.ConvParams{StrideH: 1, StrideW: 1}) }},
		{modIndex, "scatter_add_i32", 3, func(a *driver.Args) { putIndexDims(a, 1, 1, 1, 1) }},
	}
	for _, c := range cases {
		var a driver.Args
		c.put(&a)
		size := a.Size(0)
		src, err := ptxFiles.ReadFile("ptx/" + c.mod + ".ptx")
		require.NoError(t, err)
		re := regexp.MustCompile(`\.param \.align \d+ \.b8 ` + c.kernel + `_param_` + strconv.Itoa(c.param) + `\[(\d+)\]`)
		m := re.FindSubmatch(src)
		require.NotNil(t, m, "%s param %d is not an aggregate in %s.ptx", c.kernel, c.param, c.mod)
		n, _ := strconv.Atoi(string(m[1]))
		require.Equal(t, size, n, "%s param %d", c.kernel, c.param)
	}
}
