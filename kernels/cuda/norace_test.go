//go:build !race

package cuda_test

// raceEnabled is true under the race detector (see halfConformance).
const raceEnabled = false
