package device

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckedNumel(t *testing.T) {
	cases := []struct {
		shape []int
		n     int
		ok    bool
	}{
		{nil, 1, true},
		{[]int{2, 3, 4}, 24, true},
		{[]int{5, 0, 7}, 0, true},
		{[]int{math.MaxInt}, math.MaxInt, true},
		{[]int{1 << 31, 1 << 31}, 1 << 62, true},
		{[]int{1 << 32, 1 << 32}, 0, false},    // wraps to 0 unchecked
		{[]int{3, 1 << 62}, 0, false},          // wraps to a positive number
		{[]int{1 << 32, 0, 1 << 32}, 0, false}, // strides would wrap
		{[]int{2, -3}, 0, false},               // negative
		{[]int{-1, -1}, 0, false},              // negative, positive product
		{[]int{math.MaxInt / 2, 2}, math.MaxInt - 1, true},
		{[]int{math.MaxInt/2 + 1, 2}, 0, false},
	}
	for _, c := range cases {
		n, ok := CheckedNumel(c.shape)
		require.Equal(t, c.ok, ok, "%v", c.shape)
		require.Equal(t, c.n, n, "%v", c.shape)
		if ok {
			require.Equal(t, c.n, Numel(c.shape))
			require.Equal(t, c.n, Contiguous(c.shape).Size())
		} else {
			require.PanicsWithValue(t, fmt.Sprintf("device: shape %v has a negative dimension or more elements than an int holds", c.shape), func() { Numel(c.shape) })
		}
	}
}

func TestDTypeBytes(t *testing.T) {
	n, ok := Float64.Bytes(5)
	require.True(t, ok)
	require.Equal(t, 40, n)
	for _, c := range []struct {
		dt DType
		n  int
	}{{Float32, 1 << 62}, {Float64, math.MaxInt/8 + 1}, {Int32, -1}} {
		_, ok := c.dt.Bytes(c.n)
		require.False(t, ok, "%v x %d", c.dt, c.n)
	}
	n, ok = Float32.Bytes(math.MaxInt / 4)
	require.True(t, ok)
	require.Equal(t, math.MaxInt/4*4, n)
}
