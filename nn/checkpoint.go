package nn

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn/safetensors"
	"github.com/tapegrad/tapegrad/tensor"
)

// Checkpoint layout. A checkpoint is one safetensors file, so model and
// optimizer are replaced together by one atomic rename and can never
// disagree:
//
//   - the model's parameters and buffers under their own dotted names
//     ("fc1.weight", "bn.running_mean"), as a PyTorch state dict;
//   - the optimizer's state under OptimPrefix ("optim.fc1.weight.exp_avg"),
//     when one is saved;
//   - __metadata__: "format": "pt" (what PyTorch's save_file writes),
//     MetaOptimSteps when an optimizer is saved, and the caller's own
//     keys (epoch, step, generator offsets).
//
// PyTorch reads the file with safetensors.torch.load_file; the model's
// entries are those without the "optim." prefix, so a torch module whose
// parameters have the same names (fc1.weight [out, in], fc1.bias, ...)
// loads them strictly once the optimizer's entries are left out:
//
//	from safetensors.torch import load_file
//	state = {k: v for k, v in load_file("checkpoint.safetensors").items()
//	         if not k.startswith("optim.")}
//	model.load_state_dict(state, strict=True)
const (
	OptimPrefix    = "optim."
	MetaOptimSteps = "optim.steps"
	metaFormat     = "format"
)

// SaveCheckpoint writes m's parameters and buffers, opt's state (opt may
// be nil) and meta to path atomically (safetensors.WriteFile: a temporary
// file, fsync, rename), so a crash leaves the previous file intact.
func SaveCheckpoint(path string, m Module, opt Optimizer, meta map[string]string) error {
	f, err := checkpointFile(path, m, opt, meta)
	if err != nil {
		return err
	}
	if err := safetensors.WriteFile(path, f); err != nil {
		return fmt.Errorf("nn: save checkpoint: %w", err)
	}
	return nil
}

// WriteCheckpoint writes what SaveCheckpoint would to w: to memory, a
// network connection or an object store. Atomicity is then the caller's.
func WriteCheckpoint(w io.Writer, m Module, opt Optimizer, meta map[string]string) error {
	f, err := checkpointFile("checkpoint", m, opt, meta)
	if err != nil {
		return err
	}
	if err := safetensors.Encode(w, f); err != nil {
		return fmt.Errorf("nn: write checkpoint: %w", err)
	}
	return nil
}

// checkpointFile assembles the safetensors file of a checkpoint; name
// labels errors.
func checkpointFile(name string, m Module, opt Optimizer, meta map[string]string) (safetensors.File, error) {
	f := safetensors.File{Metadata: map[string]string{metaFormat: "pt"}}
	for k, v := range meta {
		if k == metaFormat || k == MetaOptimSteps {
			return f, fmt.Errorf("nn: save %s: metadata key %q is reserved", name, k)
		}
		f.Metadata[k] = v
	}
	for _, nt := range modelEntries(m) {
		if strings.HasPrefix(nt.Name, OptimPrefix) {
			return f, fmt.Errorf("nn: save %s: model entry %q uses the optimizer's prefix %q", name, nt.Name, OptimPrefix)
		}
		f.Tensors = append(f.Tensors, toSafetensors(nt.Name, nt.Tensor))
	}
	if opt != nil {
		s := opt.State()
		f.Metadata[MetaOptimSteps] = strconv.Itoa(s.Steps)
		for _, nt := range s.Tensors {
			f.Tensors = append(f.Tensors, toSafetensors(OptimPrefix+nt.Name, nt.Tensor))
		}
	}
	return f, nil
}

// LoadCheckpoint reads path into m and, when opt is not nil, opt, and
// returns the file's metadata. It checks everything first (the file's
// format, then every model entry's presence, shape and dtype, then the
// optimizer's entries) and changes nothing unless all of it fits: a bad
// file never half-loads a model. A malformed file gives a
// *safetensors.FormatError (errors.Is ErrTruncated, ErrCorrupt, ...); a
// file that does not fit gives a *MismatchError naming every problem.
// With opt nil, optimizer entries in the file are ignored; with opt set, a
// file without optimizer state is an error.
func LoadCheckpoint(path string, m Module, opt Optimizer) (map[string]string, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nn: load checkpoint: %w", err)
	}
	return applyCheckpoint(path, f, m, opt)
}

// ReadCheckpoint reads a checkpoint from r into m (and opt, when not nil)
// with LoadCheckpoint's checks and guarantees; name labels errors.
func ReadCheckpoint(r io.Reader, name string, m Module, opt Optimizer) (map[string]string, error) {
	f, err := safetensors.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("nn: read checkpoint %s: %w", name, err)
	}
	return applyCheckpoint(name, f, m, opt)
}

// applyCheckpoint checks f against m and opt and, when everything fits,
// copies it in.
func applyCheckpoint(path string, f safetensors.File, m Module, opt Optimizer) (map[string]string, error) {
	var model, optim []safetensors.Tensor
	for _, t := range f.Tensors {
		if strings.HasPrefix(t.Name, OptimPrefix) {
			optim = append(optim, t)
		} else {
			model = append(model, t)
		}
	}
	entries := modelEntries(m)
	values, problems := matchEntries(entries, model)
	if len(problems) > 0 {
		return nil, &MismatchError{File: path, What: "model", Problems: problems}
	}
	if opt != nil {
		if err := loadOptim(path, f.Metadata, optim, opt); err != nil {
			return nil, err
		}
	}
	for i, nt := range entries {
		nt.Tensor.Assign(values[i].To(nt.Tensor.Device()))
	}
	return f.Metadata, nil
}

// loadOptim decodes the optimizer's entries and hands them to
// opt.LoadState, which checks them all before changing anything.
func loadOptim(path string, meta map[string]string, ts []safetensors.Tensor, opt Optimizer) error {
	steps, ok := meta[MetaOptimSteps]
	if !ok {
		return fmt.Errorf("nn: %s: no optimizer state (no %q in the metadata); it holds weights only", path, MetaOptimSteps)
	}
	n, err := strconv.Atoi(steps)
	if err != nil || n < 0 {
		return fmt.Errorf("nn: %s: metadata %q = %q is not a step count", path, MetaOptimSteps, steps)
	}
	s := OptimState{Steps: n}
	for _, t := range ts {
		v, err := fromSafetensors(t)
		if err != nil {
			return &MismatchError{File: path, What: "optimizer state",
				Problems: []Problem{{Kind: ErrDType, Name: t.Name, Want: readable, Got: t.DType}}}
		}
		s.Tensors = append(s.Tensors, NamedTensor{strings.TrimPrefix(t.Name, OptimPrefix), v})
	}
	if err := opt.LoadState(s); err != nil {
		if me, ok := err.(*MismatchError); ok {
			me.File = path
			for i := range me.Problems {
				me.Problems[i].Name = OptimPrefix + me.Problems[i].Name
			}
		}
		return err
	}
	return nil
}

// modelEntries lists m's parameters, then its buffers.
func modelEntries(m Module) []NamedTensor {
	var out []NamedTensor
	for _, p := range m.Parameters() {
		out = append(out, NamedTensor{p.Name, p.Var.Value()})
	}
	return append(out, m.Buffers()...)
}

// matchEntries pairs the file's tensors with the model's entries by name
// and returns their values (on the CPU) in the entries' order, or every
// problem found.
func matchEntries(entries []NamedTensor, file []safetensors.Tensor) ([]*tensor.Tensor, []Problem) {
	var problems []Problem
	values := make([]*tensor.Tensor, len(entries))
	used := make([]bool, len(file))
	for i, e := range entries {
		j := slices.IndexFunc(file, func(t safetensors.Tensor) bool { return t.Name == e.Name })
		if j < 0 {
			problems = append(problems, Problem{Kind: ErrMissing, Name: e.Name})
			continue
		}
		used[j] = true
		t := file[j]
		want := stDType(e.Tensor.DType())
		switch {
		case !slices.Equal(t.Shape, e.Tensor.Shape()):
			problems = append(problems, Problem{Kind: ErrShape, Name: e.Name, Want: fmt.Sprint(e.Tensor.Shape()), Got: fmt.Sprint(t.Shape)})
		case t.DType != want:
			problems = append(problems, Problem{Kind: ErrDType, Name: e.Name, Want: want, Got: t.DType})
		default:
			v, err := fromSafetensors(t)
			if err != nil {
				problems = append(problems, Problem{Kind: ErrDType, Name: e.Name, Want: want, Got: t.DType})
				continue
			}
			values[i] = v
		}
	}
	for j, t := range file {
		if !used[j] {
			problems = append(problems, Problem{Kind: ErrUnexpected, Name: t.Name})
		}
	}
	return values, problems
}

// stDType returns the safetensors name of dt.
func stDType(dt device.DType) string {
	switch dt {
	case device.Float64:
		return safetensors.F64
	case device.Int32:
		return safetensors.I32
	case device.BFloat16:
		return safetensors.BF16
	case device.Float16:
		return safetensors.F16
	}
	return safetensors.F32
}

// toSafetensors copies t to host memory as a safetensors tensor.
func toSafetensors(name string, t *tensor.Tensor) safetensors.Tensor {
	switch t.DType() {
	case device.Float64:
		return safetensors.FromFloat64s(name, t.Shape(), t.Float64s())
	case device.Int32:
		return safetensors.FromInt32s(name, t.Shape(), t.Int32s())
	case device.BFloat16:
		return safetensors.FromBFloat16s(name, t.Shape(), bits(t.BF16s()))
	case device.Float16:
		return safetensors.FromFloat16s(name, t.Shape(), bits(t.F16s()))
	}
	return safetensors.FromFloat32s(name, t.Shape(), t.Float32s())
}

// bits returns the 16-bit patterns of half values, as safetensors takes
// them.
func bits[H device.BF16 | device.F16](v []H) []uint16 {
	out := make([]uint16, len(v))
	for i, x := range v {
		out[i] = uint16(x)
	}
	return out
}

// halves returns 16-bit patterns as half values of type H.
func halves[H device.BF16 | device.F16](v []uint16) []H {
	out := make([]H, len(v))
	for i, x := range v {
		out[i] = H(x)
	}
	return out
}

// readable lists the safetensors dtypes fromSafetensors decodes.
const readable = "F32, F64, I32, BF16 and F16"

// fromSafetensors decodes an F32, F64, I32, BF16 or F16 tensor into a CPU
// tensor (the half types bit for bit).
func fromSafetensors(t safetensors.Tensor) (*tensor.Tensor, error) {
	shape := t.Shape
	if shape == nil {
		shape = []int{}
	}
	switch t.DType {
	case safetensors.F32:
		v, err := safetensors.Float32s(t)
		if err != nil {
			return nil, err
		}
		return tensor.New(v, shape...), nil
	case safetensors.F64:
		v, err := safetensors.Float64s(t)
		if err != nil {
			return nil, err
		}
		return tensor.New(v, shape...), nil
	case safetensors.I32:
		v, err := safetensors.Int32s(t)
		if err != nil {
			return nil, err
		}
		return tensor.New(v, shape...), nil
	case safetensors.BF16:
		v, err := safetensors.BFloat16s(t)
		if err != nil {
			return nil, err
		}
		return tensor.New(halves[device.BF16](v), shape...), nil
	case safetensors.F16:
		v, err := safetensors.Float16s(t)
		if err != nil {
			return nil, err
		}
		return tensor.New(halves[device.F16](v), shape...), nil
	}
	return nil, &safetensors.FormatError{Tensor: t.Name, Kind: safetensors.ErrDType, Reason: "tapegrad reads " + readable + " only, not " + t.DType}
}
