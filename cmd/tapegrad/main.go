// Command tapegrad lists devices, checks gradients, trains small networks
// and benchmarks backends.
//
// Usage:
//
//	tapegrad devices
//	tapegrad gradcheck [--device cpu] [--seed N]
//	tapegrad train [--model mlp|cnn] [--epochs 10] [--device cuda:0] ...
//	tapegrad bench [--device cpu,cudasim] [--run REGEXP] [--json FILE] [--baseline FILE] [--png FILE]
//
// Run `tapegrad help` for every command and `tapegrad CMD -h` for its flags.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	_ "github.com/tapegrad/tapegrad/kernels/cuda"
)

type command struct {
	name, summary string
	run           func(args []string, stdout io.Writer) error
}

func commands() []command {
	return []command{
		{"devices", "list the devices this build can use", runDevices},
		{"gradcheck", "check every op's gradient against finite differences", runGradcheck},
		{"train", "train a Fashion-MNIST classifier (mlp or cnn)", runTrain},
		{"bench", "benchmark every workload on each device, against a baseline", runBench},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: tapegrad COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage(os.Stdout)
		return
	}
	for _, c := range commands() {
		if c.name == os.Args[1] {
			if err := c.run(os.Args[2:], os.Stdout); err != nil {
				fmt.Fprintln(os.Stderr, "tapegrad "+c.name+":", err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "tapegrad: unknown command %q\n", os.Args[1])
	usage(os.Stderr)
	os.Exit(2)
}

// parseDevice resolves a --device flag: empty means device.Default().
func parseDevice(s string) (device.Device, error) {
	if s == "" {
		return device.Default()
	}
	return device.Parse(s)
}
