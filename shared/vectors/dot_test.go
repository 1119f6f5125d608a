package vectors

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDotsInt8 checks the kernel in use (AVX2 where available) against the
// portable one, on extreme and random values.
func TestDotsInt8(t *testing.T) {
	t.Logf("AVX2 kernel in use: %v", useAVX2)
	r := rand.New(rand.NewPCG(1, 2))
	for _, stride := range []int{32, 64, 96, 512, 4096} {
		for _, n := range []int{1, 2, 7, 33} {
			q := make([]int16, stride)
			data := make([]int8, n*stride)
			for i := range q {
				q[i] = int16(r.IntN(255) - 127)
			}
			for i := range data {
				data[i] = int8(r.IntN(255) - 127)
			}
			if n == 7 { // the extremes: every product is 127*127 or -127*127
				for i := range q {
					q[i] = 127
				}
				for i := range data {
					data[i] = int8(127 * (1 - 2*(i/stride%2)))
				}
			}
			got := make([]int32, n)
			want := make([]int32, n)
			dotsInt8(q, data, stride, got)
			for i := 0; i < n; i++ {
				var s int32
				for j := 0; j < stride; j++ {
					s += int32(q[j]) * int32(data[i*stride+j])
				}
				want[i] = s
			}
			require.Equal(t, want, got, "stride %d n %d", stride, n)
			goOut := make([]int32, n)
			dotsInt8Go(q, data, stride, goOut)
			assert.Equal(t, want, goOut)
		}
	}
}

// TestQuantizeBound checks the property the exact query rests on: the
// quantized score is within the bound of the true one.
func TestQuantizeBound(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{3, 48, 512} {
		stride := (dim + qStride - 1) / qStride * qStride
		for i := 0; i < 200; i++ {
			a, b := make([]float32, dim), make([]float32, dim)
			for j := range a {
				a[j], b[j] = float32(r.NormFloat64()), float32(r.NormFloat64())
				if i%10 == 0 && j > 0 { // spiky vectors quantize badly
					b[j] *= 0.001
				}
			}
			normalize(a, a)
			normalize(b, b)
			qa, qb := make([]int8, stride), make([]int8, stride)
			sa, _, ea := quantize(qa, a)
			sb, nb, eb := quantize(qb, b)
			var d int32
			for j := range qa {
				d += int32(qa[j]) * int32(qb[j])
			}
			approx := float64(sa) * float64(sb) * float64(d)
			exact := float64(dot32(a, b))
			bound := float64(ea*nb + eb)
			assert.LessOrEqual(t, absf(exact-approx), bound, "dim %d vector %d", dim, i)
			assert.Less(t, bound, 0.2, "the bound is useful")
		}
	}
}

func absf(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
