package cudasim

import (
	"fmt"
	"strings"
)

// ptype is a PTX fundamental type.
type ptype uint8

const (
	tNone ptype = iota
	tB8
	tB16
	tB32
	tB64
	tB128
	tU8
	tU16
	tU32
	tU64
	tS8
	tS16
	tS32
	tS64
	tF16
	tF16x2
	tBF16
	tBF16x2
	tTF32 // a float32 rounded to 10 mantissa bits, held in a 32-bit register
	tF32
	tF64
	tPred
)

var typeNames = map[string]ptype{
	"b8": tB8, "b16": tB16, "b32": tB32, "b64": tB64, "b128": tB128,
	"u8": tU8, "u16": tU16, "u32": tU32, "u64": tU64,
	"s8": tS8, "s16": tS16, "s32": tS32, "s64": tS64,
	"f16": tF16, "f16x2": tF16x2, "bf16": tBF16, "bf16x2": tBF16x2, "tf32": tTF32, "f32": tF32, "f64": tF64, "pred": tPred,
}

// size is the type's width in bytes (predicates occupy a byte in memory).
func (t ptype) size() int {
	switch t {
	case tB8, tU8, tS8, tPred:
		return 1
	case tB16, tU16, tS16, tF16, tBF16:
		return 2
	case tB32, tU32, tS32, tF32, tF16x2, tBF16x2, tTF32:
		return 4
	case tB64, tU64, tS64, tF64:
		return 8
	case tB128:
		return 16
	}
	return 0
}

func (t ptype) bits() uint { return uint(t.size()) * 8 }

func (t ptype) signed() bool { return t >= tS8 && t <= tS64 }

func (t ptype) float() bool { return t == tF16 || t == tBF16 || t == tF32 || t == tF64 }

// half reports whether t is a 16-bit float type or a pair of them.
func (t ptype) half() bool { return t == tF16 || t == tBF16 || t == tF16x2 || t == tBF16x2 }

// integer reports whether t is a bit, signed or unsigned integer type.
func (t ptype) integer() bool { return t >= tB8 && t <= tS64 && t != tB128 }

func (t ptype) String() string {
	for k, v := range typeNames {
		if v == t {
			return k
		}
	}
	return "none"
}

// space is a PTX state space.
type space uint8

const (
	spNone   space = iota // generic addressing
	spGlobal              // device allocations and module .global data
	spConst               // module .const data (lives in global memory)
	spShared              // per-block scratchpad
	spLocal               // per-thread stack
	spParam               // kernel parameters and call arguments
)

var spaceNames = map[string]space{
	"global": spGlobal, "const": spConst, "shared": spShared, "local": spLocal, "param": spParam,
}

func (s space) String() string {
	for k, v := range spaceNames {
		if v == s {
			return k
		}
	}
	return "generic"
}

// module is parsed PTX before decoding.
type module struct {
	name  string
	lines []string // source lines, for fault messages
	vars  []*varDecl
	funcs []*function
	// files are the .file directives (-lineinfo), by number; srcLines
	// maps the PTX line of an instruction to the .loc in effect there.
	files    map[int]string
	srcLines map[int]srcLoc
}

// srcLoc is a CUDA source position from a .loc directive.
type srcLoc struct{ file, line int }

// source returns the CUDA file and line of the instruction at PTX line
// ptxLine, if the module has line information for it.
func (m *module) source(ptxLine int) (string, int, bool) {
	loc, ok := m.srcLines[ptxLine]
	if !ok {
		return "", 0, false
	}
	file, ok := m.files[loc.file]
	if !ok {
		file = fmt.Sprintf("file %d", loc.file)
	}
	return file, loc.line, true
}

// varDecl declares a variable in a state space: module data, a .shared
// array, a local depot, or a parameter.
type varDecl struct {
	space  space
	align  int
	typ    ptype
	vec    int // .v2/.v4 element vectors, 1 otherwise
	name   string
	count  int  // array elements (product of all dimensions); 1 for scalars
	array  bool // declared with [...]
	extern bool // .extern .shared name[]: the dynamic shared memory
	init   []initVal
	line   int
}

// bytes is the variable's size in bytes.
func (v *varDecl) bytes() int { return v.typ.size() * v.vec * v.count }

// initVal is one element of a data initializer: a number, or the address
// of a symbol plus an offset.
type initVal struct {
	bits uint64
	sym  string
	off  int64
}

// function is an .entry or .func with its body.
type function struct {
	name    string
	entry   bool
	defined bool // has a body (not just a prototype)
	params  []*varDecl
	rets    []*varDecl
	regs    []regDecl
	vars    []*varDecl // .local/.shared/.param declared in the body
	body    []*instr
	labels  map[string]int // label -> index of the next instruction in body
	maxntid [3]int
	reqntid [3]int
	line    int
}

// regDecl declares registers: name<count> declares name0..name{count-1},
// count 0 declares the single register name.
type regDecl struct {
	typ   ptype
	name  string
	count int
}

// instr is one parsed instruction.
type instr struct {
	line  int
	guard string // predicate register, "" if unguarded
	gneg  bool   // @!p
	op    string // opcode without modifiers: "ld"
	mods  []string
	args  []operand
}

func (in *instr) text() string { return in.op + "." + strings.Join(in.mods, ".") }

// okind is the syntactic form of an operand.
type okind uint8

const (
	oName okind = iota + 1 // register, symbol or label
	oInt                   // integer literal
	oF32                   // 0f literal (bits) or a decimal float read as f32
	oF64                   // 0d literal (bits)
	oFDec                  // decimal float literal, typed by its instruction
	oAddr                  // [base+off]
	oVec                   // {a, b, ...}
	oPair                  // p|q
	oList                  // (a, b) in call
)

// operand is one instruction operand.
type operand struct {
	kind okind
	name string // oName, and the base of oAddr ("" for an absolute address)
	neg  bool   // !p
	ival int64  // oInt value, oAddr/oName offset
	bits uint64 // oF32/oF64 bits
	fval float64
	sub  []operand // oVec, oPair, oList
}
