package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/tapegrad/tapegrad/device"
)

// runDevices is `tapegrad devices`: each device this build links, or why
// it cannot be opened.
func runDevices(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	if help, err := parseFlags(fs, args, w, "tapegrad devices",
		"Lists every device this build can use (cpu, cuda:N, cudasim), and why\nany kind is unavailable; [default] marks the one commands use without\n--device ($TAPEGRAD_DEVICE, else the first GPU, else cpu)."); help || err != nil {
		return err
	}
	def, err := device.Default()
	if err != nil {
		return err
	}
	for _, k := range []device.Kind{device.CPU, device.CUDA, device.CUDASim} {
		n, err := device.Count(k)
		if err != nil {
			fmt.Fprintf(w, "%-8s unavailable: %v\n", k, err)
			continue
		}
		if n == 0 {
			fmt.Fprintf(w, "%-8s no devices found\n", k)
		}
		for i := 0; i < n; i++ {
			d := device.Device{Kind: k, Index: i}
			be, err := device.Open(d)
			if err != nil {
				fmt.Fprintf(w, "%-8s %v\n", d, err)
				continue
			}
			info := be.Info()
			line := fmt.Sprintf("%-8s %s", d, info.Name)
			if info.Compute != "" {
				line += ", compute " + info.Compute
			}
			if info.SMs > 0 {
				line += fmt.Sprintf(", %d SMs", info.SMs)
			}
			if info.TotalMemory > 0 {
				line += fmt.Sprintf(", %.1f GiB", float64(info.TotalMemory)/(1<<30))
			}
			if info.Note != "" {
				line += " (" + info.Note + ")"
			}
			if d == def {
				line += "  [default]"
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}
