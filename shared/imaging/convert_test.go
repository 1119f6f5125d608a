package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func encodePNG(t *testing.T, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, m))
	return buf.Bytes()
}

// Each PNG pixel model decodes to the expected RGB, alpha composited on
// white.
func TestDecodePNGPixelModels(t *testing.T) {
	r := image.Rect(0, 0, 3, 2)
	nrgba := image.NewNRGBA(r)
	nrgba.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 255})
	nrgba.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 0})     // transparent: white
	nrgba.SetNRGBA(2, 0, color.NRGBA{0, 0, 0, 128})   // half black on white
	nrgba.SetNRGBA(0, 1, color.NRGBA{255, 0, 0, 128}) // half red on white
	gray := image.NewGray(r)
	gray.SetGray(0, 0, color.Gray{77})
	gray16 := image.NewGray16(r)
	gray16.SetGray16(0, 0, color.Gray16{0x8080})
	rgba64 := image.NewRGBA64(r)
	rgba64.SetRGBA64(0, 0, color.RGBA64{0xffff, 0x8000, 0x0101, 0xffff})
	nrgba64 := image.NewNRGBA64(r)
	nrgba64.SetNRGBA64(0, 0, color.NRGBA64{0, 0, 0xffff, 0x8000})
	pal := image.NewPaletted(r, color.Palette{color.RGBA{10, 20, 30, 255}, color.NRGBA{0, 0, 0, 0}})
	pal.SetColorIndex(1, 0, 1)

	tests := []struct {
		name string
		m    image.Image
		want map[[2]int][3]uint8
	}{
		{"nrgba", nrgba, map[[2]int][3]uint8{{0, 0}: {200, 100, 50}, {1, 0}: {255, 255, 255}, {2, 0}: {127, 127, 127}, {0, 1}: {255, 127, 127}}},
		{"gray", gray, map[[2]int][3]uint8{{0, 0}: {77, 77, 77}, {1, 0}: {0, 0, 0}}},
		{"gray16", gray16, map[[2]int][3]uint8{{0, 0}: {128, 128, 128}}},
		{"rgb 16 bit", rgba64, map[[2]int][3]uint8{{0, 0}: {255, 128, 1}}},
		{"rgba 16 bit", nrgba64, map[[2]int][3]uint8{{0, 0}: {127, 127, 255}}},
		{"palette", pal, map[[2]int][3]uint8{{0, 0}: {10, 20, 30}, {1, 0}: {255, 255, 255}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(encodePNG(t, tt.m), Options{})
			require.NoError(t, err)
			require.Equal(t, [2]int{3, 2}, [2]int{m.W, m.H})
			for p, want := range tt.want {
				r, g, b := m.At(p[0], p[1])
				assert.InDeltaSlice(t, []int{int(want[0]), int(want[1]), int(want[2])}, []int{int(r), int(g), int(b)}, 1, "pixel %v", p)
			}
		})
	}
}

func TestCMYKConventions(t *testing.T) {
	out := make([]uint8, 6)
	// Plain CMYK: no ink is white; magenta + yellow is red.
	cmykToRGB(out, []uint8{0, 0, 0, 0, 0, 255, 255, 0}, 2, false)
	assert.Equal(t, []uint8{255, 255, 255, 255, 0, 0}, out)
	// Adobe's inverted CMYK: 255 is no ink; cyan + magenta is blue.
	cmykToRGB(out, []uint8{255, 255, 255, 255, 0, 0, 255, 255}, 2, true)
	assert.Equal(t, []uint8{255, 255, 255, 0, 0, 255}, out)
}
