package vectors

// The int8 and float32 kernels the index is built on, for other packages
// that compare many embeddings (shared/people).

// QStride is the granularity of quantised rows: a row of dim values is
// zero-padded to a multiple of QStride.
const QStride = qStride

// DotsInt8 sets out[i] to the dot product of q (stride values) with the
// i-th row of stride values in data, for every row (AVX2 where available).
func DotsInt8(q []int16, data []int8, stride int, out []int32) { dotsInt8(q, data, stride, out) }

// Quantize writes the int8 approximation of unit into q (len(q) >=
// len(unit); q[i]*step ≈ unit[i], the padding zero) and returns step.
func Quantize(q []int8, unit []float32) (step float32) {
	s, _, _ := quantize(q, unit)
	return s
}

// Dot is the float32 dot product of a and b (len(b) >= len(a)).
func Dot(a, b []float32) float32 { return dot32(a, b) }
