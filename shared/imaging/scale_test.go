package imaging

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJPEGScale(t *testing.T) {
	tests := []struct {
		w, h, min, want int
	}{
		{5779, 4000, 0, 1},
		{5779, 4000, 1280, 4}, // 1445 >= 1280; 1/8 gives 723
		{5779, 4000, 723, 8},
		{5779, 4000, 724, 4},
		{1024, 1024, 1280, 1},
		{1024, 1024, 512, 2},
		{4000, 6000, 750, 8}, // portrait: the long side counts
		{100, 100, 1, 8},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, jpegScale(tt.w, tt.h, tt.min), "%dx%d min %d", tt.w, tt.h, tt.min)
	}
}

// The DCT-scaled decode gives the size libjpeg would (rounded up), a Scale
// that maps back to the original, and the same picture as a full decode
// reduced afterwards.
func TestDecodeMinLongSide(t *testing.T) {
	data := testdata(t, "formats/large_t1_5779x4000.jpg")
	m, err := Decode(data, Options{MinLongSide: 1280})
	require.NoError(t, err)
	assert.Equal(t, [2]int{1445, 1000}, [2]int{m.W, m.H})
	assert.Equal(t, 4.0, m.Scale)
	assert.Equal(t, [2]int{5779, 4000}, [2]int{m.OrigW, m.OrigH})

	// Orientation is applied after scaling: orient6 at 1/2 is 512x512 and
	// still matches Test3 at 1/2.
	ref, err := Decode(testdata(t, "faces/Test3.jpg"), Options{MinLongSide: 500})
	require.NoError(t, err)
	o6, err := Decode(testdata(t, "formats/orient6.jpg"), Options{MinLongSide: 500})
	require.NoError(t, err)
	assert.Equal(t, [2]int{512, 512}, [2]int{o6.W, o6.H})
	assert.Equal(t, 2.0, o6.Scale)
	assert.Less(t, mad(t, ref, o6), 2.0)
}

// The libjpeg-turbo path and the standard library path agree (in a build
// without cgo both are the standard library, and the test still holds).
func TestTurboMatchesStdlib(t *testing.T) {
	for _, f := range []string{"faces/Test3.jpg", "formats/test3_cmyk.jpg", "formats/test3_gray.jpg", "formats/test3_progressive.jpg"} {
		for _, minLong := range []int{0, 300} {
			data := testdata(t, f)
			h, err := readHeader(data)
			require.NoError(t, err)
			fast, err := decodeJPEG(data, h, minLong)
			require.NoError(t, err)
			std, err := decodeJPEGStd(data, h, minLong)
			require.NoError(t, err)
			assert.Equal(t, std.Scale, fast.Scale)
			assert.Less(t, mad(t, std, fast), 2.5, "%s at min %d", f, minLong)
		}
	}
}

func TestResizeBilinear(t *testing.T) {
	// A 4x2 image of two flat halves: 2:1 reduction averages 2x2 blocks.
	src := &RGB{W: 4, H: 2, Scale: 1, OrigW: 4, OrigH: 2, Pix: []uint8{
		0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255,
		0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255,
	}}
	half := ResizeBilinear(src, 2, 1)
	assert.Equal(t, []uint8{50, 50, 50, 228, 228, 228}, half.Pix)
	assert.Equal(t, 2.0, half.Scale)
	assert.Equal(t, [2]int{4, 2}, [2]int{half.OrigW, half.OrigH})

	// Same size is a copy.
	same := ResizeBilinear(src, 4, 2)
	assert.Equal(t, src.Pix, same.Pix)

	// Enlarging keeps edge values and interpolates between.
	up := ResizeBilinear(&RGB{W: 2, H: 1, Scale: 1, Pix: []uint8{0, 0, 0, 200, 200, 200}}, 4, 1)
	assert.Equal(t, []uint8{0, 0, 0, 50, 50, 50, 150, 150, 150, 200, 200, 200}, up.Pix)
	assert.Equal(t, 0.5, up.Scale)

	// A big reduction of a real photo stays close to a reduction of its
	// DCT-scaled decode (both approximate the same area average).
	data := testdata(t, "faces/Test3.jpg")
	full, err := Decode(data, Options{})
	require.NoError(t, err)
	eighth, err := Decode(data, Options{MinLongSide: 128})
	require.NoError(t, err)
	require.Equal(t, 128, eighth.W)
	small := ResizeBilinear(full, 128, 128)
	assert.Equal(t, 8.0, small.Scale)
	assert.Less(t, mad(t, eighth, small), 3.0)
}
