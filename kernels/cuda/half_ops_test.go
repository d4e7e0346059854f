package cuda_test

import (
	"math"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// positiveOnly are the unary ops tested on (0.05, 3) only.
var positiveOnly = map[device.UnaryOp]bool{device.Log: true, device.Sqrt: true, device.Pow: true}

func TestHalfUnary(t *testing.T) {
	for _, dt := range halves {
		t.Run(dt.String(), func(t *testing.T) {
			e := newHalfEnv(t, dt)
			signed := e.in(e.uniform(45, -3, 3))
			pos := e.in(e.uniform(45, 0.05, 3))
			for _, op := range device.UnaryOps() {
				x := signed
				if positiveOnly[op] {
					x = pos
				}
				for _, lc := range halfLayouts {
					d := e.out(dt, lc.l.Size(), nil)
					e.both(func(i int, b device.Backend) error { return b.Unary(op, 1.5, d[i], x[i], lc.l) })
					// sin, cos and erf cross zero: their float32 results
					// near it carry an absolute error.
					e.check(op.String()+" "+lc.name, d, 1, 1e-6)
				}
			}
		})
	}
}

func TestHalfBinary(t *testing.T) {
	// row broadcasts a [5, 8] operand's row over 5 rows (stride 0).
	row := device.Layout{Shape: []int{5, 8}, Strides: []int{0, 1}, Offset: 3}
	for _, dt := range halves {
		t.Run(dt.String(), func(t *testing.T) {
			e := newHalfEnv(t, dt)
			av := e.uniform(45, -2, 2)
			bv := e.uniform(45, 0.25, 2)
			// Equal elements, so that the comparisons see ties.
			for i := 0; i < len(av); i += 4 {
				bv[i] = av[i]
			}
			a, b := e.in(av), e.in(bv)
			for _, op := range device.BinaryOps() {
				for _, lc := range halfLayouts {
					bl := lc.l
					if lc.name == "transposed" {
						bl = row
					}
					d := e.out(dt, lc.l.Size(), nil)
					e.both(func(i int, be device.Backend) error {
						return be.Binary(op, 0.1, d[i], a[i], lc.l, b[i], bl)
					})
					e.check(op.String()+" "+lc.name, d, 1, 1e-6)
				}
			}
			cv := e.uniform(45, -1, 1)
			for i := 0; i < len(cv); i += 3 {
				cv[i] = 0
			}
			c := e.in(cv)
			for _, lc := range halfLayouts {
				bl := lc.l
				if lc.name == "transposed" {
					bl = row
				}
				d := e.out(dt, lc.l.Size(), nil)
				e.both(func(i int, be device.Backend) error {
					return be.Where(d[i], c[i], lc.l, a[i], lc.l, b[i], bl)
				})
				e.check("Where "+lc.name, d, 0, 0)
			}
		})
	}
}

func TestHalfReduce(t *testing.T) {
	shapes := []struct {
		name string
		l    device.Layout
		n    int // elements the buffer needs
	}{
		{"thread", device.Layout{Shape: []int{7, 5}, Strides: []int{5, 1}}, 35},
		{"warp", device.Layout{Shape: []int{3, 300}, Strides: []int{300, 1}}, 900},
		{"block", device.Layout{Shape: []int{2, 1500}, Strides: []int{1500, 1}}, 3000},
		{"column", device.Layout{Shape: []int{300, 3}, Strides: []int{1, 300}}, 900},
	}
	for _, dt := range halves {
		t.Run(dt.String(), func(t *testing.T) {
			e := newHalfEnv(t, dt)
			for _, s := range shapes {
				x := e.in(e.uniform(s.n, -2, 2))
				rows := s.l.Shape[0]
				for _, op := range device.ReduceOps() {
					od := dt
					if op == device.ArgMax || op == device.ArgMin {
						od = device.Int32
					}
					d := e.out(od, rows, nil)
					e.both(func(i int, b device.Backend) error { return b.Reduce(op, d[i], x[i], s.l, 1) })
					// Float sums in another order: a float32-sized error
					// of the row's absolute sum.
					e.check(op.String()+" "+s.name, d, 1, 1e-6*float64(s.l.Shape[1]))
				}
			}
		})
	}
}

func TestHalfMatMul(t *testing.T) {
	for _, dt := range halves {
		t.Run(dt.String(), func(t *testing.T) {
			e := newHalfEnv(t, dt)
			const batch, m, n, k = 2, 19, 21, 37
			a := e.in(e.uniform(batch*m*k, -1, 1))
			b := e.in(e.uniform(k*n, -1, 1))
			for _, out := range []device.DType{dt, device.Float32} {
				for _, tr := range [][2]bool{{false, false}, {true, true}} {
					args := device.MatMulArgs{Batch: batch, M: m, N: n, K: k,
						AStride: m * k, LDA: k, TransA: tr[0], LDB: n, TransB: tr[1]}
					if tr[0] {
						args.LDA = m
					}
					if tr[1] {
						args.LDB = k
					}
					c := e.out(out, batch*m*n, nil)
					e.both(func(i int, be device.Backend) error {
						p := args
						p.A, p.B, p.C = a[i], b[i], c[i]
						return be.MatMul(p)
					})
					// Float32 sums of K products in another order.
					e.check("MatMul to "+out.String(), c, 1, 1e-6*k)
				}
			}
		})
	}
}

func TestHalfSoftmax(t *testing.T) {
	for _, dt := range halves {
		t.Run(dt.String(), func(t *testing.T) {
			e := newHalfEnv(t, dt)
			// 37 columns take a warp per row, 1100 a block.
			for _, cols := range []int{37, 1100} {
				rows := 3
				n := rows * cols
				x := e.in(e.uniform(n, -4, 4))
				dy := e.in(e.uniform(n, -1, 1))
				labels := make([]int32, rows)
				for r := range labels {
					labels[r] = int32(e.rng.IntN(cols))
				}
				l := e.ints(labels)
				for _, log := range []bool{false, true} {
					y := e.out(dt, n, nil)
					e.both(func(i int, b device.Backend) error { return b.Softmax(y[i], x[i], rows, cols, log) })
					e.check("Softmax", y, 2, 1e-7)
					// The backward pass reads the rounded forward output
					// on both sides.
					yv := read(t, e.be[0], y[0])
					yy := e.in(yv)
					dx := e.out(dt, n, nil)
					e.both(func(i int, b device.Backend) error {
						return b.SoftmaxBackward(dx[i], yy[i], dy[i], rows, cols, log)
					})
					e.check("SoftmaxBackward", dx, 2, 1e-5)
				}
				loss := e.out(dt, rows, nil)
				e.both(func(i int, b device.Backend) error { return b.CrossEntropy(loss[i], x[i], l[i], rows, cols, 0.1) })
				e.check("CrossEntropy", loss, 2, 1e-5)
				dl := e.in(e.uniform(rows, 0.5, 2))
				dx := e.out(dt, n, nil)
				e.both(func(i int, b device.Backend) error {
					return b.CrossEntropyBackward(dx[i], x[i], l[i], dl[i], rows, cols, 0.1)
				})
				e.check("CrossEntropyBackward", dx, 2, 1e-6)
			}
		})
	}
}

func TestHalfIndex(t *testing.T) {
	const outer, n, inner, k = 2, 7, 5, 4
	for _, dt := range halves {
		t.Run(dt.String(), func(t *testing.T) {
			e := newHalfEnv(t, dt)
			src := e.in(e.uniform(outer*n*inner, -2, 2))
			// Two of the k indices repeat: IndexAdd adds twice there.
			idx := e.ints([]int32{3, 0, 3, 6})
			d := e.out(dt, outer*k*inner, nil)
			e.both(func(i int, b device.Backend) error { return b.IndexSelect(d[i], src[i], idx[i], outer, n, inner, k) })
			e.check("IndexSelect", d, 0, 0)
			// Eighths in [-2, 2] keep every partial sum exact, in any order
			// of the atomic adds: the results must agree exactly.
			small := e.in(eighths(e, outer*k*inner))
			acc := e.out(dt, outer*n*inner, eighths(e, outer*n*inner))
			e.both(func(i int, b device.Backend) error { return b.IndexAdd(acc[i], small[i], idx[i], outer, n, inner, k) })
			e.check("IndexAdd", acc, 0, 0)
			gi := make([]int32, outer*k*inner)
			for i := range gi {
				gi[i] = int32(e.rng.IntN(n))
			}
			g := e.ints(gi)
			gd := e.out(dt, outer*k*inner, nil)
			e.both(func(i int, b device.Backend) error { return b.Gather(gd[i], src[i], g[i], outer, n, inner, k) })
			e.check("Gather", gd, 0, 0)
			sacc := e.out(dt, outer*n*inner, eighths(e, outer*n*inner))
			e.both(func(i int, b device.Backend) error { return b.ScatterAdd(sacc[i], small[i], g[i], outer, n, inner, k) })
			e.check("ScatterAdd", sacc, 0, 0)
		})
	}
}

// eighths draws n multiples of 1/8 in [-2, 2] (not all zero): sums of a
// few of them need at most 8 significant bits, so bfloat16 and float16
// hold every partial sum exactly.
func eighths(e *halfEnv, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(e.rng.IntN(33)-16) / 8
	}
	return v
}

func TestHalfConv(t *testing.T) {
	p := device.ConvParams{N: 2, C: 2, H: 7, W: 6, KH: 3, KW: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1}
	oh := (p.H+2*p.PadH-p.KH)/p.StrideH + 1
	ow := (p.W+2*p.PadW-p.KW)/p.StrideW + 1
	in := p.N * p.C * p.H * p.W
	cols := p.N * p.C * p.KH * p.KW * oh * ow
	outs := p.N * p.C * oh * ow
	for _, dt := range halves {
		t.Run(dt.String(), func(t *testing.T) {
			e := newHalfEnv(t, dt)
			x := e.in(e.uniform(in, -2, 2))
			col := e.out(dt, cols, nil)
			e.both(func(i int, b device.Backend) error { return b.Im2Col(col[i], x[i], p) })
			e.check("Im2Col", col, 0, 0)
			c := e.in(e.uniform(cols, -2, 2))
			im := e.out(dt, in, nil)
			e.both(func(i int, b device.Backend) error { return b.Col2Im(im[i], c[i], p) })
			e.check("Col2Im", im, 1, 1e-6)
			mp, idx := e.out(dt, outs, nil), e.out(device.Int32, outs, nil)
			e.both(func(i int, b device.Backend) error { return b.MaxPool(mp[i], idx[i], x[i], p) })
			e.check("MaxPool", mp, 0, 0)
			e.check("MaxPool idx", idx, 0, 0)
			dy := e.in(e.uniform(outs, -2, 2))
			dx := e.out(dt, in, nil)
			e.both(func(i int, b device.Backend) error { return b.MaxPoolBackward(dx[i], dy[i], idx[i], p) })
			e.check("MaxPoolBackward", dx, 1, 1e-6)
			ap := e.out(dt, outs, nil)
			e.both(func(i int, b device.Backend) error { return b.AvgPool(ap[i], x[i], p) })
			e.check("AvgPool", ap, 1, 1e-6)
			adx := e.out(dt, in, nil)
			e.both(func(i int, b device.Backend) error { return b.AvgPoolBackward(adx[i], dy[i], p) })
			e.check("AvgPoolBackward", adx, 1, 1e-6)
		})
	}
}

func TestHalfOptim(t *testing.T) {
	const n = 300
	for _, dt := range halves {
		t.Run(dt.String(), func(t *testing.T) {
			e := newHalfEnv(t, dt)
			g := e.in(e.uniform(n, -1, 1))
			for _, nesterov := range []bool{false, true} {
				p := e.in(e.uniform(n, -2, 2))
				mom := e.in(e.uniform(n, -0.5, 0.5))
				h := device.SGDParams{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01, Nesterov: nesterov}
				e.both(func(i int, b device.Backend) error { return b.SGD(p[i], g[i], mom[i], n, h) })
				e.check("SGD param", p, 1, 1e-6)
				e.check("SGD momentum", mom, 1, 1e-6)
			}
			for _, decoupled := range []bool{false, true} {
				p := e.in(e.uniform(n, -2, 2))
				m := e.in(e.uniform(n, -0.1, 0.1))
				v := e.in(e.uniform(n, 0.01, 0.1))
				h := device.AdamParams{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-3, WeightDecay: 0.01, Decoupled: decoupled, Step: 3}
				e.both(func(i int, b device.Backend) error { return b.Adam(p[i], g[i], m[i], v[i], n, h) })
				e.check("Adam param", p, 1, 1e-6)
				e.check("Adam m", m, 1, 1e-6)
				e.check("Adam v", v, 1, 1e-6)
			}
		})
	}
}

// TestHalfRand checks the half streams against PhiloxUniform and
// PhiloxNormal rounded to float32 and then to the half.
func TestHalfRand(t *testing.T) {
	b := device.MustOpen(device.CUDASimDevice)
	const n = 301
	for _, dt := range halves {
		for _, dist := range []device.Dist{device.Uniform, device.Normal} {
			x, err := b.Alloc(dt, n)
			if err != nil {
				t.Fatal(err)
			}
			const seed, offset = 77, 5
			if err := b.Rand(x, n, dist, seed, offset, -1, 2); err != nil {
				t.Fatal(err)
			}
			got := read(t, b, x)
			for i, g := range got {
				var w float64
				if dist == device.Uniform {
					w = -1 + 3*device.PhiloxUniform(seed, offset, i)
				} else {
					w = -1 + 2*device.PhiloxNormal(seed, offset, i)
				}
				want := roundTo(dt, float32(w))
				// The normal's log and cos are libdevice's in double on one
				// side and Go's on the other: one half unit apart at most.
				if g != want && math.Abs(float64(g-want)) > unit(dt)*math.Abs(float64(want)) {
					t.Errorf("%v %v [%d]: got %v, want %v", dt, dist, i, g, want)
				}
			}
		}
	}
}
