package cudasim

// A program is one kernel decoded for execution: its code followed by the
// code of every device function it can call, with all names resolved to
// register slots, predicate indices, addresses and PCs.
type program struct {
	kernel  string
	module  *module
	code    []inst
	nslots  int         // register slots: specials, registers, constants
	npreds  int         // predicate registers
	consts  []constSlot // slots preset to a literal in every lane
	cpreds  []constPred // predicates preset to a literal
	params  []*varDecl  // kernel parameters, in order
	poff    []int       // their offsets in the parameter buffer
	psize   int         // parameter buffer bytes
	shared  int         // static shared bytes
	dynAlig int         // alignment of the dynamic shared base
	local   int         // per-thread local frame bytes (all depots)
	scratch int         // per-thread call-parameter bytes
	maxntid [3]int      // .maxntid, zero if absent
	reqntid [3]int      // .reqntid, zero if absent
	funcs   []*function // functions in code order (entry first)
	names   []string    // register name of each slot, for messages
	pnames  []string    // name of each predicate, for messages
}

// constSlot presets a register slot to the same value in every lane: the
// decoder turns every immediate and symbol address into one, so that
// instructions only ever read slots.
type constSlot struct {
	slot int32
	val  uint64
}

// constPred presets a predicate to a literal.
type constPred struct {
	idx int32
	val bool
}

// Fixed slots for special registers, filled when a warp starts.
const (
	sTidX int32 = iota
	sTidY
	sTidZ
	sNtidX
	sNtidY
	sNtidZ
	sCtaidX
	sCtaidY
	sCtaidZ
	sNctaidX
	sNctaidY
	sNctaidZ
	sLaneid
	sWarpid
	sNwarpid
	sSmid
	sNsmid
	sGridid
	sLanemaskEq
	sLanemaskLe
	sLanemaskLt
	sLanemaskGe
	sLanemaskGt
	sDynSmem
	sTotalSmem
	nSpecial
)

var specialRegs = map[string]int32{
	"%tid.x": sTidX, "%tid.y": sTidY, "%tid.z": sTidZ,
	"%ntid.x": sNtidX, "%ntid.y": sNtidY, "%ntid.z": sNtidZ,
	"%ctaid.x": sCtaidX, "%ctaid.y": sCtaidY, "%ctaid.z": sCtaidZ,
	"%nctaid.x": sNctaidX, "%nctaid.y": sNctaidY, "%nctaid.z": sNctaidZ,
	"%laneid": sLaneid, "%warpid": sWarpid, "%nwarpid": sNwarpid,
	"%smid": sSmid, "%nsmid": sNsmid, "%gridid": sGridid,
	"%lanemask_eq": sLanemaskEq, "%lanemask_le": sLanemaskLe, "%lanemask_lt": sLanemaskLt,
	"%lanemask_ge": sLanemaskGe, "%lanemask_gt": sLanemaskGt,
	"%dynamic_smem_size": sDynSmem, "%total_smem_size": sTotalSmem,
}

// ikind tells the scheduler how an instruction moves the PC.
type ikind uint8

const (
	kPlain    ikind = iota // exec, then next PC
	kBra                   // branch to target
	kExit                  // thread ends (exit, or ret from the kernel)
	kRet                   // return from a device function
	kCall                  // call a device function or a builtin
	kBar                   // block barrier (bar.sync, bar.red)
	kWarpSync              // waits for its member lanes (shfl, vote, bar.warp.sync, match)
	kTrap                  // trap
)

// execFn executes one instruction for the lanes in m. It returns a fault
// or nil.
type execFn func(w *warp, in *inst, m uint32) *Fault

// inst is a decoded instruction. Register operands are slot numbers into
// the warp's register file; predicate operands index its predicate masks.
type inst struct {
	exec   execFn
	kind   ikind
	guard  int32 // predicate guard, -1 for none
	gneg   bool
	typ    ptype // instruction type
	sp     space
	vec    uint8 // vector width of ld/st
	rnd    uint8 // rounding mode (rn, rz, rm, rp)
	mode   uint8 // op-specific selector (shfl mode, vote mode, atom op, ...)
	cc     uint8 // carry: 1 reads CC.CF, 2 writes it, 3 both
	line   int32
	d      [4]int32 // destination slots, -1 discards
	s      [5]int32 // source slots (st.v4: address and four values)
	nd, ns uint8
	pd, pq int32 // predicate destinations, -1 for none
	ps     int32 // predicate source (selp, setp combine, vote, bar.red), -1 for none
	psneg  bool
	negs   uint8 // negated predicate sources of pred logic: bit k for s[k]
	off    int64 // address offset
	soff   int64 // second address offset (cp.async's source)
	target int32 // branch or call target PC
	member int32 // membermask slot of a warp-synchronous instruction
	f1     func(a uint64) uint64
	f2     func(a, b uint64) uint64
	f3     func(a, b, c uint64) uint64
	cmp    func(a, b uint64) bool
	call   *callInfo
	mma    *mmaInfo
}

// callInfo describes a call site: the bytes to copy between the caller's
// argument variables and the callee's parameters, all in the per-thread
// call scratch.
type callInfo struct {
	builtin int // 0 for PTX functions, else builtinPrintf or builtinAssert
	args    []paramCopy
	rets    []paramCopy
}

type paramCopy struct {
	from, to uint64 // scratch addresses
	size     int
}

// Builtin device functions nvcc calls as .extern.
const (
	builtinPrintf = iota + 1
	builtinAssert
)

// bar.red operations (inst.mode of a kBar).
const (
	redPopc = iota + 1
	redAnd
	redOr
)

// Rounding modes.
const (
	rndN uint8 = iota // to nearest even
	rndZ              // toward zero
	rndM              // toward -inf
	rndP              // toward +inf
)
