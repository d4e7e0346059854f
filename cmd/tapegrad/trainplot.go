package main

import (
	"bytes"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/tapegrad/tapegrad/internal/atomicfile"
)

// Line colours: train blue (its per-step curve a paler blue), test
// orange, learning rate green.
var (
	trainColor     = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	trainStepColor = color.RGBA{R: 158, G: 202, B: 225, A: 255}
	testColor      = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	lrColor        = color.RGBA{R: 44, G: 160, B: 44, A: 255}
)

// Size of curves.png, and the gap around the legend's column.
const (
	figWidth  = 13 * vg.Inch
	figHeight = 4 * vg.Inch
	figGap    = vg.Inch / 8
)

// maxStepPoints bounds a per-step curve: a longer run is drawn as means
// of consecutive steps, which also calms single batches' noise.
const maxStepPoints = 600

// curves are the series of a run: by epoch from log.json, by step from
// steps.jsonl. X is in epochs: epoch e's figures sit at x = e, step b of
// B in epoch e at e-1 + b/B, so a one-epoch run still has a curve.
type curves struct {
	trainLoss, testLoss, trainAcc, testAcc, epochLR plotter.XYs
	stepLoss, stepAcc, stepLR                       plotter.XYs
}

// newCurves collects the series, leaving out points that are not finite
// (a diverged step), and thins the per-step ones to maxStepPoints.
func newCurves(hist []epochRecord, steps []stepRecord) curves {
	var c curves
	for _, h := range hist {
		x := float64(h.Epoch)
		add(&c.trainLoss, x, h.TrainLoss)
		add(&c.testLoss, x, h.TestLoss)
		add(&c.trainAcc, x, 100*h.TrainAcc)
		add(&c.testAcc, x, 100*h.TestAcc)
		add(&c.epochLR, x, h.LR)
	}
	for _, s := range steps {
		x := float64(s.Epoch-1) + float64(s.Batch)/float64(max(s.Batches, s.Batch, 1))
		add(&c.stepLoss, x, s.Loss)
		add(&c.stepLR, x, s.LR)
		if s.Acc != nil {
			add(&c.stepAcc, x, 100**s.Acc)
		}
	}
	c.stepLoss, c.stepAcc, c.stepLR = thin(c.stepLoss), thin(c.stepAcc), thin(c.stepLR)
	return c
}

func add(xys *plotter.XYs, x, y float64) {
	if !math.IsNaN(y) && !math.IsInf(y, 0) {
		*xys = append(*xys, plotter.XY{X: x, Y: y})
	}
}

// thin replaces runs of consecutive points by their mean so that at most
// maxStepPoints remain.
func thin(xys plotter.XYs) plotter.XYs {
	k := (len(xys) + maxStepPoints - 1) / maxStepPoints
	if k <= 1 {
		return xys
	}
	out := make(plotter.XYs, 0, maxStepPoints)
	for i := 0; i < len(xys); i += k {
		run := xys[i:min(i+k, len(xys))]
		var m plotter.XY
		for _, p := range run {
			m.X += p.X
			m.Y += p.Y
		}
		out = append(out, plotter.XY{X: m.X / float64(len(run)), Y: m.Y / float64(len(run))})
	}
	return out
}

// figure is curves.png: loss, accuracy and learning rate side by side,
// and one legend for all three in a column of its own to their right,
// so that it never covers a curve. The colours mean the same in every
// panel.
type figure struct {
	panels []*plot.Plot
	legend plot.Legend
	// Size of the legend's entries, for its column.
	legendW, legendH vg.Length
}

// newFigure lays the curves out into panels and the legend.
func newFigure(model string, c curves) (*figure, error) {
	f := &figure{legend: plot.NewLegend()}
	f.legend.Top, f.legend.Left = true, true
	loss := newPanel(model+": cross-entropy", "loss")
	acc := newPanel(model+": accuracy", "accuracy (%)")
	rate := newPanel(model+": learning rate", "learning rate")
	f.panels = []*plot.Plot{loss, acc, rate}
	f.legend.Padding = vg.Points(3)

	// The legend names each kind of curve once, with the first of them
	// as its sample.
	kinds := []struct {
		name   string
		col    color.Color
		marks  bool
		series []seriesIn
	}{
		{"train, per step", trainStepColor, false, []seriesIn{{loss, c.stepLoss}, {acc, c.stepAcc}}},
		{"train, epoch mean", trainColor, true, []seriesIn{{loss, c.trainLoss}, {acc, c.trainAcc}}},
		{"test", testColor, true, []seriesIn{{loss, c.testLoss}, {acc, c.testAcc}}},
		{"learning rate", lrColor, len(c.stepLR) == 0, []seriesIn{{rate, lrOf(c)}}},
	}
	for _, k := range kinds {
		var sample []plot.Thumbnailer
		for _, s := range k.series {
			th, err := addCurve(s.p, s.xys, k.col, k.marks)
			if err != nil {
				return nil, err
			}
			if sample == nil {
				sample = th
			}
		}
		if sample != nil {
			f.legend.Add(k.name, sample...)
			f.legendW = max(f.legendW, f.legend.ThumbnailWidth+f.legend.TextStyle.Width(" "+k.name))
			f.legendH += f.legend.TextStyle.Height(k.name)
		}
	}
	// Every panel spans the run from its start, so they line up (a
	// panel without data keeps gonum's default range).
	for _, p := range f.panels {
		if p.X.Max > 0 {
			p.X.Min = 0
		}
	}
	return f, nil
}

// seriesIn is a series and the panel it goes in.
type seriesIn struct {
	p   *plot.Plot
	xys plotter.XYs
}

// lrOf returns the learning rate by step, or by epoch when no steps were
// logged.
func lrOf(c curves) plotter.XYs {
	if len(c.stepLR) > 0 {
		return c.stepLR
	}
	return c.epochLR
}

// layout returns the canvases of the panels and of the legend within dc:
// the legend's column is as wide as its entries, and the panels share
// what is left.
func (f *figure) layout(dc draw.Canvas) (panels []draw.Canvas, legend draw.Canvas) {
	col := f.legendW + 2*figGap
	area := draw.Crop(dc, 0, -col, 0, 0)
	tiles := draw.Tiles{Rows: 1, Cols: len(f.panels), PadX: vg.Inch / 2, PadTop: figGap, PadBottom: figGap, PadLeft: figGap}
	canvases := plot.Align([][]*plot.Plot{f.panels}, tiles, area)
	// The legend starts level with the panels' data, below their titles.
	top := canvases[0][0].Max.Y - figGap - f.panels[0].Title.TextStyle.Height(f.panels[0].Title.Text)
	legend = draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: area.Max.X + figGap, Y: dc.Min.Y},
		Max: vg.Point{X: dc.Max.X - figGap, Y: top},
	}}
	return canvases[0], legend
}

// draw draws the figure into dc; withLegend false leaves the legend out
// (the test compares the two).
func (f *figure) draw(dc draw.Canvas, withLegend bool) {
	panels, legend := f.layout(dc)
	for i, p := range f.panels {
		p.Draw(panels[i])
	}
	if withLegend {
		f.legend.Draw(legend)
	}
}

// render draws the figure into a figWidth×figHeight image.
func (f *figure) render(withLegend bool) *vgimg.Canvas {
	img := vgimg.New(figWidth, figHeight)
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	f.draw(dc, withLegend)
	return img
}

// writePlot draws the run's loss, accuracy (train and test) and learning
// rate into a PNG at path: by epoch from hist, by step from steps.
func writePlot(path, model string, hist []epochRecord, steps []stepRecord) error {
	f, err := newFigure(model, newCurves(hist, steps))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: f.render(true)}).WriteTo(&buf); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}

func newPanel(title, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

// addCurve adds xys to p as a line, with point markers when marks or
// when there is a single point (a run of few epochs is a few points), and
// returns what the legend shows for it; nothing when xys is empty.
func addCurve(p *plot.Plot, xys plotter.XYs, c color.Color, marks bool) ([]plot.Thumbnailer, error) {
	if len(xys) == 0 {
		return nil, nil
	}
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, err
	}
	line.Color, points.Color = c, c
	line.Width = vg.Points(1.5)
	if !marks && len(xys) > 1 {
		p.Add(line)
		return []plot.Thumbnailer{line}, nil
	}
	p.Add(line, points)
	return []plot.Thumbnailer{line, points}, nil
}
