package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/internal/atomicfile"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/data"
	"github.com/tapegrad/tapegrad/nn/safetensors"
	"github.com/tapegrad/tapegrad/tensor"
)

// fashionClasses are Fashion-MNIST's labels 0-9.
var fashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

const predictAbout = `Evaluates a checkpoint written by tapegrad train on the Fashion-MNIST
test split: overall and per-class accuracy, the most confused pairs, and
optionally the confusion matrix as a PNG. The model is rebuilt from the
settings the checkpoint records.`

// runPredict is `tapegrad predict`.
func runPredict(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	ckpt := fs.String("checkpoint", "", "checkpoint written by tapegrad train --save")
	dir := fs.String("data", "", "directory of the Fashion-MNIST files (default: $TAPEGRAD_DATA, else "+data.DefaultDir()+")")
	dev := fs.String("device", "", "device to evaluate on (default: $TAPEGRAD_DEVICE, else the first GPU, else cpu)")
	png := fs.String("png", "", "also draw the confusion matrix into this PNG")
	limit := fs.Int("limit", 0, "evaluate on only the first N test samples (0: all)")
	if help, err := parseFlags(fs, args, stdout, "tapegrad predict --checkpoint FILE [flags]", predictAbout); help || err != nil {
		return err
	}
	switch {
	case *ckpt == "":
		return usagef("--checkpoint is required")
	case *limit < 0:
		return usagef("--limit %d: want 0 or more", *limit)
	}
	if *png != "" {
		if err := atomicfile.CheckWritable(*png); err != nil {
			return fmt.Errorf("--png %s: %w", *png, err)
		}
	}
	d, err := parseDevice(*dev)
	if err != nil {
		return usagef("--device: %v", err)
	}
	meta, err := safetensors.ReadMetadata(*ckpt)
	if err != nil {
		return fmt.Errorf("--checkpoint: %w", err)
	}
	cfg := defaultTrainConfig()
	if err := json.Unmarshal([]byte(meta[metaConfig]), &cfg); err != nil {
		return fmt.Errorf("--checkpoint %s has no readable %s metadata (not written by tapegrad train?): %v", *ckpt, metaConfig, err)
	}
	if err := cfg.check(); err != nil {
		return fmt.Errorf("--checkpoint %s: metadata %s: %v", *ckpt, metaConfig, err)
	}
	model := buildModel(cfg.Model, nn.Config{Device: d, DType: device.Float32, RNG: tensor.NewRNG(0)}, cfg.Dropout, tensor.NewRNG(0))
	if _, err := nn.LoadCheckpoint(*ckpt, model, nil); err != nil {
		return err
	}
	model.Train(false)
	if *dir == "" {
		*dir = data.DefaultDir()
	}
	ds, err := data.LoadMNIST(*dir)
	if err != nil {
		return fmt.Errorf("%w (install Debian's dataset-fashion-mnist, or pass --data DIR)", err)
	}
	if err := checkData(ds, *dir, cfg); err != nil {
		return err
	}
	test := ds.Test
	if *limit > 0 {
		test = head(test, *limit)
	}
	loader, err := nn.NewLoader(test, nn.LoaderConfig{Batch: 1000, Device: d, Flat: cfg.Model == "mlp",
		Mean: data.FashionMNISTMean, Std: data.FashionMNISTStd})
	if err != nil {
		return err
	}
	conf := confusion(model, loader)
	printConfusion(stdout, *ckpt, conf)
	if *png != "" {
		if err := writeConfusionPNG(*png, conf); err != nil {
			return fmt.Errorf("--png %s: %w", *png, err)
		}
		fmt.Fprintf(stdout, "confusion matrix: %s\n", *png)
	}
	return nil
}

// confusion returns counts[true][predicted] of m on l, evaluated without
// recording.
func confusion(m nn.Module, l *nn.Loader) [][]int {
	counts := make([][]int, len(fashionClasses))
	for i := range counts {
		counts[i] = make([]int, len(fashionClasses))
	}
	for x, y := range l.Batches(0) {
		pred := m.Forward(autograd.NoGrad(autograd.Const(x))).Value().ArgMax(1, false).Int32s()
		for i, t := range y.Int32s() {
			counts[t][pred[i]]++
		}
	}
	return counts
}

// printConfusion writes overall and per-class accuracy and the three most
// frequent confusions.
func printConfusion(w io.Writer, name string, c [][]int) {
	total, right := 0, 0
	type pair struct{ t, p, n int }
	var worst []pair
	for t, row := range c {
		for p, n := range row {
			total += n
			if p == t {
				right += n
			} else if n > 0 {
				worst = append(worst, pair{t, p, n})
			}
		}
	}
	fmt.Fprintf(w, "%s: %d test samples, accuracy %s\n\n", name, total, formatPercent(float64(right)/float64(max(total, 1))))
	fmt.Fprintf(w, "%-12s %8s %8s\n", "class", "samples", "accuracy")
	for t, row := range c {
		n := 0
		for _, v := range row {
			n += v
		}
		fmt.Fprintf(w, "%-12s %8d %7.2f%%\n", fashionClasses[t], n, 100*float64(row[t])/float64(max(n, 1)))
	}
	// Most frequent confusions first; ties in class order, so the output
	// is the same every run.
	for i := 1; i < len(worst); i++ {
		for j := i; j > 0 && worst[j].n > worst[j-1].n; j-- {
			worst[j], worst[j-1] = worst[j-1], worst[j]
		}
	}
	if len(worst) > 0 {
		var parts []string
		for _, p := range worst[:min(3, len(worst))] {
			parts = append(parts, fmt.Sprintf("%s as %s (%d)", fashionClasses[p.t], fashionClasses[p.p], p.n))
		}
		fmt.Fprintf(w, "\nmost confused: %s\n", strings.Join(parts, ", "))
	}
}

// formatPercent formats a fraction as train's log lines do: 89.28%.
func formatPercent(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }

// confusionGrid shows a confusion matrix as a plotter.GridXYZ: columns
// are predictions, rows true classes (row 0 at the top), values the
// fraction of the true class.
type confusionGrid [][]int

func (g confusionGrid) Dims() (c, r int) { return len(g), len(g) }
func (g confusionGrid) X(c int) float64  { return float64(c) }
func (g confusionGrid) Y(r int) float64  { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 {
	row := g[len(g)-1-r]
	n := 0
	for _, v := range row {
		n += v
	}
	return float64(row[c]) / float64(max(n, 1))
}

// writeConfusionPNG draws the row-normalised confusion matrix.
func writeConfusionPNG(path string, c [][]int) error {
	p := plot.New()
	p.Title.Text = "confusion matrix (share of each true class)"
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "true"
	pal := moreland.SmoothBlueRed().Palette(64)
	h := plotter.NewHeatMap(confusionGrid(c), pal)
	h.Min, h.Max = 0, 1
	p.Add(h)
	names := make([]plot.Tick, len(fashionClasses))
	rows := make([]plot.Tick, len(fashionClasses))
	for i, n := range fashionClasses {
		names[i] = plot.Tick{Value: float64(i), Label: n}
		rows[i] = plot.Tick{Value: float64(len(fashionClasses) - 1 - i), Label: n}
	}
	p.X.Tick.Marker = plot.ConstantTicks(names)
	p.Y.Tick.Marker = plot.ConstantTicks(rows)
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign = -0.9
	var buf bytes.Buffer
	w, err := p.WriterTo(8*vg.Inch, 7*vg.Inch, "png")
	if err != nil {
		return err
	}
	if _, err := w.WriteTo(&buf); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}
