package main

import (
	"io"
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn/data"
)

// TestFashion trains one epoch on 3000 images and checks the test
// accuracy is far above chance (10%): 73% here.
func TestFashion(t *testing.T) {
	ds, err := data.LoadMNIST(data.DefaultDir())
	if err != nil {
		t.Skip("no Fashion-MNIST:", err)
	}
	acc := train(io.Discard, ds, device.CPUDevice, 1, 3000, 1)
	t.Logf("test accuracy %.2f%%", 100*acc)
	if acc < 0.65 {
		t.Fatalf("test accuracy %.2f%% after one epoch on 3000 images, want over 65%%", 100*acc)
	}
}
