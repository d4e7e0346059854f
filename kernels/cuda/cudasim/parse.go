package cudasim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Parser limits keep hostile or corrupt PTX from allocating without bound.
const (
	maxArrayBytes = 1 << 28 // one variable
	maxRegsPerDec = 1 << 16 // one %r<N> declaration
	maxNesting    = 64      // { } scopes in a body
)

// parser is a recursive-descent parser over the token slice.
type parser struct {
	toks   []token
	pos    int
	mod    *module
	fn     *function
	scopes []map[string]string // nested { } scopes: declared name -> unique name
	nscope int
	loc    srcLoc // the last .loc of the current function, line 0 for none
}

// errAt is the panic value parse helpers use to unwind; parse recovers it
// and turns it into a *ParseError, so helpers need no error plumbing.
type errAt struct {
	line int
	msg  string
}

func (p *parser) failf(format string, args ...any) {
	panic(errAt{p.peek().line, fmt.Sprintf(format, args...)})
}

// parse parses a whole module. Any malformed input yields a *ParseError.
func parse(name, src string) (m *module, err error) {
	toks, lerr := tokenize(src)
	if lerr != nil {
		lerr.Module = name
		return nil, lerr
	}
	p := &parser{toks: toks, mod: &module{name: name, lines: strings.Split(src, "\n")}}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(errAt)
			if !ok {
				// A parser bug must still give an error, not crash the host.
				e = errAt{p.peek().line, fmt.Sprintf("internal parser error: %v", r)}
			}
			m, err = nil, &ParseError{Module: name, Line: e.line, Msg: e.msg}
		}
	}()
	p.module()
	return p.mod, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) advance() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

func (p *parser) accept(s string) bool {
	if p.isPunct(s) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(s string) {
	if !p.accept(s) {
		p.failf("expected %q, found %q", s, p.peek().text)
	}
}

func (p *parser) ident() string {
	t := p.advance()
	if t.kind != tokIdent {
		p.pos--
		p.failf("expected a name, found %q", t.text)
	}
	return t.text
}

func (p *parser) intLit() int64 {
	neg := p.accept("-")
	t := p.advance()
	if t.kind != tokNumber {
		p.pos--
		p.failf("expected an integer, found %q", t.text)
	}
	v, ok := parseInt(t.text)
	if !ok {
		p.pos--
		p.failf("bad integer %q", t.text)
	}
	if neg {
		v = -v
	}
	return int64(v)
}

// smallInt reads a non-negative integer that sizes something.
func (p *parser) smallInt(limit int64) int {
	v := p.intLit()
	if v < 0 || v > limit {
		p.failf("size %d out of range", v)
	}
	return int(v)
}

// parseInt reads PTX integer literals: decimal, 0x hex, 0b binary, leading
// 0 octal, with an optional U suffix.
func parseInt(s string) (uint64, bool) {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "U"), "u")
	base := 10
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) > 2 && (s[:2] == "0b" || s[:2] == "0B"):
		s, base = s[2:], 2
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	v, err := strconv.ParseUint(s, base, 64)
	return v, err == nil
}

func (p *parser) module() {
	for p.peek().kind != tokEOF {
		t := p.peek()
		if t.kind != tokDirective {
			p.failf("unexpected %q at module scope", t.text)
		}
		switch t.text {
		case ".version", ".target", ".address_size":
			p.skipLine()
		case ".file":
			p.fileDirective()
		case ".pragma":
			p.advance()
			p.advance()
			p.expect(";")
		case ".section":
			p.skipSection()
		default:
			p.linkageItem()
		}
	}
}

// fileDirective records `.file N "name"` (and ignores the optional
// timestamp and size that follow).
func (p *parser) fileDirective() {
	line := p.advance().line
	n, name := p.peek(), p.toks[min(p.pos+1, len(p.toks)-1)]
	if n.kind == tokNumber && name.kind == tokString && n.line == line && name.line == line {
		if k, err := strconv.Atoi(n.text); err == nil {
			if p.mod.files == nil {
				p.mod.files = map[int]string{}
			}
			p.mod.files[k] = name.text
		}
	}
	p.skipRest(line)
}

// locDirective records `.loc file line column` as the source position of
// the instructions that follow; an inlined_at suffix is ignored, so the
// position is the innermost (inlined) one.
func (p *parser) locDirective() {
	line := p.advance().line
	var v [2]int
	for i := range v {
		t := p.peek()
		if t.kind != tokNumber || t.line != line {
			p.skipRest(line)
			return
		}
		v[i], _ = strconv.Atoi(p.advance().text)
	}
	p.loc = srcLoc{file: v[0], line: v[1]}
	p.skipRest(line)
}

// skipRest drops the tokens left on PTX line line.
func (p *parser) skipRest(line int) {
	for p.peek().kind != tokEOF && p.peek().line == line && !p.isPunct("{") {
		p.advance()
	}
}

// skipLine drops the rest of a one-line directive (.version 7.8).
func (p *parser) skipLine() {
	line := p.advance().line
	for p.peek().kind != tokEOF && p.peek().line == line && !p.isPunct("{") {
		p.advance()
	}
}

// skipSection drops a debug .section with its braced body.
func (p *parser) skipSection() {
	for p.peek().kind != tokEOF && !p.isPunct("{") {
		p.advance()
	}
	depth := 0
	for {
		t := p.advance()
		switch {
		case t.kind == tokEOF:
			p.failf("unterminated .section")
		case t.kind == tokPunct && t.text == "{":
			depth++
		case t.kind == tokPunct && t.text == "}":
			depth--
			if depth == 0 {
				return
			}
		}
	}
}

// linkageItem parses an entry, a function or a module variable with its
// optional linkage directives.
func (p *parser) linkageItem() {
	extern := false
	for {
		switch p.peek().text {
		case ".visible", ".weak", ".common":
			p.advance()
			continue
		case ".extern":
			extern = true
			p.advance()
			continue
		}
		break
	}
	switch p.peek().text {
	case ".entry":
		p.function(true)
	case ".func":
		p.function(false)
	case ".global", ".const", ".shared", ".local":
		v := p.varDecl()
		v.extern = extern
		p.expect(";")
		p.mod.vars = append(p.mod.vars, v)
	default:
		p.failf("unexpected %q at module scope", p.peek().text)
	}
}

// varDecl parses `.space [.align N] [.vN] .type name[dims] [= init]`
// without the terminating semicolon.
func (p *parser) varDecl() *varDecl {
	t := p.advance()
	sp, ok := spaceNames[strings.TrimPrefix(t.text, ".")]
	if !ok {
		p.pos--
		p.failf("expected a state space, found %q", t.text)
	}
	v := &varDecl{space: sp, vec: 1, count: 1, line: t.line}
	p.typeAttrs(v)
	v.name = p.ident()
	p.dims(v)
	if v.align == 0 {
		v.align = v.typ.size() * v.vec
	}
	if p.accept("=") {
		v.init = p.initializer(v)
	}
	return v
}

// typeAttrs reads the .align, .vN, .ptr and type directives of a
// declaration, in any order.
func (p *parser) typeAttrs(v *varDecl) {
	for p.peek().kind == tokDirective {
		d := strings.TrimPrefix(p.peek().text, ".")
		switch {
		case d == "align":
			p.advance()
			v.align = p.smallInt(1 << 16)
			if v.align == 0 || v.align&(v.align-1) != 0 {
				p.failf("alignment %d is not a power of two", v.align)
			}
		case d == "v2" || d == "v4" || d == "v8":
			p.advance()
			v.vec = int(d[1] - '0')
		case d == "ptr" || d == "global" || d == "shared" || d == "const" || d == "local":
			p.advance() // .param .u64 .ptr .global .align 4 name: pointer attributes only
		case typeNames[d] != tNone:
			p.advance()
			v.typ = typeNames[d]
		default:
			if v.typ == tNone {
				p.failf("unknown type %q", p.peek().text)
			}
			return
		}
	}
	if v.typ == tNone {
		p.failf("declaration without a type")
	}
}

// dims reads optional array dimensions: [N], [N][M], or [] for extern.
func (p *parser) dims(v *varDecl) {
	for p.accept("[") {
		v.array = true
		if p.accept("]") {
			v.count = 0 // unsized: dynamic shared memory or sized by initializer
			continue
		}
		n := p.smallInt(maxArrayBytes)
		p.expect("]")
		if int64(v.count)*int64(n)*int64(v.typ.size()*v.vec) > maxArrayBytes {
			p.failf("array %s too large", v.name)
		}
		v.count *= n
	}
}

// initializer reads `= value` or `= {v, {v, v}, ...}` flattened.
func (p *parser) initializer(v *varDecl) []initVal {
	var out []initVal
	var walk func(depth int)
	walk = func(depth int) {
		if depth > maxNesting {
			p.failf("initializer nested too deeply")
		}
		if p.accept("{") {
			for {
				walk(depth + 1)
				if !p.accept(",") {
					break
				}
			}
			p.expect("}")
			return
		}
		if len(out) >= maxArrayBytes {
			p.failf("initializer too long")
		}
		out = append(out, p.initElem(v.typ))
	}
	walk(0)
	if v.array && v.count == 0 {
		v.count = len(out) / v.vec
	}
	if len(out) > v.count*v.vec {
		p.failf("too many initializers for %s", v.name)
	}
	return out
}

func (p *parser) initElem(t ptype) initVal {
	if p.peek().kind == tokIdent {
		name := p.ident()
		if name == "generic" || name == "global" || name == "const" {
			p.expect("(")
			name = p.ident()
			p.expect(")")
		}
		var off int64
		if p.accept("+") {
			off = p.intLit()
		}
		return initVal{sym: name, off: off}
	}
	op := p.number()
	return initVal{bits: immBits(op, t)}
}

// number parses a possibly negative numeric literal operand.
func (p *parser) number() operand {
	neg := p.accept("-")
	t := p.advance()
	if t.kind != tokNumber {
		p.pos--
		p.failf("expected a number, found %q", t.text)
	}
	op, ok := parseNumber(t.text)
	if !ok {
		p.pos--
		p.failf("bad number %q", t.text)
	}
	if neg {
		switch op.kind {
		case oInt:
			op.ival = -op.ival
		case oF32:
			op.bits ^= 1 << 31
		case oF64:
			op.bits ^= 1 << 63
		case oFDec:
			op.fval = -op.fval
		}
	}
	return op
}

func parseNumber(s string) (operand, bool) {
	if len(s) == 10 && (s[:2] == "0f" || s[:2] == "0F") {
		v, err := strconv.ParseUint(s[2:], 16, 32)
		return operand{kind: oF32, bits: v}, err == nil
	}
	if len(s) == 18 && (s[:2] == "0d" || s[:2] == "0D") {
		v, err := strconv.ParseUint(s[2:], 16, 64)
		return operand{kind: oF64, bits: v}, err == nil
	}
	if v, ok := parseInt(s); ok {
		return operand{kind: oInt, ival: int64(v)}, true
	}
	if strings.ContainsAny(s, ".eE") && !strings.HasPrefix(s, "0x") {
		f, err := strconv.ParseFloat(s, 64)
		return operand{kind: oFDec, fval: f}, err == nil
	}
	return operand{}, false
}

// immBits converts a numeric literal to the bit pattern a register of type
// t holds: 0f/0d literals are raw bits for .bN and converted for the other
// float width; decimal floats convert to t.
func immBits(op operand, t ptype) uint64 {
	switch op.kind {
	case oF32:
		if t == tF64 {
			return math.Float64bits(float64(math.Float32frombits(uint32(op.bits))))
		}
		return op.bits
	case oF64:
		if t == tF32 {
			return uint64(math.Float32bits(float32(math.Float64frombits(op.bits))))
		}
		return op.bits
	case oFDec:
		if t == tF32 {
			return uint64(math.Float32bits(float32(op.fval)))
		}
		return math.Float64bits(op.fval)
	}
	switch t {
	case tF32:
		return uint64(math.Float32bits(float32(op.ival)))
	case tF64:
		return math.Float64bits(float64(op.ival))
	}
	return uint64(op.ival)
}
