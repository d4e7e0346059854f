package cudasim

import (
	"fmt"
	"strings"
)

// function parses `.entry name (params) directives { body }` or
// `.func (rets) name (params) { body }`, or either as a prototype ending
// in `;`.
func (p *parser) function(entry bool) {
	f := &function{entry: entry, line: p.advance().line, labels: map[string]int{}}
	if !entry && p.isPunct("(") {
		f.rets = p.paramList()
	}
	f.name = p.ident()
	if p.isPunct("(") {
		f.params = p.paramList()
	}
	for p.peek().kind == tokDirective {
		switch p.advance().text {
		case ".maxntid":
			f.maxntid = p.dim3()
		case ".reqntid":
			f.reqntid = p.dim3()
		case ".minnctapersm", ".maxnreg", ".maxclusterrank":
			p.intLit()
		case ".noreturn", ".explicitcluster":
		case ".pragma":
			p.advance()
			p.expect(";")
		default:
			p.pos--
			p.failf("unexpected %q in function header", p.peek().text)
		}
	}
	p.mod.funcs = append(p.mod.funcs, f)
	if p.accept(";") {
		return
	}
	f.defined = true
	p.fn = f
	p.scopes = p.scopes[:0]
	p.loc = srcLoc{}
	p.body()
	p.fn = nil
}

func (p *parser) dim3() [3]int {
	d := [3]int{1, 1, 1}
	for i := 0; i < 3; i++ {
		d[i] = p.smallInt(1 << 31)
		if !p.accept(",") {
			break
		}
	}
	return d
}

// paramList parses `( .param ... name, ... )`.
func (p *parser) paramList() []*varDecl {
	p.expect("(")
	var out []*varDecl
	if p.accept(")") {
		return out
	}
	for {
		if p.peek().text != ".param" && p.peek().text != ".reg" {
			p.failf("expected .param, found %q", p.peek().text)
		}
		t := p.advance()
		v := &varDecl{space: spParam, vec: 1, count: 1, line: t.line}
		p.typeAttrs(v)
		v.name = p.ident()
		p.dims(v)
		if v.align == 0 {
			v.align = v.typ.size() * v.vec
		}
		out = append(out, v)
		if p.accept(")") {
			return out
		}
		p.expect(",")
	}
}

// body parses statements up to the function's closing brace. Names
// declared in nested braces (nvcc's call sequences) are renamed to be
// unique, so later passes see one flat namespace per function.
func (p *parser) body() {
	p.expect("{")
	p.pushScope()
	for {
		t := p.peek()
		switch {
		case t.kind == tokEOF:
			p.failf("unexpected end of input in function %s", p.fn.name)
		case t.kind == tokPunct && t.text == "}":
			p.advance()
			p.scopes = p.scopes[:len(p.scopes)-1]
			if len(p.scopes) == 0 {
				return
			}
		case t.kind == tokPunct && t.text == "{":
			p.advance()
			if len(p.scopes) >= maxNesting {
				p.failf("blocks nested too deeply")
			}
			p.pushScope()
		case t.kind == tokDirective:
			p.bodyDirective()
		case t.kind == tokIdent && p.toks[p.pos+1].kind == tokPunct && p.toks[p.pos+1].text == ":":
			p.advance()
			p.advance()
			if _, dup := p.fn.labels[t.text]; dup {
				p.failf("label %s defined twice", t.text)
			}
			p.fn.labels[t.text] = len(p.fn.body)
		default:
			in := p.instruction()
			if p.loc.line > 0 {
				if p.mod.srcLines == nil {
					p.mod.srcLines = map[int]srcLoc{}
				}
				p.mod.srcLines[in.line] = p.loc
			}
			p.fn.body = append(p.fn.body, in)
		}
	}
}

func (p *parser) pushScope() {
	p.scopes = append(p.scopes, map[string]string{})
}

// declare registers a body-level name, renaming it inside nested scopes.
func (p *parser) declare(name string) string {
	top := p.scopes[len(p.scopes)-1]
	if _, dup := top[name]; dup {
		p.failf("%s declared twice", name)
	}
	unique := name
	if len(p.scopes) > 1 {
		p.nscope++
		unique = fmt.Sprintf("%s#%d", name, p.nscope)
	}
	top[name] = unique
	return unique
}

// resolve maps a name to its declaration in the innermost scope that has
// one; names not declared in the body (module symbols, labels, special
// registers) are returned unchanged.
func (p *parser) resolve(name string) string {
	for i := len(p.scopes) - 1; i >= 0; i-- {
		if u, ok := p.scopes[i][name]; ok {
			return u
		}
	}
	return name
}

func (p *parser) bodyDirective() {
	switch p.peek().text {
	case ".reg":
		p.regDecl()
	case ".local", ".shared", ".param", ".global", ".const":
		v := p.varDecl()
		v.name = p.declare(v.name)
		p.expect(";")
		p.fn.vars = append(p.fn.vars, v)
	case ".pragma":
		p.advance()
		p.advance()
		p.expect(";")
	case ".loc":
		p.locDirective()
	case ".file":
		p.fileDirective()
	default:
		p.failf("unsupported directive %q in function body", p.peek().text)
	}
}

// regDecl parses `.reg [.vN] .type %r<N>, %x, ...;`.
func (p *parser) regDecl() {
	p.advance()
	v := &varDecl{vec: 1}
	p.typeAttrs(v)
	for {
		name := p.ident()
		n := 0
		if p.accept("<") {
			n = p.smallInt(maxRegsPerDec)
			p.expect(">")
		}
		p.fn.regs = append(p.fn.regs, regDecl{typ: v.typ, name: p.declare(name), count: n})
		if !p.accept(",") {
			break
		}
	}
	p.expect(";")
}

// instruction parses `[@[!]p] opcode[.mod...] operand, ...;`.
func (p *parser) instruction() *instr {
	in := &instr{line: p.peek().line}
	if p.accept("@") {
		in.gneg = p.accept("!")
		in.guard = p.resolve(p.ident())
	}
	parts := strings.Split(p.ident(), ".")
	in.op, in.mods = parts[0], parts[1:]
	for !p.accept(";") {
		if len(in.args) > 0 {
			p.expect(",")
		}
		in.args = append(in.args, p.operand(0))
	}
	return in
}

func (p *parser) operand(depth int) operand {
	if depth > maxNesting {
		p.failf("operand nested too deeply")
	}
	t := p.peek()
	switch {
	case t.kind == tokPunct && t.text == "[":
		p.advance()
		op := operand{kind: oAddr}
		if p.peek().kind == tokIdent {
			op.name = p.resolve(p.ident())
			if p.accept("+") {
				op.ival = p.intLit()
			} else if p.isPunct("-") {
				op.ival = p.intLit()
			}
		} else {
			op.ival = p.intLit()
		}
		p.expect("]")
		return op
	case t.kind == tokPunct && (t.text == "{" || t.text == "("):
		p.advance()
		op, closer := operand{kind: oVec}, "}"
		if t.text == "(" {
			op.kind, closer = oList, ")"
		}
		for !p.accept(closer) {
			if len(op.sub) > 0 {
				p.expect(",")
			}
			op.sub = append(op.sub, p.operand(depth+1))
		}
		return op
	case t.kind == tokPunct && t.text == "!":
		p.advance()
		return operand{kind: oName, name: p.resolve(p.ident()), neg: true}
	case t.kind == tokIdent:
		op := operand{kind: oName, name: p.resolve(p.ident())}
		switch {
		case p.accept("|"):
			q := operand{kind: oName, name: p.resolve(p.ident())}
			return operand{kind: oPair, sub: []operand{op, q}}
		case p.accept("+"):
			op.ival = p.intLit()
		case p.isPunct("-") && p.toks[p.pos+1].kind == tokNumber:
			op.ival = p.intLit()
		}
		return op
	}
	return p.number()
}
