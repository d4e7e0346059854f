package cudasim

import "strings"

// tokKind is the lexical class of a PTX token.
type tokKind uint8

const (
	tokEOF tokKind = iota
	// tokIdent is a name: an opcode with its dotted modifiers
	// (ld.global.v4.f32), a register (%r1, %tid.x), a symbol or a label.
	tokIdent
	tokDirective // .reg, .entry, ...
	tokNumber    // 12, 0x1F, 0f3F800000, 0d..., 1.5e3
	tokString    // "nounroll"
	tokPunct     // one of , ; : { } [ ] ( ) < > + - ! @ | =
)

type token struct {
	kind tokKind
	text string
	line int
}

// lexer splits PTX text into tokens. It never fails: a character it does
// not know becomes a one-character punctuation token the parser rejects.
type lexer struct {
	src  string
	pos  int
	line int
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c == '%' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9'
}

// tokenize returns every token of src, ending with tokEOF. The only
// lexical error is an unterminated string.
func tokenize(src string) ([]token, *ParseError) {
	lx := lexer{src: src, line: 1}
	out := make([]token, 0, len(src)/5) // nvcc's PTX averages about 6 bytes a token
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		if t.kind == tokEOF {
			return out, nil
		}
	}
}

func (lx *lexer) next() (token, *ParseError) {
	lx.skipSpace()
	if lx.pos >= len(lx.src) {
		return token{kind: tokEOF, line: lx.line}, nil
	}
	start, c := lx.pos, lx.src[lx.pos]
	switch {
	case isIdentStart(c):
		lx.pos++
		lx.identTail(true)
		return token{tokIdent, lx.src[start:lx.pos], lx.line}, nil
	case c == '.' && lx.pos+1 < len(lx.src) && isIdentStart(lx.src[lx.pos+1]):
		lx.pos++
		// A directive ends at a dot: the headers of cuda_fp16.h write
		// ".reg.b32 f;" in inline assembly.
		lx.identTail(false)
		return token{tokDirective, lx.src[start:lx.pos], lx.line}, nil
	case c >= '0' && c <= '9':
		// Hex forms (0x.., 0f.., 0d..) have no exponent, so a sign after an
		// 'e' only continues a decimal float such as 1e-3.
		hex := c == '0' && lx.pos+1 < len(lx.src) && strings.IndexByte("xXfFdD", lx.src[lx.pos+1]) >= 0
		for lx.pos < len(lx.src) {
			d, prev := lx.src[lx.pos], lx.src[max(lx.pos-1, start)]
			if isIdentChar(d) || d == '.' || !hex && (d == '-' || d == '+') && (prev == 'e' || prev == 'E') {
				lx.pos++
				continue
			}
			break
		}
		return token{tokNumber, lx.src[start:lx.pos], lx.line}, nil
	case c == '"':
		lx.pos++
		for lx.pos < len(lx.src) && lx.src[lx.pos] != '"' {
			if lx.src[lx.pos] == '\n' {
				return token{}, &ParseError{Line: lx.line, Msg: "unterminated string"}
			}
			lx.pos++
		}
		if lx.pos >= len(lx.src) {
			return token{}, &ParseError{Line: lx.line, Msg: "unterminated string"}
		}
		lx.pos++
		return token{tokString, lx.src[start+1 : lx.pos-1], lx.line}, nil
	}
	lx.pos++
	return token{tokPunct, lx.src[start:lx.pos], lx.line}, nil
}

// identTail consumes the rest of a name, including dotted suffixes such as
// .global.v4.f32 or %tid.x and the L1::evict_last style cache hints.
func (lx *lexer) identTail(dots bool) {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case isIdentChar(c):
			lx.pos++
		case dots && c == '.' && lx.pos+1 < len(lx.src) && isIdentChar(lx.src[lx.pos+1]):
			lx.pos++
		case c == ':' && lx.pos+2 < len(lx.src) && lx.src[lx.pos+1] == ':' && isIdentChar(lx.src[lx.pos+2]):
			lx.pos += 2
		default:
			return
		}
	}
}

func (lx *lexer) skipSpace() {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == '\n':
			lx.line++
			lx.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			lx.pos++
		case c == '/' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '/':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
		case c == '/' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '*':
			lx.pos += 2
			for lx.pos < len(lx.src) && !(lx.src[lx.pos] == '*' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '/') {
				if lx.src[lx.pos] == '\n' {
					lx.line++
				}
				lx.pos++
			}
			lx.pos = min(lx.pos+2, len(lx.src))
		default:
			return
		}
	}
}
