package nn

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of Problem, for errors.Is on a *MismatchError.
var (
	// ErrMissing: an entry the model (or optimizer) needs is not there.
	ErrMissing = errors.New("missing")
	// ErrUnexpected: an entry that nothing in the model takes.
	ErrUnexpected = errors.New("unexpected")
	// ErrShape: an entry whose shape differs from its parameter's.
	ErrShape = errors.New("wrong shape")
	// ErrDType: an entry whose dtype differs from its parameter's.
	ErrDType = errors.New("wrong dtype")
)

// Problem is one entry of a checkpoint that does not fit what it is
// loaded into.
type Problem struct {
	Kind      error  // ErrMissing, ErrUnexpected, ErrShape or ErrDType
	Name      string // the entry's name, e.g. "fc1.weight"
	Want, Got string // expected and found shape or dtype, for ErrShape and ErrDType
}

// String formats the problem as `wrong shape "fc1.weight": want [256 784], got [10 784]`.
func (p Problem) String() string {
	s := fmt.Sprintf("%v %q", p.Kind, p.Name)
	if p.Want != "" || p.Got != "" {
		s += fmt.Sprintf(": want %s, got %s", p.Want, p.Got)
	}
	return s
}

// MismatchError lists every entry of a checkpoint that does not fit the
// model or optimizer it is loaded into. Nothing was loaded.
type MismatchError struct {
	File     string // the checkpoint's path; empty when loading from memory
	What     string // "model" or "optimizer state"
	Problems []Problem
}

// Error names the file and every problem.
func (e *MismatchError) Error() string {
	var b strings.Builder
	b.WriteString("nn: ")
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	fmt.Fprintf(&b, "%s does not match (%d problem", e.What, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("): ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Is reports whether any problem is of kind target, so
// errors.Is(err, nn.ErrShape) finds a shape mismatch among others.
func (e *MismatchError) Is(target error) bool {
	for _, p := range e.Problems {
		if p.Kind == target {
			return true
		}
	}
	return false
}
