package device

// Optional kernels. A backend may implement any of the interfaces in this
// file besides Backend; the tensor layer asks with a type assertion and,
// where the answer is no, computes the op as a composition of Backend ops
// (slower, but correct on every device). So a new backend starts with
// Backend alone, and an op gets a kernel where the composition is too slow
// without any interface signature changing. Like Backend's methods, these
// see contiguous data the tensor layer has already checked.

// Sorter is implemented by backends with a sort kernel (tensor.Sort,
// ArgSort and TopK use it; without it they rank by an O(n²) comparison).
type Sorter interface {
	// Sort sorts each of the rows contiguous rows of n elements of src
	// (any dtype) stably, ascending or descending, and writes the first k
	// (0 <= k <= n) of each sorted row to vals ([rows, k], src's dtype)
	// and their positions within the row to idx ([rows, k], Int32). As
	// torch.sort(stable=True): NaN sorts above every number (last when
	// ascending, first when descending), and equal elements (-0 and +0
	// are equal, as are all NaNs) keep their order in both directions.
	// Reference, per row x in float64:
	//
	//	p := [0, n); sort.SliceStable(p, before(x[p[i]], x[p[j]]))
	//	vals[j], idx[j] = x[p[j]], p[j] for j < k
	Sort(vals, idx, src Buffer, rows, n, k int, descending bool) error
}

// Scanner is implemented by backends with a cumulative-sum kernel
// (tensor.Cumsum uses it; without it a log-step composition of shifted
// adds does the work).
type Scanner interface {
	// Cumsum writes the inclusive running sums of each of the rows
	// contiguous rows of n elements of src to dst (same dtype, same
	// shape): dst[r, j] = Σ_{i<=j} src[r, i]. Half rows accumulate in
	// float32 or better; the order of additions is fixed, so a backend
	// gives the same bits on every run. Int32 sums wrap.
	Cumsum(dst, src Buffer, rows, n int) error
}
