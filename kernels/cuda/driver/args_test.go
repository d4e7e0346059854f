package driver

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// randomArgs packs n random arguments of every kind into a and returns
// the values Launch would have been given.
func randomArgs(r *rand.Rand, a *Args, n int) []any {
	want := make([]any, 0, n)
	for range n {
		switch r.IntN(8) {
		case 0:
			v := DevPtr(r.Uint64())
			a.Ptr(v)
			want = append(want, v)
		case 1:
			v := int32(r.Uint32())
			a.Int32(v)
			want = append(want, v)
		case 2:
			v := r.Uint32()
			a.Uint32(v)
			want = append(want, v)
		case 3:
			v := int64(r.Uint64())
			a.Int64(v)
			want = append(want, v)
		case 4:
			v := r.Uint64()
			a.Uint64(v)
			want = append(want, v)
		case 5:
			v := float32(r.NormFloat64())
			a.Float32(v)
			want = append(want, v)
		case 6:
			v := r.NormFloat64()
			a.Float64(v)
			want = append(want, v)
		case 7:
			v := make([]byte, 1+r.IntN(150))
			for i := range v {
				v[i] = byte(r.Uint32())
			}
			copy(a.Bytes(len(v)), v)
			want = append(want, v)
		}
	}
	return want
}

// TestArgsPacking checks each kind's bytes, size and 8-byte aligned
// offset in the blob, as cuLaunchKernel's kernelParams take them.
func TestArgsPacking(t *testing.T) {
	var a Args
	a.Int32(-2)
	a.Ptr(0x1234_5678_9abc)
	a.Float32(1.5)
	a.Uint32(7)
	copy(a.Bytes(3), []byte{1, 2, 3})
	a.Int64(-9)
	a.Uint64(1 << 63)
	a.Float64(-0.25)
	le := binary.LittleEndian
	blob := a.Blob()
	require.Equal(t, 8, a.Len())
	wantOffs := []int{0, 8, 16, 24, 32, 40, 48, 56}
	wantSizes := []int{4, 8, 4, 4, 3, 8, 8, 8}
	for i := range a.Len() {
		require.Equal(t, wantOffs[i], a.Offset(i), "offset of argument %d", i)
		require.Equal(t, wantSizes[i], a.Size(i), "size of argument %d", i)
	}
	require.Len(t, blob, 64)
	require.Zero(t, uintptr(unsafe.Pointer(&blob[0]))%8, "blob not 8-byte aligned")
	require.Equal(t, uint32(0xffff_fffe), le.Uint32(blob[0:]))
	require.Equal(t, uint64(0x1234_5678_9abc), le.Uint64(blob[8:]))
	require.Equal(t, math.Float32bits(1.5), le.Uint32(blob[16:]))
	require.Equal(t, uint32(7), le.Uint32(blob[24:]))
	require.Equal(t, []byte{1, 2, 3}, blob[32:35])
	require.Equal(t, uint64(math.MaxUint64-8), le.Uint64(blob[40:]))
	require.Equal(t, uint64(1<<63), le.Uint64(blob[48:]))
	require.Equal(t, math.Float64bits(-0.25), le.Uint64(blob[56:]))
	// Padding is zero even when an earlier, longer list left bytes there.
	a.Reset()
	a.Float64(math.Inf(-1))
	a.Reset()
	a.Int32(1)
	a.Int32(2)
	require.Equal(t, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0}, a.Blob())
}

// TestArgsValuesRoundTrip checks that Values gives back exactly the Go
// values (type and bits) that were packed, over random lists.
func TestArgsValuesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 1))
	var a Args
	for range 200 {
		want := randomArgs(r, a.Reset(), 1+r.IntN(20))
		require.NoError(t, a.Err())
		require.Equal(t, want, a.Values())
		for i := range a.Len() {
			require.Zero(t, a.Offset(i)%8, "argument %d at offset %d", i, a.Offset(i))
		}
	}
}

// TestArgsOverflow checks that a list past MaxArgs or MaxArgsBytes is an
// error that LaunchArgs reports without launching, and that Reset clears
// it.
func TestArgsOverflow(t *testing.T) {
	rec := &recorder{Driver: &Null{}}
	var a Args
	for range MaxArgs {
		a.Int32(1)
	}
	require.NoError(t, a.Err())
	a.Int32(1)
	require.ErrorContains(t, a.Err(), "more than 64")
	require.Error(t, LaunchArgs(rec, nullFunction("k"), Dim3{X: 1}, Dim3{X: 1}, 0, &a))
	require.Zero(t, rec.launches)

	a.Reset()
	require.NoError(t, a.Err())
	b := a.Bytes(MaxArgsBytes - 8)
	require.Len(t, b, MaxArgsBytes-8)
	a.Int32(1)
	require.NoError(t, a.Err())
	b = a.Bytes(16)
	require.Len(t, b, 16, "Bytes past the end still hands back a slice to fill")
	require.ErrorContains(t, a.Err(), "bytes")
	require.Equal(t, 2, a.Len())
}

// recorder is a Driver without LaunchPacked that keeps the arguments of
// the last Launch. It embeds the Driver interface: embedding *Null would
// promote Null's LaunchPacked.
type recorder struct {
	Driver
	launches int
	args     []any
}

func (r *recorder) Launch(_ Function, _, _ Dim3, _ int, args ...any) error {
	r.launches++
	r.args = args
	return nil
}

// packedRecorder is a PackedLauncher that keeps what it was handed.
type packedRecorder struct {
	recorder
	packed int
	blob   []byte
}

func (p *packedRecorder) LaunchPacked(_ Function, _, _ Dim3, _ int, a *Args) error {
	p.packed++
	p.blob = append([]byte(nil), a.Blob()...)
	return nil
}

// TestLaunchArgs checks both routes: a PackedLauncher gets the Args, any
// other driver Launch with Values; through Counting, which counts both.
func TestLaunchArgs(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 2))
	var a Args
	want := randomArgs(r, &a, 12)

	plain := &recorder{Driver: &Null{}}
	c := NewCounting(plain)
	require.NoError(t, LaunchArgs(c, nullFunction("k"), Dim3{X: 1}, Dim3{X: 32}, 0, &a))
	require.Equal(t, 1, plain.launches)
	require.Equal(t, want, plain.args)
	require.Equal(t, int64(1), c.Counts().Launches)

	packed := &packedRecorder{recorder: recorder{Driver: &Null{}}}
	c = NewCounting(packed)
	require.NoError(t, LaunchArgs(c, nullFunction("k"), Dim3{X: 1}, Dim3{X: 32}, 0, &a))
	require.Equal(t, 1, packed.packed)
	require.Zero(t, packed.launches, "a PackedLauncher was given boxed arguments")
	require.Equal(t, a.Blob(), packed.blob)
	require.Equal(t, int64(1), c.Counts().Launches)
}

// TestLaunchPackedAllocatesNothing checks the point of Args: packing and
// launching through Counting onto Null allocate nothing.
func TestLaunchPackedAllocatesNothing(t *testing.T) {
	var a Args
	c := NewCounting(&Null{})
	f := nullFunction("k")
	desc := make([]byte, 144)
	allocs := testing.AllocsPerRun(100, func() {
		a.Reset()
		a.Ptr(1 << 20)
		copy(a.Bytes(len(desc)), desc)
		a.Int64(4096)
		a.Float32(0.5)
		if err := LaunchArgs(c, f, Dim3{X: 16}, Dim3{X: 256}, 0, &a); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}
