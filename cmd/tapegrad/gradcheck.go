package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// runGradcheck checks every registered op's VJP against central
// differences, and its JVP against central differences and against the
// VJP, in float64 on one device, and prints a table.
func runGradcheck(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("gradcheck", flag.ContinueOnError)
	devFlag := fs.String("device", "", "device to check on (default: the best available)")
	var seed seedFlag
	fs.Var(&seed, "seed", "`N`, the seed of the random inputs (default: a fresh one, printed so a run can be replayed)")
	only := fs.String("op", "", "check only ops whose name contains this")
	second := fs.Bool("second-order", false, "also check the gradient of the gradient")
	if help, err := parseFlags(fs, args, w, "tapegrad gradcheck [flags]",
		"Checks every op's gradient (its VJP) against central differences, and its\nforward-mode derivative (its JVP) against central differences and against\nthe VJP, in float64 on one device, and prints a table; fails when any op does."); help || err != nil {
		return err
	}
	var cases []autograd.Case
	for _, c := range autograd.Cases() {
		if strings.Contains(strings.ToLower(c.Name), strings.ToLower(*only)) {
			cases = append(cases, c)
		}
	}
	if len(cases) == 0 {
		return usagef("--op %q: no op matches", *only)
	}
	if !seed.set {
		seed.v = uint64(time.Now().UnixNano())
	}
	dev, err := parseDevice(*devFlag)
	if err != nil {
		return err
	}
	if _, err := device.Open(dev); err != nil {
		return err
	}
	fmt.Fprintf(w, "gradcheck on %v, float64, seed %d\n", dev, seed.v)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "op\tshape\tmax abs err\tmax rel err\tjvp rel err\tjvp-vjp err\tpass")
	failed, ran := 0, 0
	for _, c := range cases {
		ran++
		inputs := c.Inputs(dev, device.Float64, seed.v)
		opts := c.Options
		opts.SecondOrder = opts.SecondOrder || *second
		var rep, fwd autograd.Report
		err := tensor.Try(func() {
			if rep, err = autograd.Check(c.F, inputs, opts); err != nil {
				return
			}
			opts.Forward = true
			fwd, err = autograd.Check(c.F, inputs, opts)
		})
		if err != nil {
			failed++
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\tERROR: %v\n", c.Name, shapes(inputs), err)
			continue
		}
		verdict := "pass"
		switch {
		case !rep.Pass && !fwd.Pass:
			verdict = "FAIL (vjp, jvp)"
		case !rep.Pass:
			verdict = "FAIL (vjp)"
		case !fwd.Pass:
			verdict = "FAIL (jvp)"
		}
		if verdict != "pass" {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2e\t%.2e\t%.2e\t%.2e\t%s\n", c.Name, shapes(inputs), rep.MaxAbsErr, rep.MaxRelErr, fwd.MaxRelErr, fwd.AdjointErr, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d of %d ops pass\n", ran-failed, ran)
	if failed > 0 {
		return fmt.Errorf("%d op(s) failed; rerun with --seed %d to replay", failed, seed.v)
	}
	return nil
}

// shapes formats the input shapes, e.g. "[2 3],[3]".
func shapes(ts []*tensor.Tensor) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = strings.ReplaceAll(fmt.Sprint(t.Shape()), " ", "x")
	}
	return strings.Join(parts, " ")
}

// seedFlag is a uint64 flag whose default, a fresh seed per run, is not
// a value to print in the usage text.
type seedFlag struct {
	v   uint64
	set bool
}

// String returns the seed once set; empty keeps flag from printing a
// default.
func (s *seedFlag) String() string {
	if s == nil || !s.set {
		return ""
	}
	return strconv.FormatUint(s.v, 10)
}

// Set parses a decimal seed.
func (s *seedFlag) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("want a seed in 0..%d", uint64(math.MaxUint64))
	}
	s.v, s.set = n, true
	return nil
}
