//go:build cuda

package cuda

import "embed"

// fatbinFiles are the modules the cuda build loads on a GPU: `make ptx`
// compiles each src/*.cu for sm_80 and sm_90 and keeps the compute_70 PTX
// beside them, so A100s and H100/H200s start without JIT compilation and
// other GPUs (compute capability 7.0 or newer) JIT-compile the PTX.
//
//go:embed fatbin/*.fatbin
var fatbinFiles embed.FS

var fatbinSource = moduleSource{fatbinFiles, "fatbin", ".fatbin"}
