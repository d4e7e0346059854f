package bench

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tapegrad/tapegrad/device"
)

// Ceilings measures each target device's limits once per dtype: the
// bandwidth of a large copy and the FMA probe's rate. On the CPU the copy
// is the Go runtime's memmove on every thread at once, the machine's own
// ceiling rather than a kernel of ours; on other devices it is the
// backend's device-to-device Copy. The probe is device.FMAProber, where the
// backend has one.
func (r *Runner) Ceilings(targets []Target) []Ceiling {
	var out []Ceiling
	var copies []bandwidth
	for _, t := range targets {
		if slices.ContainsFunc(out, func(c Ceiling) bool { return c.Device == t.Dev.String() && c.DType == t.DType.String() }) {
			continue
		}
		i := slices.IndexFunc(copies, func(b bandwidth) bool { return b.dev == t.Dev })
		if i < 0 {
			g, err := r.copyBandwidth(t)
			copies = append(copies, bandwidth{t.Dev, g, err})
			i = len(copies) - 1
		}
		var notes []string
		if copies[i].err != nil {
			notes = append(notes, "copy: "+copies[i].err.Error())
		}
		g, err := r.fmaRate(t)
		if err != nil {
			notes = append(notes, "fma: "+err.Error())
		}
		if t.Scale != Full {
			notes = append(notes, "measured at "+t.Scale.String()+" sizes")
		}
		out = append(out, Ceiling{Device: t.Dev.String(), DType: t.DType.String(),
			CopyGBps: Num(copies[i].gbps), FMAGFLOPs: Num(g), Note: strings.Join(notes, "; ")})
	}
	return out
}

// bandwidth is a device's measured copy rate (dtype does not matter).
type bandwidth struct {
	dev  device.Device
	gbps float64
	err  error
}

// copyBytes is the size of the copied buffer at each scale: well past any
// cache at Full.
func copyBytes(s Scale) int { return pick(s, 256<<20, 4<<20, 64<<10) }

// copyBandwidth returns the best of Count copies, in GB/s of bytes read
// plus written.
func (r *Runner) copyBandwidth(t Target) (float64, error) {
	n := copyBytes(t.Scale)
	var copyOnce func() error
	if t.Dev.Kind == device.CPU {
		copyOnce = hostCopier(n)
	} else {
		be, err := device.Open(t.Dev)
		if err != nil {
			return 0, err
		}
		elems := n / 4
		src, err := be.Alloc(device.Float32, elems)
		if err != nil {
			return 0, err
		}
		defer be.Free(src)
		dst, err := be.Alloc(device.Float32, elems)
		if err != nil {
			return 0, err
		}
		defer be.Free(dst)
		l := device.Contiguous([]int{elems})
		if err := be.Fill(src, l, 1); err != nil {
			return 0, err
		}
		copyOnce = func() error {
			if err := be.Copy(dst, l, src, l); err != nil {
				return err
			}
			return be.Sync()
		}
	}
	best, err := r.best(copyOnce)
	if err != nil {
		return 0, err
	}
	return 2 * float64(n) / best / 1e9, nil
}

// hostCopier returns a copy of n bytes split over GOMAXPROCS goroutines.
func hostCopier(n int) func() error {
	src, dst := make([]byte, n), make([]byte, n)
	for i := range src {
		src[i] = byte(i)
	}
	workers := runtime.GOMAXPROCS(0)
	return func() error {
		var wg sync.WaitGroup
		for w := range workers {
			lo, hi := w*n/workers, (w+1)*n/workers
			wg.Go(func() { copy(dst[lo:hi], src[lo:hi]) })
		}
		wg.Wait()
		return nil
	}
}

// probeWork is the FMAs of one probe at each scale.
func probeWork(s Scale) int64 { return pick[int64](s, 1<<31, 1<<22, 1<<16) }

// fmaRate returns the FMA probe's best rate in GFLOP/s, 0 when the
// device has none.
func (r *Runner) fmaRate(t Target) (float64, error) {
	be, err := device.Open(t.Dev)
	if err != nil {
		return 0, err
	}
	p, ok := be.(device.FMAProber)
	if !ok {
		return 0, fmt.Errorf("%v has no FMA probe", t.Dev)
	}
	out, err := be.Alloc(t.DType, 1)
	if err != nil {
		return 0, err
	}
	defer be.Free(out)
	var fmas int64
	best, err := r.best(func() error {
		var err error
		if fmas, err = p.FMAProbe(t.DType, probeWork(t.Scale), out); err != nil {
			return err
		}
		return be.Sync()
	})
	if err != nil {
		return 0, err
	}
	return 2 * float64(fmas) / best / 1e9, nil
}

// best returns the shortest time in seconds that one call of f takes,
// over Count samples after a warm-up, each sample repeating f until it
// lasts MinTime: a ceiling is what the device can do, not what it usually
// does.
func (r *Runner) best(f func() error) (float64, error) {
	if err := f(); err != nil {
		return 0, err
	}
	k, best := 1, math.Inf(1)
	for i := 0; i < r.opts.Count; {
		start := time.Now()
		for range k {
			if err := f(); err != nil {
				return 0, err
			}
		}
		d := time.Since(start)
		if d < r.opts.MinTime && k < 1<<20 {
			k *= 2
			continue
		}
		best = min(best, d.Seconds()/float64(k))
		i++
	}
	return best, nil
}

// FillCeilingPct sets each result's CeilingPct from the ceiling of its
// device and dtype for its bound.
func FillCeilingPct(rs []Result, cs []Ceiling) {
	for i := range rs {
		res := &rs[i]
		j := slices.IndexFunc(cs, func(c Ceiling) bool { return c.Device == res.Device && c.DType == res.DType })
		if j < 0 || res.Err != "" {
			continue
		}
		switch {
		case res.Bound == Compute.String() && cs[j].FMAGFLOPs > 0:
			res.CeilingPct = 100 * res.GFLOPs / cs[j].FMAGFLOPs
		case res.Bound == Memory.String() && cs[j].CopyGBps > 0:
			res.CeilingPct = 100 * res.GBps / cs[j].CopyGBps
		}
	}
}
