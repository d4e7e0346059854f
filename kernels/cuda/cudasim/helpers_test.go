package cudasim

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// TestMain keeps this package's tests independent of the environment
// variables that configure New (each test that wants a mode or a time
// limit asks for it): TAPEGRAD_CUDASIM_MODE=gpu is meant for the
// backend's conformance suite, not for tests pinned to exact rounding.
func TestMain(m *testing.M) {
	os.Unsetenv(ModeEnv)
	os.Unsetenv(TimeLimitEnv)
	os.Exit(m.Run())
}

// seeded returns a generator whose seed is logged (and can be forced with
// CUDASIM_SEED) so a failure replays.
func seeded(t testing.TB) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CUDASIM_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (set CUDASIM_SEED to replay)", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// loadTestdata loads testdata/<file> into s.
func loadTestdata(t testing.TB, s *Sim, file string) driver.Module {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Load(file, string(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func kernel(t testing.TB, m driver.Module, name string) driver.Function {
	t.Helper()
	f, err := m.Function(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// number is the element types tests move to and from the device.
type number interface {
	~int32 | ~uint32 | ~int64 | ~uint64 | ~float32 | ~float64 | ~int8 | ~uint8
}

func toBytes[T number](xs []T) []byte {
	var out []byte
	for _, x := range xs {
		switch v := any(x).(type) {
		case int32:
			out = binary.LittleEndian.AppendUint32(out, uint32(v))
		case uint32:
			out = binary.LittleEndian.AppendUint32(out, v)
		case int64:
			out = binary.LittleEndian.AppendUint64(out, uint64(v))
		case uint64:
			out = binary.LittleEndian.AppendUint64(out, v)
		case float32:
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		case float64:
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
		case int8:
			out = append(out, byte(v))
		case uint8:
			out = append(out, v)
		}
	}
	return out
}

func fromBytes[T number](b []byte) []T {
	var z T
	size := len(toBytes([]T{z}))
	out := make([]T, len(b)/size)
	for i := range out {
		c := b[i*size:]
		var v any
		switch any(z).(type) {
		case int32:
			v = int32(binary.LittleEndian.Uint32(c))
		case uint32:
			v = binary.LittleEndian.Uint32(c)
		case int64:
			v = int64(binary.LittleEndian.Uint64(c))
		case uint64:
			v = binary.LittleEndian.Uint64(c)
		case float32:
			v = math.Float32frombits(binary.LittleEndian.Uint32(c))
		case float64:
			v = math.Float64frombits(binary.LittleEndian.Uint64(c))
		case int8:
			v = int8(c[0])
		case uint8:
			v = c[0]
		}
		out[i] = v.(T)
	}
	return out
}

// upload allocates device memory holding xs.
func upload[T number](t testing.TB, s *Sim, xs []T) driver.DevPtr {
	t.Helper()
	b := toBytes(xs)
	p, err := s.Alloc(len(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CopyHtoD(p, b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Free(p) })
	return p
}

// download reads n elements from the device.
func download[T number](t testing.TB, s *Sim, p driver.DevPtr, n int) []T {
	t.Helper()
	var z T
	b := make([]byte, n*len(toBytes([]T{z})))
	if err := s.CopyDtoH(b, p); err != nil {
		t.Fatal(err)
	}
	return fromBytes[T](b)
}
