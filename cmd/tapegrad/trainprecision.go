package main

import (
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
)

// precisions are the values of --precision.
var precisions = []string{"fp32", "tf32", "bf16", "fp16"}

// setPrecision sets the trainer options of a --precision: TF32 products,
// or an autocast dtype and, for fp16, a loss scaler with PyTorch's
// defaults (bfloat16 has float32's range and needs none).
func setPrecision(o *nn.TrainerOptions, p string) {
	switch p {
	case "tf32":
		o.TF32 = true
	case "bf16":
		o.Autocast = device.BFloat16
	case "fp16":
		o.Autocast, o.Scaler = device.Float16, nn.NewGradScaler(nn.GradScalerOptions{})
	}
}

// precisionString describes a --precision for the run header.
func precisionString(p string) string {
	switch p {
	case "tf32":
		return "tf32 (float32 with TF32 products)"
	case "bf16":
		return "bf16 (bfloat16 autocast, float32 weights)"
	case "fp16":
		return "fp16 (float16 autocast, float32 weights, loss scaling)"
	}
	return "fp32"
}
