package main

import (
	"bytes"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/tapegrad/tapegrad/internal/atomicfile"
)

// Line colours of the curves: train blue, test orange.
var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	testColor  = color.RGBA{R: 255, G: 127, B: 14, A: 255}
)

// writePlot draws the loss curves (train and test) and the test accuracy
// by epoch side by side into a PNG at path.
func writePlot(path, model string, hist []epochRecord) error {
	train, test, acc := make(plotter.XYs, len(hist)), make(plotter.XYs, len(hist)), make(plotter.XYs, len(hist))
	for i, h := range hist {
		x := float64(h.Epoch)
		train[i] = plotter.XY{X: x, Y: h.TrainLoss}
		test[i] = plotter.XY{X: x, Y: h.TestLoss}
		acc[i] = plotter.XY{X: x, Y: 100 * h.TestAcc}
	}
	loss := newPanel(model+": cross-entropy", "loss")
	if err := addCurve(loss, "train", train, trainColor); err != nil {
		return err
	}
	if err := addCurve(loss, "test", test, testColor); err != nil {
		return err
	}
	accuracy := newPanel(model+": test accuracy", "accuracy (%)")
	if err := addCurve(accuracy, "test", acc, testColor); err != nil {
		return err
	}
	img := vgimg.New(10*vg.Inch, 4*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 2, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 4}
	canvases := plot.Align([][]*plot.Plot{{loss, accuracy}}, tiles, dc)
	loss.Draw(canvases[0][0])
	accuracy.Draw(canvases[0][1])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
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
	p.Legend.Top = true
	return p
}

// addCurve adds a line with point markers (a run of few epochs is a few
// points) to p.
func addCurve(p *plot.Plot, name string, xys plotter.XYs, c color.Color) error {
	if len(xys) == 0 {
		return nil
	}
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	line.Color, points.Color = c, c
	line.Width = vg.Points(1.5)
	p.Add(line, points)
	p.Legend.Add(name, line, points)
	return nil
}
