package imaging

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
)

// pngWithHeader is a PNG whose IHDR says w x h at depth bits and colour
// type ct, followed by a tiny IDAT (the pixels do not matter: a photo over
// the memory budget is refused from its header).
func pngWithHeader(w, h uint32, depth, ct byte) []byte {
	var b bytes.Buffer
	b.Write(pngMagic)
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, ct
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// Finding 4: a 9999x9999 16-bit PNG is under the 100 MP budget but takes
// 1.2 GB to decode. It is refused from its header as a limit of this
// deployment, with the figure, and nothing is allocated for it.
func TestMemoryBudgetRefuses16BitPNG(t *testing.T) {
	data := pngWithHeader(9999, 9999, 16, 2)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(data, Options{})
	runtime.ReadMemStats(&after)
	var u *domain.ImageUnsupported
	require.ErrorAs(t, err, &u, "a limit of this deployment, not a bad file")
	assert.Contains(t, u.Reason, "a 9999x9999 16-bit PNG needs about 1100 MB, over the budget of 1074 MB a photo")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10))

	// The same size in 8 bits, palette or grey fits.
	for _, ok := range []struct{ depth, ct byte }{{8, 2}, {8, 3}, {16, 0}} {
		h, err := readHeader(pngWithHeader(9999, 9999, ok.depth, ok.ct))
		require.NoError(t, err)
		assert.NoError(t, checkBytes(h, 0, DefaultMaxBytes), "depth %d type %d", ok.depth, ok.ct)
	}
}

// The estimate is honest: at least what decoding really allocates, and not
// much more, for the formats whose decoders run in Go.
func TestDecodeBytesEstimate(t *testing.T) {
	for _, name := range []string{"formats/test3_16bit.png", "formats/test3.webp"} {
		t.Run(name, func(t *testing.T) {
			data := testdata(t, name)
			h, err := readHeader(data)
			require.NoError(t, err)
			est := decodeBytes(h, 0)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err = Decode(data, Options{})
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			got := int64(after.TotalAlloc - before.TotalAlloc)
			assert.GreaterOrEqual(t, est, got*9/10, "estimate %d, allocated %d", est, got)
			assert.LessOrEqual(t, est, got*2, "estimate %d, allocated %d", est, got)
		})
	}
}

func TestMemoryBudgetConfigurable(t *testing.T) {
	data := testdata(t, "formats/test3_16bit.png") // 1024x1024 16-bit RGB(A): about 11.5 MB
	_, err := Decode(data, Options{MaxBytes: 5_000_000})
	var u *domain.ImageUnsupported
	require.ErrorAs(t, err, &u)
	assert.Contains(t, u.Reason, "over the budget of 5 MB a photo")
	_, err = Decode(data, Options{MaxBytes: 20_000_000})
	assert.NoError(t, err)
}
