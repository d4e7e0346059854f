package cudasim

import "strings"

// mods is an instruction's modifiers, classified. Words that are not a
// type, rounding mode, state space or common flag stay in words for the
// opcode's decoder to take; any left over is an error, so a modifier that
// changes semantics is never silently ignored.
type mods struct {
	types  []ptype
	rnd    uint8
	hasRnd bool
	rint   bool // .rni/.rzi/.rmi/.rpi
	ftz    bool
	sat    bool
	nan    bool
	sp     space
	vec    int
	to     bool // cvta.to
	words  []string
	// unsupported is a type word cudasim has no arithmetic for (the fp8
	// types), so Load names it.
	unsupported string
}

// ignoredMods are cache, scope and memory-order qualifiers. The simulator
// is sequentially consistent within a block and uses host atomics across
// blocks, so they do not change results.
var ignoredMods = map[string]bool{
	"nc": true, "volatile": true, "relaxed": true, "acquire": true, "release": true, "acq_rel": true,
	"sc": true, "weak": true, "mmio": true, "gpu": true, "cta": true, "sys": true, "cluster": true,
	"ca": true, "cg": true, "cs": true, "lu": true, "cv": true, "wb": true, "wt": true,
	"aligned": true, "unified": true,
	// .approx and .full only loosen accuracy bounds; cudasim returns the
	// correctly rounded result, which meets them.
	"approx": true, "full": true,
}

var unsupportedTypes = map[string]bool{"e4m3x2": true, "e5m2x2": true, "e4m3": true, "e5m2": true,
	"e2m1x2": true, "e3m2x2": true, "e2m3x2": true, "ue8m0x2": true}

var roundNames = map[string]uint8{"rn": rndN, "rz": rndZ, "rm": rndM, "rp": rndP}

func classifyMods(list []string) mods {
	m := mods{vec: 1}
	for _, w := range list {
		if t, ok := typeNames[w]; ok {
			m.types = append(m.types, t)
			continue
		}
		if r, ok := roundNames[w]; ok {
			m.rnd, m.hasRnd = r, true
			continue
		}
		if len(w) == 3 && w[2] == 'i' {
			if r, ok := roundNames[w[:2]]; ok {
				m.rnd, m.hasRnd, m.rint = r, true, true
				continue
			}
		}
		if sp, ok := spaceNames[strings.TrimSuffix(w, "::cta")]; ok {
			m.sp = sp
			continue
		}
		switch {
		case w == "ftz":
			m.ftz = true
		case w == "sat":
			m.sat = true
		case w == "NaN":
			m.nan = true
		case w == "v2" || w == "v4":
			m.vec = int(w[1] - '0')
		case w == "to":
			m.to = true
		case unsupportedTypes[w]:
			m.unsupported = w
		case ignoredMods[w] || strings.HasPrefix(w, "L1::") || strings.HasPrefix(w, "L2::"):
		default:
			m.words = append(m.words, w)
		}
	}
	return m
}

// take removes word from m.words and reports whether it was there.
func (m *mods) take(word string) bool {
	for i, w := range m.words {
		if w == word {
			m.words = append(m.words[:i], m.words[i+1:]...)
			return true
		}
	}
	return false
}

// takeOne removes the first of the candidates present and returns it.
func (m *mods) takeOne(candidates ...string) string {
	for _, c := range candidates {
		if m.take(c) {
			return c
		}
	}
	return ""
}

// typ is the instruction's single (last) type. The half-precision and
// tf32 types are rejected here: only the decoders that implement them
// (arithmetic, setp, mov, ld, st, selp, cvt, mma) call halfTyp instead.
func (m *mods) typ(d *decoder) ptype {
	t := m.halfTyp(d)
	if t.half() || t == tTF32 {
		d.failf("%s.%s is not supported", d.cur.op, t)
	}
	return t
}

// halfTyp is typ for the decoders that accept the 16-bit float types.
func (m *mods) halfTyp(d *decoder) ptype {
	if len(m.types) == 0 {
		d.failf("instruction has no type")
	}
	return m.types[len(m.types)-1]
}
