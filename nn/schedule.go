package nn

import "math"

// Schedule gives the learning rate at step t, counted from 0. What a step
// is (an optimizer step or an epoch) is the caller's choice; the training
// loop calls Optimizer.SetLR(s.LR(t)) before each step.
type Schedule interface {
	LR(t int) float64
}

// Constant is a schedule that never changes the learning rate.
type Constant float64

// LR returns the constant.
func (c Constant) LR(int) float64 { return float64(c) }

// StepDecay multiplies Base by Gamma every Every steps, as PyTorch's
// StepLR: Base·Gamma^⌊t/Every⌋.
type StepDecay struct {
	Base  float64
	Every int
	Gamma float64
}

// LR returns the decayed rate at t.
func (s StepDecay) LR(t int) float64 {
	if s.Every <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, float64(t/s.Every))
}

// WarmupCosine ramps linearly from Base/Warmup up to Base over the first
// Warmup steps, then follows a half cosine from Base down to Min, reached
// at step Total and held after it.
type WarmupCosine struct {
	Base, Min     float64
	Warmup, Total int
}

// LR returns the rate at t.
func (s WarmupCosine) LR(t int) float64 {
	if t < s.Warmup {
		return s.Base * float64(t+1) / float64(s.Warmup)
	}
	span := s.Total - s.Warmup
	if span <= 0 {
		return s.Base
	}
	p := min(float64(t-s.Warmup)/float64(span), 1)
	return s.Min + (s.Base-s.Min)*(1+math.Cos(math.Pi*p))/2
}
