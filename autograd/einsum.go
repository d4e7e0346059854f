package autograd

import (
	"strings"
)

// Einsum evaluates a one- or two-operand Einstein summation such as
// "ij,jk->ik" (matmul), "bij,bjk->bik" (batched), "i,j->ij" (outer),
// "ij,ij->" (a dot of matrices), "bij->bj" (a sum), "ij->ji" (a
// transpose). Subscripts are ASCII letters; a letter may not repeat
// within an operand ("ii->i", a diagonal, is not supported), nor are
// ellipses. Letters of the output
// must appear in an operand; letters absent from the output are summed.
// Two operands are arranged as [batch, left, contracted] and
// [batch, contracted, right] and multiplied by one batched MatMul, so
// the VJP and JVP are MatMul's and the permutations'.
func Einsum(spec string, ops ...*Var) *Var {
	const op = "Einsum"
	lhs, out, ok := strings.Cut(strings.ReplaceAll(spec, " ", ""), "->")
	if !ok {
		panic(newError(op, "%q: want inputs->output, e.g. ij,jk->ik", spec))
	}
	for _, c := range lhs + out {
		if c != ',' && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			panic(newError(op, "%q: subscripts are ASCII letters, got %q", spec, c))
		}
	}
	for i, c := range out {
		if strings.ContainsRune(out[i+1:], c) {
			panic(newError(op, "%q: letter %c repeats in the output", spec, c))
		}
	}
	ins := strings.Split(lhs, ",")
	if len(ins) != len(ops) || len(ops) < 1 || len(ops) > 2 {
		panic(newError(op, "%q names %d operands, got %d (one or two are supported)", spec, len(ins), len(ops)))
	}
	size := map[rune]int{}
	for k, s := range ins {
		if len(s) != ops[k].Rank() {
			panic(withOperands(newError(op, "%q: operand %d has rank %d, subscripts %q", spec, k, ops[k].Rank(), s), ops[k].value))
		}
		seen := map[rune]bool{}
		for i, c := range s {
			if seen[c] {
				panic(newError(op, "%q: letter %c repeats within operand %d", spec, c, k))
			}
			seen[c] = true
			if n, had := size[c]; had && n != ops[k].Dim(i) {
				panic(withOperands(newError(op, "%q: letter %c is %d and %d long", spec, c, n, ops[k].Dim(i)), ops[0].value, ops[len(ops)-1].value))
			}
			size[c] = ops[k].Dim(i)
		}
	}
	for _, c := range out {
		if _, had := size[c]; !had {
			panic(newError(op, "%q: output letter %c is in no operand", spec, c))
		}
	}
	inOut := func(c rune) bool { return strings.ContainsRune(out, c) }
	// Letters of one operand that are neither in the other nor in the
	// output are summed out first.
	reduced := make([]*Var, len(ops))
	subs := make([]string, len(ops))
	for k, s := range ins {
		var axes []int
		keep := ""
		for i, c := range s {
			other := len(ins) == 2 && strings.ContainsRune(ins[1-k], c)
			if !inOut(c) && !other {
				axes = append(axes, i)
			} else {
				keep += string(c)
			}
		}
		reduced[k], subs[k] = ops[k], keep
		if len(axes) > 0 {
			reduced[k] = ops[k].Sum(false, axes...)
		}
	}
	if len(ops) == 1 {
		return permuteTo(reduced[0], subs[0], out).Contiguous() // a node of its own even for "ij->ij"
	}
	a, b := subs[0], subs[1]
	var batch, left, right, contract string
	for _, c := range a {
		switch {
		case strings.ContainsRune(b, c) && inOut(c):
			batch += string(c)
		case strings.ContainsRune(b, c):
			contract += string(c)
		default:
			left += string(c)
		}
	}
	for _, c := range b {
		if !strings.ContainsRune(a, c) {
			right += string(c)
		}
	}
	prod := func(letters string) int {
		n := 1
		for _, c := range letters {
			n *= size[c]
		}
		return n
	}
	am := permuteTo(reduced[0], a, batch+left+contract).Reshape(prod(batch), prod(left), prod(contract))
	bm := permuteTo(reduced[1], b, batch+contract+right).Reshape(prod(batch), prod(contract), prod(right))
	dims := []int{}
	for _, c := range batch + left + right {
		dims = append(dims, size[c])
	}
	return permuteTo(am.MatMul(bm).Reshape(dims...), batch+left+right, out)
}

// permuteTo reorders x, whose axes are named by from, to the order of to
// (the same letters); it is x itself when they agree.
func permuteTo(x *Var, from, to string) *Var {
	if from == to {
		return x
	}
	perm := make([]int, 0, len(to))
	for _, c := range to {
		perm = append(perm, strings.IndexRune(from, c))
	}
	return x.Permute(perm...)
}
