package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// fakeRun returns the history and steps of a run of epochs epochs of
// batches steps each, with random (seeded) figures.
func fakeRun(t *testing.T, epochs, batches int) ([]epochRecord, []stepRecord) {
	t.Helper()
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	var hist []epochRecord
	var steps []stepRecord
	for e := 1; e <= epochs; e++ {
		for b := 1; b <= batches; b++ {
			acc := rng.Float64()
			steps = append(steps, stepRecord{Epoch: e, Batch: b, Batches: batches, Step: len(steps) + 1,
				LR: 0.01 * rng.Float64(), Loss: 2 * rng.Float64(), Acc: &acc})
		}
		hist = append(hist, epochRecord{Epoch: e, Step: len(steps), LR: 0.01 * rng.Float64(), TrainLoss: rng.Float64(),
			TrainAcc: rng.Float64(), TestLoss: rng.Float64(), TestAcc: rng.Float64()})
	}
	return hist, steps
}

// pixels renders f and returns its image and the legend canvas's left
// edge in pixels.
func pixels(t *testing.T, f *figure, withLegend bool) (*image.RGBA, int) {
	t.Helper()
	c := f.render(withLegend)
	img, ok := c.Image().(*image.RGBA)
	require.True(t, ok)
	_, legend := f.layout(draw.New(vgimg.New(figWidth, figHeight)))
	return img, int(legend.Min.X.Dots(c.DPI()))
}

// The legend sits in a column of its own: drawing it changes no pixel of
// the panels, only pixels right of them, and its entries fit the image.
// For 1 and many epochs, with and without per-step records.
func TestPlotLegendCoversNoData(t *testing.T) {
	for _, c := range []struct{ epochs, batches int }{{1, 40}, {6, 25}, {3, 0}, {1, 0}} {
		t.Run(fmt.Sprintf("%d epochs %d steps", c.epochs, c.batches), func(t *testing.T) {
			hist, steps := fakeRun(t, c.epochs, c.batches)
			f, err := newFigure("mlp", newCurves(hist, steps))
			require.NoError(t, err)
			with, edge := pixels(t, f, true)
			without, _ := pixels(t, f, false)
			b := with.Bounds()
			require.Less(t, edge, b.Dx())
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < edge; x++ {
					require.Equal(t, without.RGBAAt(x, y), with.RGBAAt(x, y), "the legend drew on the panels at (%d, %d)", x, y)
				}
			}
			require.NotEqual(t, without.Pix, with.Pix, "no legend drawn")
			_, legend := f.layout(draw.New(vgimg.New(figWidth, figHeight)))
			require.LessOrEqual(t, legend.Min.X+f.legendW, figWidth, "legend wider than its column")
			require.GreaterOrEqual(t, legend.Max.Y-f.legendH, vg.Length(0), "legend taller than the image")
		})
	}
}

// countColor counts the pixels of img left of x1 that are exactly c.
func countColor(img *image.RGBA, x1 int, c [4]uint8) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < x1; x++ {
			p := img.RGBAAt(x, y)
			if [4]uint8{p.R, p.G, p.B, p.A} == c {
				n++
			}
		}
	}
	return n
}

// A one-epoch run draws its steps: a loss and an accuracy curve over the
// epoch's fraction, not just the single epoch point.
func TestPlotOneEpoch(t *testing.T) {
	hist, steps := fakeRun(t, 1, 30)
	c := newCurves(hist, steps)
	require.Len(t, c.stepLoss, 30)
	require.Len(t, c.stepAcc, 30)
	require.Len(t, c.stepLR, 30)
	for i, p := range c.stepLoss {
		require.InDelta(t, float64(i+1)/30, p.X, 1e-12)
		require.Equal(t, steps[i].Loss, p.Y)
		require.Equal(t, 100**steps[i].Acc, c.stepAcc[i].Y)
	}
	require.Equal(t, 1.0, c.trainLoss[0].X)
	require.Equal(t, 100*hist[0].TrainAcc, c.trainAcc[0].Y)

	f, err := newFigure("cnn", c)
	require.NoError(t, err)
	img, edge := pixels(t, f, false)
	// The per-step colour covers at least a line's worth of pixels
	// across two panels.
	s := trainStepColor
	require.Greater(t, countColor(img, edge, [4]uint8{s.R, s.G, s.B, s.A}), 500)
}

// Long runs are thinned to maxStepPoints means of consecutive steps; a
// non-finite step is left out rather than failing the plot.
func TestPlotThin(t *testing.T) {
	hist, steps := fakeRun(t, 4, 400)
	steps[7].Loss = math.NaN()
	c := newCurves(hist, steps)
	require.LessOrEqual(t, len(c.stepLoss), maxStepPoints)
	require.Greater(t, len(c.stepLoss), maxStepPoints/2)
	var sum, want float64
	for _, p := range c.stepLoss {
		sum += p.Y
	}
	for i, s := range steps {
		if i != 7 {
			want += s.Loss
		}
	}
	k := float64(len(steps)-1) / float64(len(c.stepLoss))
	require.InDelta(t, want/k, sum, want/k*0.01, "thinning keeps the curve's mass")
	for i := 1; i < len(c.stepLoss); i++ {
		require.Greater(t, c.stepLoss[i].X, c.stepLoss[i-1].X)
	}
}

// readSteps keeps the last record of a repeated step, skips a line cut
// short, and reads a missing file as no steps.
func TestReadSteps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "steps.jsonl")
	recs, err := readSteps(path)
	require.NoError(t, err)
	require.Empty(t, recs)
	lines := `{"epoch":1,"batch":1,"batches":3,"step":1,"lr":0.1,"loss":2}
{"epoch":1,"batch":2,"batches":3,"step":2,"lr":0.1,"loss":1.5}
{"epoch":1,"batch":2,"batches":3,"step":2,"lr":0.1,"loss":1.25}
{"epoch":1,"batch":3,"batches":3,"step":3,"lr":0.1,"loss":1}
{"epoch":1,"batch":3,"batc`
	require.NoError(t, os.WriteFile(path, []byte(lines), 0o644))
	recs, err = readSteps(path)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	require.Equal(t, 1.25, recs[1].Loss)
	require.Equal(t, 3, recs[2].Step)
}

// writePlot writes a PNG for a run with nothing to draw yet (stopped
// before its first step), one epoch and several.
func TestWritePlot(t *testing.T) {
	dir := t.TempDir()
	for i, c := range []struct{ epochs, batches int }{{0, 0}, {1, 5}, {5, 5}} {
		hist, steps := fakeRun(t, c.epochs, c.batches)
		path := filepath.Join(dir, fmt.Sprintf("curves%d.png", i))
		require.NoError(t, writePlot(path, "mlp", hist, steps))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, int(figWidth.Dots(vgimg.DefaultDPI)), img.Bounds().Dx())
	}
}
