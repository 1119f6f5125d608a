package imaging

import (
	"errors"
	"runtime"
	"testing"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every photo of formats/ shows Test3 (1024x1024) in another encoding or
// orientation: decoded upright, it must match Test3.jpg's pixels.
func TestDecodeFormatsMatchTest3(t *testing.T) {
	ref, err := Decode(testdata(t, "faces/Test3.jpg"), Options{})
	require.NoError(t, err)
	tests := []struct {
		file        string
		format      string
		orientation int
		maxMAD      float64 // mean abs difference per channel to Test3, 0..255
		grayOnly    bool    // compare luma only
	}{
		{"formats/test3_progressive.jpg", FormatJPEG, 1, 2, false},
		{"formats/test3_cmyk.jpg", FormatJPEG, 1, 3, false},
		{"formats/test3_gray.jpg", FormatJPEG, 1, 3, true},
		{"formats/test3_16bit.png", FormatPNG, 1, 2, false},
		{"formats/test3.webp", FormatWebP, 1, 4, false},
		{"formats/test3.heic", FormatHEIC, 1, 3, false},
		{"formats/orient3.jpg", FormatJPEG, 3, 2, false},
		{"formats/orient6.jpg", FormatJPEG, 6, 2, false},
		{"formats/orient8.jpg", FormatJPEG, 8, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := testdata(t, tt.file)
			if tt.format == FormatHEIC && heifAvailable() != nil {
				// A build without cgo (or without libheif1) refuses HEIC,
				// and says why.
				_, err := Decode(data, Options{})
				require.Error(t, err)
				assert.Contains(t, err.Error(), "unsupported image format heic")
				return
			}
			format, w, h, o, err := DecodeConfig(data)
			require.NoError(t, err)
			assert.Equal(t, tt.format, format)
			assert.Equal(t, tt.orientation, o)
			assert.Equal(t, [2]int{1024, 1024}, [2]int{w, h})

			m, err := Decode(data, Options{})
			require.NoError(t, err)
			assert.Equal(t, 1.0, m.Scale)
			assert.Equal(t, [2]int{1024, 1024}, [2]int{m.OrigW, m.OrigH})
			got, want := m, ref
			if tt.grayOnly {
				got, want = gray(m), gray(ref)
			}
			d := mad(t, want, got)
			assert.Less(t, d, tt.maxMAD, "pixels differ from Test3.jpg")
			if tt.orientation != 1 {
				// The same pixels without the rotation are far off: the
				// comparison above is what proves the orientation.
				raw := Orient(m, inverse(tt.orientation))
				assert.Greater(t, mad(t, ref, raw), 10*tt.maxMAD)
			}
		})
	}
}

// inverse is the orientation that undoes o.
func inverse(o int) int {
	switch o {
	case 6:
		return 8
	case 8:
		return 6
	}
	return o
}

// rotate/ holds PNG data under .jpg names, rotated in the pixels with no
// EXIF: decoded by content, each is rot_0 turned by its angle.
func TestDecodeRotateByContent(t *testing.T) {
	base, err := Decode(testdata(t, "rotate/rot_0.jpg"), Options{})
	require.NoError(t, err)
	require.Equal(t, [2]int{325, 402}, [2]int{base.W, base.H})
	tests := []struct {
		file string
		turn int // orientation value that turns rot_0 into this file
	}{
		{"rotate/rot_90.jpg", 6},  // rotated 90° clockwise
		{"rotate/rot_180.jpg", 3}, // 180°
		{"rotate/rot_270.jpg", 8}, // 270° clockwise
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := testdata(t, tt.file)
			format, _, _, o, err := DecodeConfig(data)
			require.NoError(t, err)
			assert.Equal(t, FormatPNG, format)
			assert.Equal(t, 1, o)
			m, err := Decode(data, Options{})
			require.NoError(t, err)
			want := Orient(base, tt.turn)
			assert.Less(t, mad(t, want, m), 1.0)
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name   string
		data   func(t testing.TB) []byte
		reason string // a substring of the Reason
	}{
		{"empty", func(t testing.TB) []byte { return testdata(t, "formats/empty.jpg") }, "empty file"},
		{"not an image", func(t testing.TB) []byte { return testdata(t, "formats/not_an_image.jpg") }, "not an image"},
		{"truncated jpeg", func(t testing.TB) []byte { return testdata(t, "formats/test3_truncated.jpg") }, "truncated JPEG"},
		{"jpeg cut in its header", func(t testing.TB) []byte { return testdata(t, "faces/Test3.jpg")[:300] }, "truncated JPEG"},
		{"jpeg magic only", func(t testing.TB) []byte { return []byte{0xFF, 0xD8, 0xFF} }, "truncated JPEG"},
		{"truncated png", func(t testing.TB) []byte { return testdata(t, "formats/test3_16bit.png")[:50000] }, "truncated PNG"},
		{"png magic only", func(t testing.TB) []byte { return pngMagic }, "truncated PNG"},
		{"truncated webp", func(t testing.TB) []byte { return testdata(t, "formats/test3.webp")[:20] }, "WebP"},
		{"truncated heic", func(t testing.TB) []byte { return testdata(t, "formats/test3.heic")[:5000] }, "heic"},
		{"gif", func(t testing.TB) []byte { return []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;") }, "unsupported image format GIF"},
		{"tiff", func(t testing.TB) []byte { return []byte("II*\x00\x08\x00\x00\x00\x00\x00") }, "unsupported image format TIFF"},
		{"mp4", func(t testing.TB) []byte { return []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2") }, "not a HEIF image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data(t)
			_, err := Decode(data, Options{})
			var u *domain.ImageUnreadable
			require.True(t, errors.As(err, &u), "want *domain.ImageUnreadable, got %T %v", err, err)
			assert.Contains(t, u.Reason, tt.reason)
		})
	}
}

// The 400-megapixel PNG is refused from its header: no pixel buffer (1.6 GB
// as NRGBA) and no decoder state is ever allocated.
func TestBombRefusedWithoutAllocating(t *testing.T) {
	data := testdata(t, "formats/bomb_20000x20000.png")
	allocs := testing.AllocsPerRun(20, func() {
		_, err := Decode(data, Options{})
		require.Error(t, err)
	})
	assert.LessOrEqual(t, allocs, 10.0)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 10; i++ {
		_, _ = Decode(data, Options{})
	}
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), "bytes allocated by 10 refusals")
}

// Over the pixel budget is this deployment's limit, not bad content.
func TestBombIsUnsupported(t *testing.T) {
	_, err := Decode(testdata(t, "formats/bomb_20000x20000.png"), Options{})
	var u *domain.ImageUnsupported
	require.ErrorAs(t, err, &u)
	assert.Contains(t, u.Reason, "too large: 20000x20000 is 400.0 megapixels")
	var bad *domain.ImageUnreadable
	assert.False(t, errors.As(err, &bad), "not reported as unreadable content")
}

func TestPixelBudgetConfigurable(t *testing.T) {
	data := testdata(t, "faces/Test3.jpg") // 1024x1024 = 1.05 MP
	_, err := Decode(data, Options{MaxPixels: 1_000_000})
	var u *domain.ImageUnsupported
	require.ErrorAs(t, err, &u)
	assert.Contains(t, u.Reason, "over the budget of 1 megapixels")

	m, err := Decode(data, Options{MaxPixels: 1024 * 1024})
	require.NoError(t, err)
	assert.Equal(t, 1024, m.W)
}
