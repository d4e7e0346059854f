package bench

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Series is one ratio column of the table: its title and a ratio per row
// (NaN where there is none).
type Series struct {
	Name   string
	Ratios []float64
}

// RatioSeries returns the table's ratio columns, in its order: each
// device against the first, then each device against the baseline.
func (t *Table) RatioSeries() []Series {
	var ss []Series
	add := func(name string, f func(Row) float64) {
		s := Series{Name: name, Ratios: make([]float64, len(t.Rows))}
		for i, row := range t.Rows {
			s.Ratios[i] = f(row)
		}
		ss = append(ss, s)
	}
	for i, d := range t.Devices[1:] {
		add(d+"/"+t.Devices[0], func(row Row) float64 { return Ratio(row.Cells[i+1], row.Cells[0]) })
	}
	if t.Baseline != nil {
		for i, d := range t.Devices {
			add(d+"/"+t.BaseName(), func(row Row) float64 { return Ratio(row.Cells[i], row.Base) })
		}
	}
	return ss
}

// palette colours the series.
var palette = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255},
	color.RGBA{R: 255, G: 127, B: 14, A: 255},
	color.RGBA{R: 44, G: 160, B: 44, A: 255},
	color.RGBA{R: 214, G: 39, B: 40, A: 255},
	color.RGBA{R: 148, G: 103, B: 189, A: 255},
}

// PNG draws the table's ratio columns as horizontal bars, one group per
// row, on a log scale (a bar right of 1 is that many times slower; left of
// it, faster). It is an error when the table has no ratio column.
func (t *Table) PNG() ([]byte, error) {
	ss := t.RatioSeries()
	if len(ss) == 0 {
		return nil, fmt.Errorf("no ratios to draw: name two devices or a --baseline")
	}
	// NominalY counts from the bottom: reverse the rows so the table's
	// first is on top.
	n := len(t.Rows)
	labels := make([]string, n)
	for i, row := range t.Rows {
		labels[n-1-i] = row.Workload + " " + dtypeSuffix(row.DType)
	}
	p := plot.New()
	p.Title.Text = "time ratios (log scale): " + t.Report.Date.UTC().Format("2006-01-02") + ", " + t.Report.Host.CPU
	p.X.Label.Text = "times slower (right of 1) or faster (left)"
	p.X.Tick.Marker = log10Ticks{}
	p.NominalY(labels...)
	p.Add(plotter.NewGrid())
	barWidth := vg.Points(10)
	lo, hi := 0.0, 0.0
	for k, s := range ss {
		vals := make(plotter.Values, n)
		for i, r := range s.Ratios {
			if r > 0 && !math.IsInf(r, 0) {
				vals[n-1-i] = math.Log10(r)
				lo, hi = min(lo, vals[n-1-i]), max(hi, vals[n-1-i])
			}
		}
		bars, err := plotter.NewBarChart(vals, barWidth)
		if err != nil {
			return nil, err
		}
		bars.Horizontal = true
		bars.Color = palette[k%len(palette)]
		bars.LineStyle.Width = 0
		bars.Offset = barWidth * vg.Length(float64(len(ss)-1)/2-float64(k))
		p.Add(bars)
		p.Legend.Add(s.Name, bars)
	}
	// Room right of the longest bar for the legend, in the top corner.
	p.X.Min, p.X.Max = math.Floor(lo), math.Ceil(hi+0.35*(hi-lo)+0.1)
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.Legend.Top = true
	rowHeight := barWidth*vg.Length(len(ss)) + vg.Points(6)
	img := vgimg.New(10*vg.Inch, vg.Length(n)*rowHeight+2*vg.Inch)
	// A margin: the label column's measured width falls a little short.
	p.Draw(draw.Crop(draw.New(img), vg.Points(12), -vg.Points(4), vg.Points(4), -vg.Points(4)))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// log10Ticks labels an axis of log10 values with the values themselves:
// a tick at every power of ten and minor ticks at 2 and 5 times them.
type log10Ticks struct{}

// Ticks returns the ticks between min and max.
func (log10Ticks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(min); e <= math.Ceil(max); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := e + math.Log10(m)
			if v < min || v > max {
				continue
			}
			label := ""
			if m == 1 {
				label = fmt.Sprintf("%gx", math.Pow(10, e))
			}
			ts = append(ts, plot.Tick{Value: v, Label: label})
		}
	}
	return ts
}
