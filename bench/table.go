package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"

	"github.com/tapegrad/tapegrad/device"
)

// Row is one line of the table: a workload in a dtype, with its Result
// on each device of the report (nil where it did not run) and the
// baseline's result (nil without a baseline or a matching row).
type Row struct {
	Workload, DType string
	Cells           []*Result
	Base            *Result
}

// Table lines up a report's results: a row per workload and dtype, a
// column group per device, in the order they first appear.
type Table struct {
	Report   *Report
	Devices  []string
	Rows     []Row
	Baseline *Report
}

// NewTable builds the table of r, with a ratio column against base when
// base is not nil. A baseline row matches by workload and dtype, on the
// same device as r's first when the baseline has it, else on its first.
func NewTable(r *Report, base *Report) *Table {
	t := &Table{Report: r, Baseline: base}
	for _, res := range r.Results {
		if !slices.Contains(t.Devices, res.Device) {
			t.Devices = append(t.Devices, res.Device)
		}
	}
	for i := range r.Results {
		res := &r.Results[i]
		j := slices.IndexFunc(t.Rows, func(row Row) bool { return row.Workload == res.Workload && row.DType == res.DType })
		if j < 0 {
			t.Rows = append(t.Rows, Row{Workload: res.Workload, DType: res.DType, Cells: make([]*Result, len(t.Devices))})
			j = len(t.Rows) - 1
		}
		row := &t.Rows[j]
		for len(row.Cells) < len(t.Devices) {
			row.Cells = append(row.Cells, nil)
		}
		row.Cells[slices.Index(t.Devices, res.Device)] = res
	}
	if base != nil {
		for i := range t.Rows {
			t.Rows[i].Base = base.match(t.Rows[i].Workload, t.Rows[i].DType, t.Devices[0])
		}
	}
	return t
}

// match returns r's result for workload and dtype, on dev when r has it.
func (r *Report) match(workload, dtype, dev string) *Result {
	var first *Result
	for i := range r.Results {
		res := &r.Results[i]
		if res.Workload != workload || res.DType != dtype {
			continue
		}
		if res.Device == dev {
			return res
		}
		if first == nil {
			first = res
		}
	}
	return first
}

// BaseName is the baseline's column title: its library, or "base".
func (t *Table) BaseName() string {
	if t.Baseline == nil {
		return ""
	}
	if n := t.Baseline.Library.Name; n != "" && n != t.Report.Library.Name {
		return n
	}
	return "base"
}

// Ratio returns how many times slower res ran than against did, from
// their rates (FLOPs per second, so rows run at different scales still
// compare), or NaN when either is missing.
func Ratio(res, against *Result) float64 {
	if res == nil || against == nil || res.Err != "" || against.Err != "" ||
		res.MedianS <= 0 || against.MedianS <= 0 || res.FLOPs <= 0 || against.FLOPs <= 0 {
		return math.NaN()
	}
	return float64(against.FLOPs/against.MedianS) / float64(res.FLOPs/res.MedianS)
}

// Write prints the header and the table.
func (t *Table) Write(w io.Writer) error {
	r := t.Report
	fmt.Fprintf(w, "tapegrad bench, %s, %s (%d logical CPUs, %s/%s)\n", r.Date.UTC().Format("2006-01-02 15:04 MST"),
		r.Host.CPU, r.Host.Cores, r.Host.OS, r.Host.Arch)
	fmt.Fprintf(w, "%s; median and min of %d samples\n", libraryLine(r.Library), r.Count)
	writeCeilings(w, "", r.Ceilings)
	if b := t.Baseline; b != nil {
		fmt.Fprintf(w, "baseline %s: %s, %s\n", t.BaseName(), libraryLine(b.Library), b.Date.UTC().Format("2006-01-02 15:04 MST"))
		writeCeilings(w, t.BaseName()+" ", b.Ceilings)
	}
	io.WriteString(w, "rate: GFLOP/s for compute and overhead rows, GB/s (read+written) for memory rows; %pk: of the device's FMA or copy ceiling;\n")
	fmt.Fprintln(w, "err: max relative error against the CPU in float64 (! above the row's tolerance); x/y: how many times slower x ran than y")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"workload", "dt", "shape"}
	for _, d := range t.Devices {
		head = append(head, d+" median", "min", "rate", "%pk", "allocs", "err")
	}
	for _, d := range t.Devices[1:] {
		head = append(head, d+"/"+t.Devices[0])
	}
	if t.Baseline != nil {
		head = append(head, t.BaseName())
		for _, d := range t.Devices {
			head = append(head, d+"/"+t.BaseName())
		}
	}
	writeCells(tw, head)
	scaled := map[string]string{}
	for _, row := range t.Rows {
		cells := []string{row.Workload, dtypeSuffix(row.DType), rowShape(row)}
		for i, c := range row.Cells {
			cells = append(cells, resultCells(c)...)
			if c != nil && c.Scale != Full.String() {
				scaled[t.Devices[i]] = c.Scale
			}
		}
		for _, c := range row.Cells[1:] {
			cells = append(cells, formatRatio(Ratio(c, row.Cells[0])))
		}
		if t.Baseline != nil {
			cells = append(cells, medianCell(row.Base))
			for _, c := range row.Cells {
				cells = append(cells, formatRatio(Ratio(c, row.Base)))
			}
		}
		writeCells(tw, cells)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, d := range t.Devices {
		if s, ok := scaled[d]; ok {
			fmt.Fprintf(w, "%s ran at %s sizes (the JSON has each shape); its ratios compare rates, not times\n", d, s)
		}
	}
	for _, row := range t.Rows {
		for _, c := range append(slices.Clone(row.Cells), row.Base) {
			if c != nil && c.Err != "" {
				fmt.Fprintf(w, "%s on %s/%s: %s\n", c.Workload, c.Device, dtypeSuffix(c.DType), c.Err)
			}
		}
	}
	for _, m := range r.Memory {
		fmt.Fprintln(w, memoryLine(m))
	}
	return nil
}

// memoryLine describes a device's allocator statistics in one line.
func memoryLine(m DeviceMemory) string {
	const mib = 1 << 20
	line := fmt.Sprintf("memory %s: peak %.1f MiB live", m.Device, float64(m.PeakLive)/mib)
	if m.PeakReserved > 0 {
		line += fmt.Sprintf(", %.1f MiB reserved", float64(m.PeakReserved)/mib)
	}
	if m.Allocs > 0 {
		line += fmt.Sprintf("; %d allocations, %.1f%% from the cache, %d collections",
			m.Allocs, 100*float64(m.CacheHits)/float64(m.Allocs), m.Collections)
	}
	return line
}

// writeCells writes one tab-separated line; the first three columns are
// left-aligned by padding them to a fixed width.
func writeCells(w io.Writer, cells []string) {
	for i, c := range cells {
		if i < 3 {
			c = fmt.Sprintf("%-*s", []int{26, 3, 22}[i], c)
		}
		io.WriteString(w, c+"\t")
	}
	io.WriteString(w, "\n")
}

// rowShape is the shape of the row's first full-scale cell.
func rowShape(row Row) string {
	for _, c := range row.Cells {
		if c != nil && c.Scale == Full.String() {
			return c.Shape
		}
	}
	for _, c := range row.Cells {
		if c != nil {
			return c.Shape + " (" + c.Scale + ")"
		}
	}
	return ""
}

// resultCells are a device's six columns of a row.
func resultCells(r *Result) []string {
	switch {
	case r == nil:
		return []string{"-", "", "", "", "", ""}
	case r.Err != "":
		return []string{"error", "", "", "", "", ""}
	}
	pct := ""
	if r.CeilingPct > 0 {
		pct = fmt.Sprintf("%.0f%%", float64(r.CeilingPct))
	}
	return []string{formatSeconds(float64(r.MedianS)), formatSeconds(float64(r.MinS)), rate(*r), pct,
		formatAllocs(float64(r.AllocsPerOp)), fmt.Sprintf("%.0e%s", float64(r.MaxRelErr), wrongMark(*r))}
}

func medianCell(r *Result) string {
	if r == nil || r.Err != "" || r.MedianS <= 0 {
		return "-"
	}
	return formatSeconds(float64(r.MedianS))
}

// rate formats the row's throughput in the unit of its bound.
func rate(r Result) string {
	if r.Bound == Memory.String() {
		return fmt.Sprintf("%.1f GB/s", float64(r.GBps))
	}
	return fmt.Sprintf("%.2f GFLOP/s", float64(r.GFLOPs))
}

func wrongMark(r Result) string {
	if r.Wrong {
		return "!"
	}
	return ""
}

// formatSeconds prints s with three significant digits in s, ms, µs or ns.
func formatSeconds(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.3g s", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.3g ms", s*1e3)
	case s >= 1e-6:
		return fmt.Sprintf("%.3g µs", s*1e6)
	}
	return fmt.Sprintf("%.3g ns", s*1e9)
}

func formatAllocs(a float64) string {
	if a >= 100 {
		return fmt.Sprintf("%.0f", a)
	}
	return fmt.Sprintf("%.3g", a)
}

func formatRatio(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	if x >= 100 {
		return fmt.Sprintf("%.0fx", x)
	}
	return fmt.Sprintf("%.2fx", x)
}

// dtypeSuffix turns "float32" into "f32".
func dtypeSuffix(name string) string {
	for _, dt := range []device.DType{device.Float32, device.Float64, device.Int32} {
		if dt.String() == name {
			return dt.Suffix()
		}
	}
	return name
}

func libraryLine(l Library) string {
	s := l.Name
	if l.Version != "" {
		s += " " + l.Version
	}
	s += fmt.Sprintf(", %d threads", l.Threads)
	if l.BLAS != "" {
		s += "; " + l.BLAS
	}
	if l.Note != "" {
		s += " (" + l.Note + ")"
	}
	return s
}

// writeCeilings prints a line per device and dtype.
func writeCeilings(w io.Writer, prefix string, cs []Ceiling) {
	for _, c := range cs {
		line := fmt.Sprintf("%sceilings %s/%s: copy %.1f GB/s", prefix, c.Device, dtypeSuffix(c.DType), float64(c.CopyGBps))
		if c.FMAGFLOPs > 0 {
			line += fmt.Sprintf(", FMA %.1f GFLOP/s", float64(c.FMAGFLOPs))
		}
		if c.Note != "" {
			line += " (" + c.Note + ")"
		}
		fmt.Fprintln(w, line)
	}
}
