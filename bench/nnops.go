package bench

import (
	"fmt"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// softmaxWorkloads: softmax forward+backward and the fused cross-entropy
// forward+backward, at the MLP's logits and at a wide classifier's.
func softmaxWorkloads() []Workload {
	return []Workload{
		{
			Group: "softmax", Name: "softmax/4096x1000", Bound: Memory,
			Doc: "y = softmax(x) along rows, then dx = y·(dy - Σ dy·y): FLOPs 9·R·C, Moved 5·R·C",
			Size: func(s Scale) Size {
				r, c := pick(s, 4096, 256, 5), pick(s, 1000, 250, 7)
				return Size{
					Shape: fmt.Sprintf("%dx%d", r, c), FLOPs: 9 * float64(r*c), Moved: 5 * float64(r*c),
					Setup: func(e *Env) Instance {
						x, dy := e.Normal(2, r, c), e.Normal(1, r, c)
						var y, dx *tensor.Tensor
						return Instance{
							Run: func() {
								replace(&y, func() *tensor.Tensor { return x.Softmax(1) })
								replace(&dx, func() *tensor.Tensor { return tensor.SoftmaxBackward(y, dy, 1, false) })
							},
							Outputs: outs(&y, &dx),
						}
					},
				}
			},
		},
		crossEntropy("xent/128x10", 128, 10),
		crossEntropy("xent/4096x1000", 4096, 1000),
	}
}

func crossEntropy(name string, rows, cols int) Workload {
	return Workload{
		Group: "softmax", Name: name, Bound: Memory,
		Doc: "fused loss[r] = -log softmax(x)[r, label[r]], then dx = dloss·(softmax(x) - onehot): FLOPs 8·R·C, Moved 2·R·C + 4·R",
		Size: func(s Scale) Size {
			d := pick(s, 1, 8, 64)
			r, c := max(rows/d, 3), max(cols/d, 5)
			return Size{
				Shape: fmt.Sprintf("%dx%d", r, c), FLOPs: 8 * float64(r*c), Moved: 2*float64(r*c) + 4*float64(r),
				Setup: func(e *Env) Instance {
					x, labels, dl := e.Normal(2, r, c), e.Labels(r, c), e.Normal(1, r)
					var loss, dx *tensor.Tensor
					return Instance{
						Run: func() {
							replace(&loss, func() *tensor.Tensor { return tensor.CrossEntropy(x, labels, 0) })
							replace(&dx, func() *tensor.Tensor { return tensor.CrossEntropyBackward(x, labels, dl, 0) })
						},
						Outputs: outs(&loss, &dx),
					}
				},
			}
		},
	}
}

// cnnConv is a convolution layer of the CNN: batch n, cin→cout channels,
// h×h input, 3×3 kernel, padding 1.
type cnnConv struct {
	name           string
	n, cin, cout   int
	h              int
	inputGradients bool // the first layer's input is data: no dx
	dilation       int  // 0 or 1: none; padding is the dilation, keeping h×h
}

// at returns the layer at scale s.
func (c cnnConv) at(s Scale) cnnConv {
	switch s {
	case Small:
		c.n = 4
	case Tiny:
		c.n, c.h = 2, 6
		c.cin, c.cout = min(c.cin, 3), min(c.cout, 4)
	}
	return c
}

// flops returns the multiply-adds ×2 of the forward product.
func (c cnnConv) flops() float64 { return 2 * float64(c.n*c.cout*c.cin*9*c.h*c.h) }

// convWorkloads: the CNN's two convolutions (as nn.Conv2d computes them:
// im2col and one product per batch) forward, and forward+backward, the
// second with dilation 2 (im2col reads the spread taps: the same FLOPs),
// and its first max pool.
func convWorkloads() []Workload {
	var ws []Workload
	for _, l := range []cnnConv{{"conv1", 64, 1, 32, 28, false, 0}, {"conv2", 64, 32, 64, 14, true, 0}, {"conv2-dil2", 64, 32, 64, 14, true, 2}} {
		backward := "dW"
		products := 2.0
		if l.inputGradients {
			backward, products = "dW and dx", 3
		}
		for _, bwd := range []bool{false, true} {
			name, doc, mult := l.name+"-fwd", "forward", 1.0
			if bwd {
				name, doc, mult = l.name+"-fwdbwd", "forward and backward ("+backward+")", products
			}
			window, dil := "3×3, padding 1", ""
			if l.dilation > 1 {
				window, dil = fmt.Sprintf("3×3, dilation %d, padding %d", l.dilation, l.dilation), fmt.Sprintf(" d%d", l.dilation)
			}
			ws = append(ws, Workload{
				Group: "conv", Name: name, Bound: Compute,
				Doc: "Conv2d " + window + ", over [N, Cin, H, W], " + doc +
					": FLOPs 2·N·Cout·Cin·9·H·W per product, Moved N·Cin·H·W + Cout·Cin·9 + N·Cout·H·W",
				Size: func(s Scale) Size {
					c := l.at(s)
					return Size{
						Shape: fmt.Sprintf("%dx%dx%dx%d * %dx%dx3x3%s", c.n, c.cin, c.h, c.h, c.cout, c.cin, dil),
						FLOPs: mult * c.flops(),
						Moved: float64(c.n*c.cin*c.h*c.h + c.cout*c.cin*9 + c.n*c.cout*c.h*c.h),
						Setup: func(e *Env) Instance { return convInstance(e, c, bwd) },
					}
				},
			})
		}
	}
	for _, bwd := range []bool{false, true} {
		name, doc, moved := "maxpool-fwd", "forward", 1.0+2.0/4
		if bwd {
			name, doc, moved = "maxpool-fwdbwd", "forward and backward", 1.0+2.0/4+3.0/4+1
		}
		ws = append(ws, Workload{
			Group: "conv", Name: name, Bound: Memory,
			Doc: "2×2 max pool, stride 2, of [N, C, H, W], " + doc + ": FLOPs N·C·H·W per pass, Moved " +
				"N·C·H·W·(1 + 2/4) forward (input, output, indices) and N·C·H·W·(3/4 + 1) backward",
			Size: func(s Scale) Size {
				n, c, h := pick(s, 64, 4, 2), pick(s, 32, 32, 3), pick(s, 28, 28, 6)
				passes := 1.0
				if bwd {
					passes = 2
				}
				return Size{
					Shape: fmt.Sprintf("%dx%dx%dx%d", n, c, h, h), FLOPs: passes * float64(n*c*h*h), Moved: moved * float64(n*c*h*h),
					Setup: func(e *Env) Instance {
						x := e.Normal(1, n, c, h, h)
						p := tensor.Conv2dGeometry("maxpool", x, 2, 2, 2, 0)
						dy := e.Normal(1, n, c, h/2, h/2)
						var y, idx, dx *tensor.Tensor
						if !bwd {
							return Instance{Run: func() { y, idx = tensor.MaxPool2d(x, p) }, Outputs: outs(&y)}
						}
						return Instance{
							Run:     func() { y, idx = tensor.MaxPool2d(x, p); dx = tensor.MaxPool2dBackward(dy, idx, p) },
							Outputs: outs(&y, &dx),
						}
					},
				}
			},
		})
	}
	return ws
}

// convInstance runs nn.Conv2d forward (without recording) or forward and
// backward with a random output gradient.
func convInstance(e *Env, c cnnConv, bwd bool) Instance {
	d := max(c.dilation, 1)
	layer := nn.NewConv2dWith(nn.Config{Device: e.Dev, DType: e.DType, RNG: tensor.NewRNG(1)}, nn.Conv2dConfig{In: c.cin, Out: c.cout,
		Kernel: [2]int{3, 3}, Padding: [2]int{d, d}, Dilation: [2]int{d, d}, Bias: true})
	e.Init(layer.Weight.Value(), layer.Bias.Value())
	x := e.Normal(1, c.n, c.cin, c.h, c.h)
	if !bwd {
		var y *tensor.Tensor
		return Instance{
			Run: func() {
				replace(&y, func() *tensor.Tensor { return layer.Forward(autograd.NoGrad(autograd.Const(x))).Value() })
			},
			Outputs: outs(&y),
		}
	}
	dy := autograd.Const(e.Normal(1, c.n, c.cout, c.h, c.h))
	xv := autograd.Const(x)
	if c.inputGradients {
		xv = autograd.Param(x)
	}
	var y, dw, db, dx *tensor.Tensor
	return Instance{
		// As a training step releases (TrainerOptions.ReleaseMemory): the
		// last run's output and gradients and this pass's intermediates go
		// back to the device's cache.
		Run: func() {
			if y != nil {
				y.Release()
			}
			for _, v := range []*autograd.Var{layer.Weight, layer.Bias, xv} {
				v.ReleaseGrad()
			}
			out := layer.Forward(xv)
			autograd.Backward([]*autograd.Var{out}, autograd.GradOptions{Seeds: []*autograd.Var{dy}, ReleaseValues: true})
			y, dw, db, dx = out.Value(), layer.Weight.Grad(), layer.Bias.Grad(), xv.Grad()
		},
		Outputs: func() []*tensor.Tensor {
			ts := []*tensor.Tensor{y, dw, db}
			if dx != nil {
				ts = append(ts, dx)
			}
			return ts
		},
	}
}

// mlpParams is the MLP's parameter count.
const mlpParams = 784*256 + 256 + 256*128 + 128 + 128*10 + 10

// optimWorkloads: one fused Adam step over the MLP's parameters.
func optimWorkloads() []Workload {
	return []Workload{{
		Group: "optim", Name: "adam-mlp", Bound: Memory,
		Doc: "one Adam step over the MLP's P parameters (six tensors): FLOPs 12·P, Moved 7·P (reads p, g, m, v; writes p, m, v)",
		Size: func(s Scale) Size {
			p := mlpParams
			if s != Full {
				p = 64*32 + 32 + 32*10 + 10
			}
			return Size{
				Shape: fmt.Sprintf("%d params", p), FLOPs: 12 * float64(p), Moved: 7 * float64(p),
				Setup: func(e *Env) Instance {
					m := mlp(e, s != Full)
					ps := m.Parameters()
					for _, p := range ps {
						p.Var.SetGrad(e.Normal(1, p.Var.Shape()...))
					}
					opt := nn.NewAdam(ps, nn.AdamDefaults(1e-3))
					return Instance{Run: opt.Step, Outputs: paramValues(ps)}
				},
			}
		},
	}}
}

// mlp returns the MLP (or, when small, a 64-32-10 one) with inputs from e.
func mlp(e *Env, small bool) nn.Module {
	c := nn.Config{Device: e.Dev, DType: e.DType, RNG: tensor.NewRNG(1)}
	var m nn.Module
	if small {
		m = nn.NewSequential(nn.NewLinear(c, 64, 32, true), nn.ReLU(), nn.NewLinear(c, 32, 10, true))
	} else {
		m = nn.FashionMLP(c, 0, nil)
	}
	for _, p := range m.Parameters() {
		e.Init(p.Var.Value())
	}
	return m
}

// paramValues returns the parameters' current values.
func paramValues(ps []nn.NamedParam) func() []*tensor.Tensor {
	return func() []*tensor.Tensor {
		ts := make([]*tensor.Tensor, len(ps))
		for i, p := range ps {
			ts[i] = p.Var.Value()
		}
		return ts
	}
}
