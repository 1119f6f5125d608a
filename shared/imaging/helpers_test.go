package imaging

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/divinepic/pipeline/shared/locate"
	"github.com/stretchr/testify/require"
)

// testdata reads a file of ../shared/testdata.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	dir, err := locate.TestdataDir()
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	require.NoError(t, err)
	return b
}

// mad is the mean absolute difference per channel of two equal-size images.
func mad(t testing.TB, a, b *RGB) float64 {
	t.Helper()
	require.Equal(t, a.W, b.W, "width")
	require.Equal(t, a.H, b.H, "height")
	var s int64
	for i := range a.Pix {
		d := int64(a.Pix[i]) - int64(b.Pix[i])
		if d < 0 {
			d = -d
		}
		s += d
	}
	return float64(s) / float64(len(a.Pix))
}

// gray turns an image into its luma (BT.601) in all three channels.
func gray(m *RGB) *RGB {
	g := &RGB{W: m.W, H: m.H, Pix: make([]uint8, len(m.Pix)), Scale: m.Scale}
	for i := 0; i < len(m.Pix); i += 3 {
		y := uint8((299*int(m.Pix[i]) + 587*int(m.Pix[i+1]) + 114*int(m.Pix[i+2]) + 500) / 1000)
		g.Pix[i], g.Pix[i+1], g.Pix[i+2] = y, y, y
	}
	return g
}
