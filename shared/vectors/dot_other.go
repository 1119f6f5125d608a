//go:build !amd64 || purego

package vectors

const useAVX2 = false

// dotsInt8 sets out[i] to the dot product of q (stride values) with the i-th
// vector of stride values in data, for every vector in data.
func dotsInt8(q []int16, data []int8, stride int, out []int32) {
	dotsInt8Go(q, data, stride, out)
}
