package bench

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// trainWorkloads: whole training steps (free the gradients, forward,
// cross-entropy, backward freeing the activations, optimizer step) of the two networks `tapegrad
// train` trains, on random images and labels.
func trainWorkloads() []Workload {
	const mlp, cnn = "MLP 784-256-128-10", "CNN conv32-pool-conv64-pool-fc128-fc10"
	ws := []Workload{
		trainStep("mlp-sgd", mlp+", SGD (lr 0.01, momentum 0.9)", false, "sgd", "fp32"),
		trainStep("mlp-adam", mlp+", Adam (lr 1e-3)", false, "adam", "fp32"),
		trainStep("cnn-adam", cnn+", Adam (lr 1e-3)", true, "adam", "fp32"),
	}
	// The Adam steps again at each mixed precision of `train --precision`.
	for _, p := range []string{"bf16", "fp16", "tf32"} {
		ws = append(ws,
			trainStep("mlp-adam-"+p, mlp+", Adam (lr 1e-3), "+precisionDoc[p], false, "adam", p),
			trainStep("cnn-adam-"+p, cnn+", Adam (lr 1e-3), "+precisionDoc[p], true, "adam", p))
	}
	return ws
}

// precisionDoc says what a precision row runs.
var precisionDoc = map[string]string{
	"bf16": "under bfloat16 autocast (products in bfloat16, float32 accumulation and weights)",
	"fp16": "under float16 autocast with a GradScaler (initial scale 1024)",
	"tf32": "float32 with TF32 products (rows only on devices with TF32: compute 8.0 and up)",
}

// precisionTol is the error a precision row may show against the
// float64 reference: the operands of every product are rounded to 8
// (bf16) or 11 (fp16, tf32) significant bits, and Adam's first step
// moves each weight by about lr·sign(gradient), so a small gradient
// rounded across zero moves its weight by 2·lr the other way (1e-2 to
// 2e-2 of the largest weight at tiny sizes on the CPU, in bf16 and fp16
// alike).
var precisionTol = map[string]float64{"fp32": 2e-3, "bf16": 5e-2, "fp16": 5e-2, "tf32": 5e-2}

// precisionSupported returns which targets run a precision's rows: float32
// ones (the precisions are float32 models' modes; float64 products are
// never rounded), with half kernels for bf16 and fp16, and with tensor
// cores' TF32 mode (compute capability 8.0 and up) for tf32, which other
// devices ignore.
func precisionSupported(p string) func(Target) bool {
	if p == "fp32" {
		return nil
	}
	return func(t Target) bool {
		if t.DType != device.Float32 {
			return false
		}
		be, err := device.Open(t.Dev)
		if err != nil {
			return false
		}
		if p == "tf32" {
			major, _, _ := strings.Cut(be.Info().Compute, ".")
			n, err := strconv.Atoi(major)
			return err == nil && n >= 8
		}
		h := device.BFloat16
		if p == "fp16" {
			h = device.Float16
		}
		// A product with a float32 result and a cast back: what autocast
		// asks of a device.
		return tensor.Try(func() {
			x := tensor.Full(t.Dev, device.Float32, 1.5, 2, 2).Cast(h)
			x.MatMulWith(x, tensor.MatMulOptions{Float32Out: true}).Cast(h).Cast(device.Float32).Float32s()
		}) == nil
	}
}

// trainStep is one training step at a precision of `train --precision`.
// FLOPs count the products: 2 per multiply-add in every forward product
// and in the backward ones (weight gradients everywhere, input gradients
// past the first layer); Moved counts the parameters four times
// (weights, gradients, optimizer update) and the input batch once.
func trainStep(name, what string, cnn bool, opt, precision string) Workload {
	return Workload{
		Group: "train", Name: name, Bound: Compute, Tol: precisionTol[precision],
		Supported: precisionSupported(precision),
		Doc:       what + ", one step: FLOPs 2·(multiply-adds of the forward and backward products), Moved 4·P + the batch",
		Size: func(s Scale) Size {
			batch := pick(s, 128, 16, 3)
			flops := mlpFLOPs(batch)
			params, in := mlpParams, 784
			shape := fmt.Sprintf("batch %d", batch)
			if cnn {
				batch = pick(s, 64, 4, 2)
				flops, params, in = cnnFLOPs(batch), cnnParams, 28*28
				shape = fmt.Sprintf("batch %dx1x28x28", batch)
			}
			return Size{
				Shape: shape, FLOPs: flops, Moved: 4*float64(params) + float64(batch*in),
				Setup: func(e *Env) Instance {
					c := nn.Config{Device: e.Dev, DType: e.DType, RNG: tensor.NewRNG(1)}
					var m nn.Module
					var x *tensor.Tensor
					if cnn {
						m, x = nn.FashionCNN(c, 0, nil), e.Normal(1, batch, 1, 28, 28)
					} else {
						m, x = nn.FashionMLP(c, 0, nil), e.Normal(1, batch, 784)
					}
					ps := m.Parameters()
					for _, p := range ps {
						e.Init(p.Var.Value())
					}
					labels := e.Labels(batch, 10)
					var o nn.Optimizer = nn.NewAdam(ps, nn.AdamDefaults(1e-3))
					if opt == "sgd" {
						o = nn.NewSGD(ps, device.SGDParams{LR: 0.01, Momentum: 0.9})
					}
					in := autograd.Const(x)
					var scaler *nn.GradScaler
					switch precision {
					case "bf16":
						in = autograd.Autocast(in, device.BFloat16)
					case "fp16":
						in = autograd.Autocast(in, device.Float16)
						scaler = nn.NewGradScaler(nn.GradScalerOptions{InitScale: 1024})
					case "tf32":
						in = autograd.AllowTF32(in, true)
					}
					var loss *tensor.Tensor
					values := paramValues(ps)
					return Instance{
						// As `tapegrad train` steps (TrainerOptions.ReleaseMemory):
						// the step's memory goes back to the device's cache.
						Run: func() {
							for _, p := range ps {
								p.Var.ReleaseGrad()
							}
							l := nn.CrossEntropy(m.Forward(in), labels, 0)
							g := autograd.GradOptions{ReleaseValues: true}
							if scaler != nil {
								g.Seeds = []*autograd.Var{scaler.Seed(l)}
							}
							autograd.Backward([]*autograd.Var{l}, g)
							if scaler == nil {
								o.Step()
							} else {
								scaler.Step(o)
								scaler.Update()
							}
							loss = l.Value()
						},
						Outputs: func() []*tensor.Tensor { return append([]*tensor.Tensor{loss}, values()...) },
					}
				},
			}
		},
	}
}

// cnnParams is the CNN's parameter count.
const cnnParams = 32*9 + 32 + 64*32*9 + 64 + 64*7*7*128 + 128 + 128*10 + 10

// mlpFLOPs: three products per layer but for the first layer's input
// gradient.
func mlpFLOPs(b int) float64 {
	fwd := 2 * float64(b) * (784*256 + 256*128 + 128*10)
	return 3*fwd - 2*float64(b)*784*256
}

// cnnFLOPs: the convolutions (im2col products) and the linear layers.
func cnnFLOPs(b int) float64 {
	conv1 := cnnConv{n: b, cin: 1, cout: 32, h: 28}.flops()
	conv2 := cnnConv{n: b, cin: 32, cout: 64, h: 14}.flops()
	fc := 2 * float64(b) * (64*7*7*128 + 128*10)
	return 2*conv1 + 3*conv2 + 3*fc
}

// overheadWorkloads: the cost of an op beyond its arithmetic.
func overheadWorkloads() []Workload {
	add := func(name, doc string, record bool) Workload {
		return Workload{
			Group: "overhead", Name: name, Bound: Overhead,
			Doc: doc + ": FLOPs 4, Moved 12",
			Size: func(Scale) Size {
				return Size{
					Shape: "4 + 4", FLOPs: 4, Moved: 12,
					Setup: func(e *Env) Instance {
						leaf := autograd.Const
						if record {
							leaf = autograd.Param
						}
						a, b := leaf(e.Normal(1, 4)), leaf(e.Normal(1, 4))
						var y *tensor.Tensor
						return Instance{Run: func() { y = a.Add(b).Value() }, Outputs: outs(&y)}
					},
				}
			},
		}
	}
	return []Workload{
		add("add4", "a + b of two 4-element Vars that record nothing (the dispatch cost of one op)", false),
		add("add4-grad", "a + b of two 4-element Params: the op and its record on the tape", true),
		{
			Group: "overhead", Name: "chain64", Bound: Overhead,
			Doc: "h = relu(h·W) four times from a 64x64 input, sum, backward to the four 64x64 weights: " +
				"FLOPs 2·64³·(4 forward + 4 weight-gradient + 3 input-gradient products), Moved 10·64²",
			Size: func(s Scale) Size {
				n := pick(s, 64, 64, 5)
				return Size{
					Shape: fmt.Sprintf("4 x %dx%d", n, n), FLOPs: 11 * 2 * float64(n*n*n), Moved: 10 * float64(n*n),
					Setup: func(e *Env) Instance {
						x := autograd.Const(e.Normal(1, n, n))
						ws := make([]*autograd.Var, 4)
						for i := range ws {
							ws[i] = autograd.Param(e.Normal(1/float64(n), n, n))
						}
						var loss *tensor.Tensor
						return Instance{
							Run: func() {
								autograd.ZeroGrad(ws...)
								h := x
								for _, w := range ws {
									h = h.MatMul(w).ReLU()
								}
								l := h.Sum(false)
								l.Backward()
								loss = l.Value()
							},
							Outputs: func() []*tensor.Tensor {
								ts := []*tensor.Tensor{loss}
								for _, w := range ws {
									ts = append(ts, w.Grad())
								}
								return ts
							},
						}
					},
				}
			},
		},
	}
}
