package safetensors_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn/safetensors"
)

// newRand returns a generator seeded fresh each run; the seed is logged so a
// failure can be replayed.
func newRand(t testing.TB) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 0x5afe))
}

// randBytes returns n random bytes.
func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// randTensor returns a tensor of dtype and shape filled with random bytes.
func randTensor(t testing.TB, rng *rand.Rand, name, dtype string, shape ...int) safetensors.Tensor {
	bits, ok := safetensors.DTypeBits(dtype)
	require.True(t, ok, dtype)
	n := bits
	for _, d := range shape {
		n *= d
	}
	return safetensors.Tensor{Name: name, DType: dtype, Shape: append([]int{}, shape...), Data: randBytes(rng, n/8)}
}

// requireSameFile checks that got holds exactly the tensors and metadata of
// want, whatever their order.
func requireSameFile(t *testing.T, want, got safetensors.File) {
	t.Helper()
	require.Len(t, got.Tensors, len(want.Tensors))
	for _, w := range want.Tensors {
		g, ok := got.Get(w.Name)
		require.True(t, ok, "tensor %q missing", w.Name)
		require.Equal(t, w.DType, g.DType, w.Name)
		require.Equal(t, w.Shape, g.Shape, w.Name)
		require.True(t, slices.Equal(w.Data, g.Data), "tensor %q: data differs", w.Name)
	}
	if len(want.Metadata) == 0 {
		require.Empty(t, got.Metadata)
	} else {
		require.Equal(t, want.Metadata, got.Metadata)
	}
}
