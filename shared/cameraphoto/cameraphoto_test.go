package cameraphoto

import (
	"bytes"
	"crypto/md5"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/imaging"
)

func scene(w, h int) *imaging.RGB {
	m := &imaging.RGB{W: w, H: h, Pix: make([]uint8, w*h*3), Scale: 1}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 3
			// a bright top-left quadrant tells which way is up
			v := uint8(40)
			if x < w/2 && y < h/2 {
				v = 220
			}
			m.Pix[i], m.Pix[i+1], m.Pix[i+2] = v, v, v
		}
	}
	return m
}

// A photo decodes to the scene upright whatever its orientation, and the
// header says what a camera's would.
func TestMakeOrientations(t *testing.T) {
	for _, o := range []int{1, 3, 6, 8} {
		body, err := Make(scene(64, 48), Options{Width: 600, Height: 400, Orientation: o, Seed: 7})
		require.NoError(t, err)
		format, w, h, orient, err := imaging.DecodeConfig(body)
		require.NoError(t, err)
		require.Equal(t, imaging.FormatJPEG, format)
		require.Equal(t, o, orient)
		img, err := imaging.Decode(body, imaging.Options{})
		require.NoError(t, err)
		require.Equal(t, [2]int{w, h}, [2]int{img.W, img.H})
		if o >= 5 {
			require.Equal(t, [2]int{400, 600}, [2]int{w, h}, "portrait upright")
		} else {
			require.Equal(t, [2]int{600, 400}, [2]int{w, h})
		}
		// upright: the top-left corner is the bright one
		r, _, _ := img.At(img.W/8, img.H/8)
		r2, _, _ := img.At(img.W*7/8, img.H*7/8)
		require.Greater(t, int(r), 150, "orientation %d: top-left", o)
		require.Less(t, int(r2), 100, "orientation %d: bottom-right", o)
		require.True(t, bytes.Contains(body[:2000], []byte("Exif\x00\x00II*\x00")))
		require.True(t, bytes.Contains(body[:2000], []byte(Model)))
	}
}

// The same options give the same bytes; another seed other noise.
func TestMakeDeterministic(t *testing.T) {
	a, err := Make(scene(64, 48), Options{Width: 320, Height: 240, Seed: 1})
	require.NoError(t, err)
	b, err := Make(scene(64, 48), Options{Width: 320, Height: 240, Seed: 1})
	require.NoError(t, err)
	c, err := Make(scene(64, 48), Options{Width: 320, Height: 240, Seed: 2})
	require.NoError(t, err)
	require.Equal(t, md5.Sum(a), md5.Sum(b))
	require.NotEqual(t, md5.Sum(a), md5.Sum(c))
}

// Retime changes the bytes but not the picture.
func TestRetime(t *testing.T) {
	a, err := Make(scene(64, 48), Options{Width: 320, Height: 240, Seed: 1})
	require.NoError(t, err)
	b, err := Retime(a, a2026())
	require.NoError(t, err)
	require.Len(t, b, len(a))
	require.NotEqual(t, a, b)
	require.Contains(t, string(b[:4000]), "2027:01:02 03:04:05")
	ia, err := imaging.Decode(a, imaging.Options{})
	require.NoError(t, err)
	ib, err := imaging.Decode(b, imaging.Options{})
	require.NoError(t, err)
	require.Equal(t, ia.Pix, ib.Pix)
}

func a2026() time.Time { return time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC) }
