package cudasim

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// TestCpAsyncPipeline runs the two-stage cp.async pipeline of
// testdata/sm80/pipeline.cu: correct, it sums like the host; with the
// planted fault (cp.async.wait_group 2, so the stage read next is still in
// flight) the launch fails with a Race naming the kernel, the reading
// line and thread, and the copy (even with race checking off: a read of
// bytes still in flight is always wrong); without the barrier after the
// wait, a thread reading another thread's delivered words races with it.
func TestCpAsyncPipeline(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "sm80/pipeline.ptx"), "stage_sum")
	quiet := New(WithRaceCheck(false))
	fq := kernel(t, loadTestdata(t, quiet, "sm80/pipeline.ptx"), "stage_sum")
	const n = 256 * 5
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.IntN(1000)) // integers: the sums are exact in any order
	}
	launch := func(s *Sim, f driver.Function, mode int) ([]float32, error) {
		out := upload(t, s, make([]float32, 64))
		err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 64}, 0, upload(t, s, x), out, int32(n), int32(mode))
		if err != nil {
			return nil, err
		}
		return download[float32](t, s, out, 64), nil
	}
	run := func(mode int) ([]float32, error) { return launch(s, f, mode) }
	got, err := run(0)
	if err != nil {
		t.Fatal(err)
	}
	for th := range 64 {
		var want float32
		for i := 0; i < n; i += 256 {
			want += x[i+(th+1)%64] + x[i+64+th] + x[i+128+th] + x[i+192+th]
		}
		if got[th] != want {
			t.Fatalf("thread %d: got %g, want %g", th, got[th], want)
		}
	}
	for _, tc := range []struct {
		mode int
		want []string
	}{
		{1, []string{"stage_sum", "still in flight", "cp.async of thread"}},
		{2, []string{"stage_sum", "races with a write by thread"}},
	} {
		_, err := run(tc.mode)
		t.Logf("mode %d: %v", tc.mode, err)
		var fault *Fault
		if !errors.As(err, &fault) || fault.Kind != Race {
			t.Fatalf("mode %d: got %v, want a Race fault", tc.mode, err)
		}
		if !strings.Contains(fault.Inst, "ld.shared") || fault.Line == 0 {
			t.Errorf("mode %d: the fault should name the reading ld.shared and its line: %v", tc.mode, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("mode %d: %v does not say %q", tc.mode, err, w)
			}
		}
	}
	_, err = launch(quiet, fq, 1)
	var fault *Fault
	if !errors.As(err, &fault) || !strings.Contains(fault.Inst, "ld.shared") || !strings.Contains(fault.Detail, "still in flight") {
		t.Errorf("planted fault with race checking off: got %v, want the read of a stage in flight", err)
	}
}

// TestCpAsyncZeroFill: with a src-size below the copy size, cp.async
// copies src-size bytes and zero-fills the rest, landing at wait_all.
func TestCpAsyncZeroFill(t *testing.T) {
	s := New()
	f := kernel(t, loadTestdata(t, s, "sm80/pipeline.ptx"), "zfill")
	x := make([]uint8, 16*32)
	for i := range x {
		x[i] = uint8(i%251 + 1)
	}
	out := upload(t, s, make([]uint8, 16*32))
	if err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, upload(t, s, x), out); err != nil {
		t.Fatal(err)
	}
	got := download[uint8](t, s, out, 16*32)
	for th := range 32 {
		for i := range 16 {
			want := uint8(0)
			if i < th%17 {
				want = x[16*th+i]
			}
			if got[16*th+i] != want {
				t.Fatalf("thread %d byte %d: got %d, want %d", th, i, got[16*th+i], want)
			}
		}
	}
}

// TestCpAsyncOrdering: inline PTX checks of what lands when. A copy is
// invisible until its thread's wait covers its group (wait_group 1 leaves
// the newest group in flight; wait_group 0 lands it), an uncommitted copy
// is not covered by wait_group 0 but is by wait_all, and a second copy into
// a word still in flight is a race.
func TestCpAsyncOrdering(t *testing.T) {
	const head = `
	.shared .align 16 .b8 buf[64];
	.reg .b32 %s<4>;
	mov.u32 %s0, buf;
	cvta.to.global.u64 %rd2, %rd1;
	setp.ne.u32 %p1, %r1, 0;
	@%p1 bra DONE;
`
	s := New()
	src := upload(t, s, []uint32{11, 22, 33, 44, 55, 66, 77, 88})
	for _, tc := range []struct {
		name, body string
		fault      bool // a Race, else the word at buf+0 is stored to src[0]
		want       uint32
	}{
		{"landed by wait_group 0", `cp.async.ca.shared.global [%s0], [%rd2+4], 4; cp.async.commit_group; cp.async.wait_group 0;`, false, 22},
		{"newest group left by wait_group 1", `cp.async.ca.shared.global [%s0], [%rd2+4], 4; cp.async.commit_group; cp.async.wait_group 1;`, true, 0},
		{"older group landed by wait_group 1", `cp.async.ca.shared.global [%s0], [%rd2+8], 4; cp.async.commit_group;
			cp.async.ca.shared.global [%s0+16], [%rd2+12], 4; cp.async.commit_group; cp.async.wait_group 1;`, false, 33},
		{"uncommitted copy not waited for", `cp.async.ca.shared.global [%s0], [%rd2+4], 4; cp.async.wait_group 0;`, true, 0},
		{"uncommitted copy landed by wait_all", `cp.async.ca.shared.global [%s0], [%rd2+20], 4; cp.async.wait_all;`, false, 66},
		{"ignore-src set: zero-filled", `setp.eq.u32 %p2, %r1, 0; cp.async.ca.shared.global [%s0], [%rd2+4], 4, %p2; cp.async.wait_all;`, false, 0},
		{"ignore-src clear: copied", `setp.ne.u32 %p2, %r1, 0; cp.async.ca.shared.global [%s0], [%rd2+8], 4, %p2; cp.async.wait_all;`, false, 33},
		{"cache policy operand", `.reg .b64 %pol; createpolicy.fractional.L2::evict_last.b64 %pol, 1.0;
			cp.async.cg.shared.global.L2::cache_hint [%s0], [%rd2+16], 16, %pol; cp.async.wait_all;`, false, 55},
		{"two copies in flight into one word", `cp.async.ca.shared.global [%s0], [%rd2+4], 4; cp.async.ca.shared.global [%s0], [%rd2+8], 4;
			cp.async.wait_all;`, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := head + tc.body + `
	ld.shared.u32 %s1, [%s0];
	st.global.u32 [%rd2], %s1;
DONE:`
			if err := s.CopyHtoD(src, toBytes([]uint32{11})); err != nil {
				t.Fatal(err)
			}
			err := runInline(t, s, body, 32, src)
			var fault *Fault
			if tc.fault {
				if !errors.As(err, &fault) || fault.Kind != Race || !strings.Contains(fault.Detail, "still in flight") {
					t.Fatalf("got %v, want a Race on a word still in flight", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := download[uint32](t, s, src, 1)[0]; got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// TestCpAsyncGenericAddress: a cp.async destination converted from a
// generic pointer to dynamic shared memory with cvta.to.shared, as nvcc
// emits it in a device function, lands where the kernel reads it.
func TestCpAsyncGenericAddress(t *testing.T) {
	s := New()
	f := kernel(t, loadTestdata(t, s, "sm80/pipeline.ptx"), "cp_generic")
	x := make([]float32, 4*32)
	for i := range x {
		x[i] = float32(i)
	}
	out := upload(t, s, make([]float32, 32))
	if err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 16*32, upload(t, s, x), out); err != nil {
		t.Fatal(err)
	}
	for i, g := range download[float32](t, s, out, 32) {
		if want := x[4*((i+1)%32)+1]; g != want {
			t.Fatalf("thread %d: got %g, want %g", i, g, want)
		}
	}
}

// TestTensorCoreGemm runs testdata/sm80/pipeline.cu's tc_gemm (cp.async
// staging, ldmatrix, mma.m16n8k16 bf16) on random matrices against the
// float64 product of the bf16-rounded inputs, within one float32 rounding
// per k step, and bit for bit against the emulated arithmetic.
func TestTensorCoreGemm(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "sm80/pipeline.ptx"), "tc_gemm")
	const m, n, k = 32, 16, 48
	qa, qbt := make([]float64, m*k), make([]float64, n*k)
	enc := func(q []float64) driver.DevPtr {
		var b []uint8
		for i := range q {
			h := device.BF16FromFloat32(float32(r.NormFloat64()))
			q[i] = float64(h.Float32())
			b = append(b, uint8(h), uint8(h>>8))
		}
		return upload(t, s, b)
	}
	pa, pb := enc(qa), enc(qbt)
	pc := upload(t, s, make([]float32, m*n))
	if err := s.Launch(f, driver.Dim3{X: n / 8, Y: m / 16}, driver.Dim3{X: 32}, 0, pa, pb, pc, int32(n), int32(k)); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, s, pc, m*n)
	for i := range m {
		for j := range n {
			var c, exact, mag float64
			for k0 := 0; k0 < k; k0 += 16 {
				sum := c
				for kk := k0; kk < k0+16; kk++ {
					p := qa[i*k+kk] * qbt[j*k+kk]
					sum += p
					exact += p
					mag += math.Abs(p)
				}
				c = float64(float32(sum))
			}
			g := float64(got[i*n+j])
			if g != c || math.Abs(g-exact) > mag*float64(k/16)*0x1p-24 {
				t.Fatalf("C[%d][%d] = %.9g, want %.9g (float64 product %.9g)", i, j, g, c, exact)
			}
		}
	}
}
