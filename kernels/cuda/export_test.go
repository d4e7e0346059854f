package cuda

import (
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// NewWithGridCap is New with 1-D launches capped at blocks blocks.
func NewWithGridCap(dev device.Device, drv driver.Driver, blocks int) *Backend {
	b := New(dev, drv)
	b.gridCap = blocks
	return b
}
