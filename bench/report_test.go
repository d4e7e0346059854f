package bench

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	return &Report{
		Schema: Schema, Date: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
		Host:    Host{CPU: "test CPU", Cores: 2, OS: "linux", Arch: "amd64"},
		Library: Library{Name: "tapegrad", Version: "abc", Threads: 2, BLAS: "gonum"},
		Count:   3,
		Ceilings: []Ceiling{
			{Device: "cpu", DType: "float32", CopyGBps: 12.5, FMAGFLOPs: 150},
			{Device: "cudasim", DType: "float32", CopyGBps: 1, Note: "measured at small sizes"},
		},
		Results: []Result{
			{Workload: "gemm/n=256", Device: "cpu", DType: "float32", Scale: "full", Shape: "256x256 @ 256x256",
				Bound: "compute", Iters: 4, Runs: 3, MedianS: 0.004, MinS: 0.0039, FLOPs: 2 * 256 * 256 * 256,
				Bytes: 3 * 4 * 256 * 256, GFLOPs: 8.4, GBps: 0.2, CeilingPct: 5.6, AllocsPerOp: 57, MaxAbsErr: 1e-5,
				MaxRelErr: 6e-7, Tol: 1e-3},
			{Workload: "gemm/n=256", Device: "cudasim", DType: "float32", Scale: "small", Shape: "32x32 @ 32x32",
				Bound: "compute", Iters: 1, Runs: 3, MedianS: 0.002, MinS: 0.002, FLOPs: 2 * 32 * 32 * 32,
				Bytes: 3 * 4 * 32 * 32, GFLOPs: 0.03, MaxAbsErr: Num(math.Inf(1)), MaxRelErr: Num(math.NaN()),
				Tol: 1e-3, Wrong: true},
			{Workload: "train/cnn-adam", Device: "cudasim", DType: "float32", Scale: "small", Err: "out of memory"},
		},
	}
}

// TestReportRoundTrip writes a report with NaN and Inf in it and reads it
// back unchanged.
func TestReportRoundTrip(t *testing.T) {
	r := sampleReport()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"max_rel_err": "NaN"`)) || !bytes.Contains(b, []byte(`"max_abs_err": "Inf"`)) {
		t.Errorf("NaN and Inf not written as strings:\n%s", b)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nan := &got.Results[1].MaxRelErr
	if !math.IsNaN(float64(*nan)) {
		t.Errorf("NaN read back as %v", *nan)
	}
	// NaN != NaN: clear it on both sides; the rest must be equal.
	r.Results[1].MaxRelErr, *nan = 0, 0
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", got, r)
	}
}

// TestReadFileErrors: a truncated file, another schema and a missing file
// each give an error naming the file.
func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	b, _ := sampleReport().JSON()
	for name, data := range map[string][]byte{
		"truncated.json": b[:len(b)/2],
		"schema.json":    bytes.Replace(b, []byte(Schema), []byte("other/2"), 1),
		"nonumber.json":  bytes.Replace(b, []byte(`"NaN"`), []byte(`"many"`), 1),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("reading a missing file gave no error")
	}
}

// TestTable lines up devices and a baseline, computes ratios from rates
// (the cudasim row ran at another size) and draws them.
func TestTable(t *testing.T) {
	r := sampleReport()
	base := sampleReport()
	base.Library.Name = "pytorch"
	base.Results = base.Results[:1]
	base.Results[0].MedianS = 0.001 // 4x faster than r's cpu row
	tab := NewTable(r, base)
	if !reflect.DeepEqual(tab.Devices, []string{"cpu", "cudasim"}) || len(tab.Rows) != 2 {
		t.Fatalf("devices %v, %d rows", tab.Devices, len(tab.Rows))
	}
	row := tab.Rows[0]
	if got := Ratio(row.Cells[0], row.Base); math.Abs(got-4) > 1e-12 {
		t.Errorf("cpu/pytorch = %g, want 4", got)
	}
	// cudasim: 65536 FLOPs in 2 ms, cpu: 2^25 FLOPs in 4 ms: 256x slower.
	if got := Ratio(row.Cells[1], row.Cells[0]); math.Abs(got-256) > 1e-9 {
		t.Errorf("cudasim/cpu = %g, want 256", got)
	}
	var out bytes.Buffer
	if err := tab.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cudasim/cpu", "cpu/pytorch", "4.00x", "256x", "6e-07", "NaN!", "error",
		"train/cnn-adam on cudasim/f32: out of memory", "cudasim ran at small sizes", "pytorch"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	b, err := tab.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() < 500 || img.Bounds().Dy() < 100 {
		t.Errorf("chart is %v", img.Bounds())
	}
	if _, err := NewTable(r, nil).PNG(); err != nil {
		t.Errorf("two devices make a ratio column, yet: %v", err)
	}
	r.Results = r.Results[:1]
	if _, err := NewTable(r, nil).PNG(); err == nil {
		t.Error("a chart of one device without a baseline gave no error")
	}
}
