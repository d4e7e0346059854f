//go:build race

package cpu

// raceEnabled is true under the race detector: the float32 sweeps then
// take the -short density (see f32Sweep).
const raceEnabled = true
