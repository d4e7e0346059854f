// Package bench measures tapegrad's backends against each other and
// against PyTorch on the same machine.
//
// A Workload is data: what one run computes, its FLOP and byte formulas,
// whether compute or memory bounds it, and its sizes at three scales (Full
// for tables, Small for the slow cudasim, Tiny for tests). Workloads lists
// them all; `tapegrad bench`, the testing.B benchmarks in this package
// (BenchmarkGEMM/cpu/f32/n=512, ... for benchstat) and bench/torch/bench.py
// run the same list, so a row means the same thing on every device and in
// PyTorch (a test compares bench.py's table with this one).
//
// A Runner first runs each workload once on a target (device, dtype,
// scale) and compares its outputs with the CPU backend in float64 on the
// same inputs rounded to the target's dtype, so a fast but wrong backend
// shows up as a flagged error in the same row. It then times it: the
// repeat count per sample grows until a sample lasts Options.MinTime (the
// warm-up), then Count samples, each between two device synchronisations,
// give the median and minimum time per run, and Go's allocation counter
// the allocations per run. Ceilings measures each device's limits (a large
// copy's bandwidth, and device.FMAProber's peak FMA rate) so that every
// row shows its share of the relevant one.
//
// A Report (JSON, schema "tapegrad-bench/1") holds the results; a Table
// lines them up with a column group per device, ratio columns between
// devices and against a baseline Report, and draws the ratios as a PNG.
package bench
