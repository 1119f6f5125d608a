//go:build !purego

package vectors

import "golang.org/x/sys/cpu"

// dotsInt8AVX2 is implemented in dot_amd64.s.
//
//go:noescape
func dotsInt8AVX2(q *int16, data *int8, n, stride int, out *int32)

var useAVX2 = cpu.X86.HasAVX2

// dotsInt8 sets out[i] to the dot product of q (stride values) with the i-th
// vector of stride values in data, for every vector in data.
func dotsInt8(q []int16, data []int8, stride int, out []int32) {
	n := len(data) / stride
	if n == 0 {
		return
	}
	if useAVX2 {
		_ = q[stride-1]
		_ = out[n-1]
		dotsInt8AVX2(&q[0], &data[0], n, stride, &out[0])
		return
	}
	dotsInt8Go(q, data, stride, out)
}
