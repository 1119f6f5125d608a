package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quadrants is a 64x32 image stored with four flat colours: top-left red,
// top-right green, bottom-left blue, bottom-right white.
func quadrants() *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 64; x++ {
			c := color.RGBA{255, 0, 0, 255}
			switch {
			case x >= 32 && y < 16:
				c = color.RGBA{0, 255, 0, 255}
			case x < 32 && y >= 16:
				c = color.RGBA{0, 0, 255, 255}
			case x >= 32 && y >= 16:
				c = color.RGBA{255, 255, 255, 255}
			}
			m.Set(x, y, c)
		}
	}
	return m
}

// exifTIFF is a minimal TIFF block whose IFD0 has one Orientation entry.
func exifTIFF(bo binary.ByteOrder, orientation uint16, typ uint16) []byte {
	b := make([]byte, 8+2+12+4)
	if bo == binary.LittleEndian {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	bo.PutUint32(b[4:], 8)
	bo.PutUint16(b[8:], 1)
	bo.PutUint16(b[10:], 0x0112)
	bo.PutUint16(b[12:], typ)
	bo.PutUint32(b[14:], 1)
	if typ == 4 {
		bo.PutUint32(b[18:], uint32(orientation))
	} else {
		bo.PutUint16(b[18:], orientation)
	}
	return b
}

// jpegWithOrientation encodes m as a JPEG with an APP1 Exif segment.
func jpegWithOrientation(t *testing.T, m image.Image, orientation uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95}))
	payload := append([]byte("Exif\x00\x00"), exifTIFF(binary.BigEndian, orientation, 3)...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{0xFF, 0xD8}, seg...)
	out = append(out, payload...)
	return append(out, buf.Bytes()[2:]...)
}

// For each EXIF orientation, the stored pixels are what a camera would
// write; after Decode the quadrants must be back in the upright places.
func TestDecodeAllEightOrientations(t *testing.T) {
	upright := quadrants()
	// stored[o] is upright transformed by the inverse of orientation o,
	// i.e. what a camera stores when it tags orientation o.
	undo := map[int]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}
	up := toRGB(upright)
	for o := 1; o <= 8; o++ {
		t.Run(string(rune('0'+o)), func(t *testing.T) {
			stored := Orient(up, undo[o])
			img := image.NewRGBA(image.Rect(0, 0, stored.W, stored.H))
			for i := 0; i < stored.W*stored.H; i++ {
				copy(img.Pix[4*i:], stored.Pix[3*i:3*i+3])
				img.Pix[4*i+3] = 255
			}
			data := jpegWithOrientation(t, img, uint16(o))

			format, w, h, gotO, err := DecodeConfig(data)
			require.NoError(t, err)
			assert.Equal(t, FormatJPEG, format)
			assert.Equal(t, o, gotO)
			assert.Equal(t, [2]int{64, 32}, [2]int{w, h}, "DecodeConfig gives the upright size")

			m, err := Decode(data, Options{})
			require.NoError(t, err)
			require.Equal(t, [2]int{64, 32}, [2]int{m.W, m.H})
			assert.Equal(t, [2]int{64, 32}, [2]int{m.OrigW, m.OrigH})
			assert.Less(t, mad(t, up, m), 10.0) // JPEG ringing at the edges; a wrong turn is > 80
			for _, q := range []struct {
				x, y int
				rgb  [3]int
			}{{16, 8, [3]int{255, 0, 0}}, {48, 8, [3]int{0, 255, 0}}, {16, 24, [3]int{0, 0, 255}}, {48, 24, [3]int{255, 255, 255}}} {
				r, g, b := m.At(q.x, q.y)
				assert.InDeltaSlice(t, q.rgb[:], []int{int(r), int(g), int(b)}, 24, "quadrant at %d,%d", q.x, q.y)
			}
		})
	}
}

func TestOrientIsAGroupAction(t *testing.T) {
	m := toRGB(quadrants())
	// Rotating 90° clockwise twice is 180°; 6 then 8 is the identity;
	// mirroring twice is the identity.
	assert.Equal(t, Orient(m, 3).Pix, Orient(Orient(m, 6), 6).Pix)
	assert.Equal(t, m.Pix, Orient(Orient(m, 6), 8).Pix)
	assert.Equal(t, m.Pix, Orient(Orient(m, 2), 2).Pix)
	assert.Equal(t, m.Pix, Orient(Orient(m, 5), 5).Pix)
	assert.Equal(t, m.Pix, Orient(Orient(m, 7), 7).Pix)
	assert.Same(t, m, Orient(m, 1))
	assert.Same(t, m, Orient(m, 9))
	// Orientation 6: the stored bottom-left (blue) becomes the top-left.
	r6 := Orient(m, 6)
	assert.Equal(t, [2]int{32, 64}, [2]int{r6.W, r6.H})
	r, g, b := r6.At(0, 0)
	assert.Equal(t, [3]uint8{0, 0, 255}, [3]uint8{r, g, b})
}

func TestExifOrientation(t *testing.T) {
	tests := []struct {
		name string
		tiff []byte
		want int
	}{
		{"big endian short", exifTIFF(binary.BigEndian, 6, 3), 6},
		{"little endian short", exifTIFF(binary.LittleEndian, 8, 3), 8},
		{"long", exifTIFF(binary.LittleEndian, 3, 4), 3},
		{"out of range", exifTIFF(binary.BigEndian, 9, 3), 1},
		{"zero", exifTIFF(binary.BigEndian, 0, 3), 1},
		{"wrong type", exifTIFF(binary.BigEndian, 6, 2), 1},
		{"truncated IFD", exifTIFF(binary.BigEndian, 6, 3)[:15], 1},
		{"bad magic", append([]byte("XX"), exifTIFF(binary.BigEndian, 6, 3)[2:]...), 1},
		{"empty", nil, 1},
		{"offset past end", []byte("MM\x00*\x7f\xff\xff\xff"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, exifOrientation(tt.tiff))
		})
	}
}
