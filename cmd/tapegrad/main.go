// Command tapegrad lists devices, checks gradients, trains small networks
// and benchmarks backends.
//
// Usage:
//
//	tapegrad devices
//	tapegrad gradcheck [--device cpu] [--seed N]
//	tapegrad train [--model mlp|cnn] [--epochs 10] [--device cuda:0] ...
//	tapegrad version
//	tapegrad bench [--device cpu,cudasim] [--run REGEXP] [--json FILE] [--baseline FILE] [--png FILE]
//
// Run `tapegrad help` for every command and `tapegrad CMD -h` for its flags.
//
// Every flag is checked before any work starts. The exit status is 0 on
// success (and for -h), 1 when a run fails, 2 for a bad command line, and
// 130 for a training run stopped by SIGINT or SIGTERM (after saving a
// checkpoint to resume from).
// An error is one line on stderr; an internal error (a panic) too, unless
// TAPEGRAD_TRACEBACK=1 is set, which adds the Go stack.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	_ "github.com/tapegrad/tapegrad/kernels/cuda"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // the run failed
	exitUsage  = 2 // a bad command line
	// exitInterrupted is the shell's status for a SIGINT death (128+2),
	// which a train run stopped by a signal returns after its checkpoint.
	exitInterrupted = 130
	tracebackEnv    = "TAPEGRAD_TRACEBACK"
)

// exitStatusDoc ends every usage text.
const exitStatusDoc = `Exit status: 0 on success (and for -h), 1 when the run fails, 2 for a bad
command line, 130 for a train run stopped by SIGINT or SIGTERM. Errors are one line on stderr; set TAPEGRAD_TRACEBACK=1 to
add the Go stack to an internal error.`

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
		{"predict", "evaluate a training checkpoint: accuracy per class, confusion matrix", runPredict},
		{"version", "print the version and commit of this build", runVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: tapegrad COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\n`tapegrad COMMAND -h` (or `tapegrad help COMMAND`) shows a command's flags.")
	fmt.Fprintln(w, "\n"+exitStatusDoc)
}

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// runMain is the whole command: it returns the exit status instead of
// exiting, so tests can call it.
func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		usage(stdout)
		return exitOK
	}
	name, rest := args[0], args[1:]
	if name == "help" {
		if len(rest) == 0 {
			usage(stdout)
			return exitOK
		}
		name, rest = rest[0], []string{"-h"}
	}
	for _, c := range commands() {
		if c.name == name {
			return runCommand(c, rest, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "tapegrad: unknown command %q (tapegrad -h lists them)\n", name)
	return exitUsage
}

// runCommand runs c and turns its error, or a panic escaping it, into one
// line on stderr and an exit status.
func runCommand(c command, args []string, stdout, stderr io.Writer) (status int) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if os.Getenv(tracebackEnv) == "1" {
			fmt.Fprintf(stderr, "tapegrad %s: internal error: %s\n%s", c.name, oneLine(fmt.Sprint(r)), debug.Stack())
		} else {
			fmt.Fprintf(stderr, "tapegrad %s: internal error: %s (a bug: %s=1 shows the stack)\n", c.name, oneLine(fmt.Sprint(r)), tracebackEnv)
		}
		status = exitFailed
	}()
	err := c.run(args, stdout)
	if err == nil {
		return exitOK
	}
	var ie *interruptedError
	if errors.As(err, &ie) {
		fmt.Fprintf(stderr, "tapegrad %s: %s\n", c.name, oneLine(err.Error()))
		return exitInterrupted
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "tapegrad %s: %s (tapegrad %s -h for usage)\n", c.name, oneLine(err.Error()), c.name)
		return exitUsage
	}
	fmt.Fprintf(stderr, "tapegrad %s: %s\n", c.name, oneLine(err.Error()))
	return exitFailed
}

// oneLine joins the lines of a message with "; ".
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}

// usageError is a bad command line: a flag's value, an unknown flag, an
// argument too many. It gives exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// interruptedError is a run stopped by a signal after saving what it
// needs to resume. It gives exit status 130.
type interruptedError struct{ msg string }

func (e *interruptedError) Error() string { return e.msg }

// usagef returns a *usageError.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// parseFlags parses args into fs, which takes no positional arguments.
// For -h or --help it prints the usage (synopsis, about, the flags and the
// exit statuses) to stdout and returns help true; a bad flag or argument
// is a *usageError.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer, synopsis, about string) (help bool, err error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "usage: %s\n\n%s\n", synopsis, about)
		if hasFlags(fs) {
			fmt.Fprintln(stdout, "\nflags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
		fmt.Fprintln(stdout, "\n"+exitStatusDoc)
		return true, nil
	} else if err != nil {
		return false, &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return false, usagef("unexpected argument %q", fs.Arg(0))
	}
	return false, nil
}

// hasFlags reports whether fs defines any flag.
func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseDevice resolves a --device flag: empty means device.Default().
func parseDevice(s string) (device.Device, error) {
	if s == "" {
		return device.Default()
	}
	d, err := device.Parse(s)
	if err != nil {
		return d, &usageError{"--device: " + err.Error()}
	}
	return d, nil
}
