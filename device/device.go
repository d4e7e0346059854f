package device

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the family of a device.
type Kind uint8

// The device kinds tapegrad knows.
const (
	CPU     Kind = iota // the pure-Go reference backend
	CUDA                // an NVIDIA GPU through the CUDA driver API
	CUDASim             // the CUDA backend running its PTX on the cudasim simulator
)

// String returns the kind's name as it appears in device strings.
func (k Kind) String() string {
	switch k {
	case CPU:
		return "cpu"
	case CUDA:
		return "cuda"
	case CUDASim:
		return "cudasim"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Device identifies one device: a kind and, for CUDA, an ordinal.
// The zero value is the CPU.
type Device struct {
	Kind  Kind
	Index int
}

// Common devices.
var (
	CPUDevice     = Device{Kind: CPU}
	CUDASimDevice = Device{Kind: CUDASim}
)

// String formats d as Parse accepts it: "cpu", "cuda:0", "cudasim".
func (d Device) String() string {
	if d.Kind == CUDA {
		return "cuda:" + strconv.Itoa(d.Index)
	}
	return d.Kind.String()
}

// Parse reads a device string: "cpu", "cuda" (meaning "cuda:0"), "cuda:N"
// or "cudasim".
func Parse(s string) (Device, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	switch name {
	case "cpu":
		return CPUDevice, nil
	case "cudasim":
		return CUDASimDevice, nil
	case "cuda", "gpu":
		return Device{Kind: CUDA}, nil
	}
	if rest, ok := strings.CutPrefix(name, "cuda:"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return Device{}, fmt.Errorf("device: bad CUDA ordinal in %q: want cuda:N with N >= 0", s)
		}
		return Device{Kind: CUDA, Index: n}, nil
	}
	return Device{}, fmt.Errorf("device: unknown device %q: want cpu, cuda, cuda:N or cudasim", s)
}
