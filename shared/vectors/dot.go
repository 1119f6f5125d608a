package vectors

// qStride is the granularity of the quantized rows: the AVX2 kernel reads
// 32 int8 values per step, so rows are zero-padded to a multiple of it.
const qStride = 32

// dotsInt8Go is the portable dotsInt8.
func dotsInt8Go(q []int16, data []int8, stride int, out []int32) {
	n := len(data) / stride
	q = q[:stride]
	for i := 0; i < n; i++ {
		row := data[i*stride : (i+1)*stride]
		var s0, s1, s2, s3 int32
		for j := 0; j+4 <= stride; j += 4 {
			s0 += int32(q[j]) * int32(row[j])
			s1 += int32(q[j+1]) * int32(row[j+1])
			s2 += int32(q[j+2]) * int32(row[j+2])
			s3 += int32(q[j+3]) * int32(row[j+3])
		}
		out[i] = (s0 + s1) + (s2 + s3)
	}
}

// dot32 is the float32 dot product of a and b (len(b) >= len(a)), summed in
// eight accumulators.
func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0] * bb[0]
		s1 += aa[1] * bb[1]
		s2 += aa[2] * bb[2]
		s3 += aa[3] * bb[3]
		s4 += aa[4] * bb[4]
		s5 += aa[5] * bb[5]
		s6 += aa[6] * bb[6]
		s7 += aa[7] * bb[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}
