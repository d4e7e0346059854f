package tensor_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// requireNilError runs f and requires the *tensor.Error of a nil operand
// naming op, not a nil pointer dereference.
func requireNilError(t *testing.T, what string, f func()) {
	t.Helper()
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				if e, ok := r.(error); ok {
					err = e
				} else {
					err = fmt.Errorf("%v", r)
				}
			}
		}()
		f()
	}()
	var te *tensor.Error
	require.True(t, errors.As(err, &te), "%s: want a *tensor.Error, got %T: %v", what, err, err)
	require.Contains(t, te.Msg, "is a nil *Tensor", what)
}

// zeroArg is a harmless argument of type ty for the reflective calls.
func zeroArg(ty reflect.Type, valid *tensor.Tensor) reflect.Value {
	switch {
	case ty == reflect.TypeFor[*tensor.Tensor]():
		return reflect.ValueOf(valid)
	case ty == reflect.TypeFor[device.Device]():
		return reflect.ValueOf(cpu)
	case ty == reflect.TypeFor[[]int]():
		return reflect.ValueOf([]int{})
	}
	return reflect.Zero(ty)
}

// Every method of *Tensor given a nil receiver, and every one given a nil
// *Tensor argument, panics with a *tensor.Error naming the op and the
// operand instead of dereferencing nil.
func TestNilOperandMethods(t *testing.T) {
	valid := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	var null *tensor.Tensor
	ty := reflect.TypeOf(null)
	for i := range ty.NumMethod() {
		m := ty.Method(i)
		if m.Name == "String" {
			continue // fmt's contract: checked below
		}
		nin := m.Type.NumIn()
		call := func(recv *tensor.Tensor, nilArg int) {
			args := []reflect.Value{reflect.ValueOf(recv)}
			for j := 1; j < nin; j++ {
				a := zeroArg(m.Type.In(j), valid)
				if j == nilArg {
					a = reflect.Zero(m.Type.In(j))
				}
				args = append(args, a)
			}
			if m.Type.IsVariadic() {
				m.Func.CallSlice(args)
			} else {
				m.Func.Call(args)
			}
		}
		requireNilError(t, m.Name+" on a nil receiver", func() { call(nil, -1) })
		for j := 1; j < nin; j++ {
			if m.Type.In(j) == ty {
				requireNilError(t, fmt.Sprintf("%s with nil argument %d", m.Name, j), func() { call(valid, j) })
			}
		}
	}
	require.Equal(t, "<nil>", null.String())
}

// The package's functions do the same for each *Tensor operand.
func TestNilOperandFunctions(t *testing.T) {
	x := tensor.New([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
	i32 := tensor.New([]int32{0, 1})
	p := tensor.Conv2dGeometry("test", x, 1, 1, 1, 0)
	var n *tensor.Tensor
	cases := []struct {
		name string
		f    func()
	}{
		{"Conv2dGeometry", func() { tensor.Conv2dGeometry("Conv2d", n, 1, 1, 1, 0) }},
		{"Im2Col", func() { tensor.Im2Col(n, p) }},
		{"Col2Im", func() { tensor.Col2Im(n, p) }},
		{"MaxPool2d", func() { tensor.MaxPool2d(n, p) }},
		{"MaxPool2dBackward", func() { tensor.MaxPool2dBackward(x, n, p) }},
		{"MaxPool2dBackward dy", func() { tensor.MaxPool2dBackward(n, i32, p) }},
		{"AvgPool2d", func() { tensor.AvgPool2d(n, p) }},
		{"AvgPool2dBackward", func() { tensor.AvgPool2dBackward(n, p) }},
		{"Unary", func() { tensor.Unary(device.Exp, 0, n) }},
		{"Binary", func() { tensor.Binary(device.Add, 0, x, n) }},
		{"Where", func() { tensor.Where(x, x, n) }},
		{"Concat", func() { tensor.Concat(0, x, n) }},
		{"Stack", func() { tensor.Stack(0, n, x) }},
		{"OneHot", func() { tensor.OneHot(n, 3, device.Float32) }},
		{"SGDStep", func() { tensor.SGDStep(x, n, nil, device.SGDParams{LR: 1}) }},
		{"SGDStep param", func() { tensor.SGDStep(n, x, nil, device.SGDParams{LR: 1}) }},
		{"AdamStep", func() { tensor.AdamStep(x, x, x, n, device.AdamParams{LR: 1, Step: 1}) }},
		{"SoftmaxBackward", func() { tensor.SoftmaxBackward(x, n, 0, false) }},
		{"CrossEntropy", func() { tensor.CrossEntropy(n, i32, 0) }},
		{"CrossEntropy labels", func() { tensor.CrossEntropy(x, n, 0) }},
		{"CrossEntropyBackward", func() { tensor.CrossEntropyBackward(x, i32, n, 0) }},
	}
	for _, c := range cases {
		requireNilError(t, c.name, c.f)
	}
}
