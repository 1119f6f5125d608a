package imaging

import (
	"fmt"
	"math"

	"github.com/divinepic/pipeline/shared/domain"
)

// DefaultMaxBytes is the decoding memory budget of one photo when
// Options.MaxBytes is 0 (the local engine and the CLI; on AWS the stack
// sets each function's from its memory, artifact.DecodeBudgetMB): 1 GiB.
// An 8-bit 100-megapixel PNG (700 MB) fits; a 16-bit one (1.1 GB) does not.
const DefaultMaxBytes = 1 << 30

// decodeBytes estimates the memory Decode allocates for a photo with
// header h: the decoder's own image (its bytes per pixel depend on the
// format, bit depth and channels), the packed RGB result, and the copy that
// Orient makes for an EXIF orientation other than 1. The compressed input
// is not counted (the caller already holds it). A size whose estimate does
// not fit in an int64 (a forged header) gives math.MaxInt64.
func decodeBytes(h header, minLongSide int) int64 {
	px := int64(h.w) * int64(h.h)
	if px > 1<<58 { // at most 16 bytes a pixel below: keep the sums in range
		return math.MaxInt64
	}
	const rgb = 3
	var n int64
	switch h.format {
	case FormatJPEG:
		d := int64(jpegScale(h.w, h.h, minLongSide))
		out := (int64(h.w) + d - 1) / d * ((int64(h.h) + d - 1) / d)
		n = out * rgb
		if h.components == 4 {
			n += out * 4 // CMYK, then converted
		}
		if h.progressive {
			// libjpeg keeps every DCT coefficient (2 bytes) of every
			// component at full size until the last scan.
			n += px * int64(max(h.components, 1)) * 2
		}
		if h.orientation > 1 {
			n += out * rgb
		}
		return n
	case FormatPNG:
		n = px * (pngPixelBytes(h.bitDepth, h.colorType) + rgb)
	case FormatWebP:
		n = px*5/2 + px*rgb // YCbCr with alpha at most, then RGB
	default: // HEIC, AVIF: libheif's YCbCr planes, then RGB
		n = px*3/2 + px*rgb
	}
	if h.orientation > 1 {
		n += px * rgb
	}
	return n
}

// pngPixelBytes is the bytes per pixel of the image image/png decodes
// into: Gray/Gray16, RGBA/RGBA64, Paletted, NRGBA/NRGBA64.
func pngPixelBytes(depth, colorType int) int64 {
	wide := depth == 16
	switch colorType {
	case 0: // grey
		if wide {
			return 2
		}
		return 1
	case 3: // palette
		return 1
	default: // RGB, grey+alpha, RGBA: 4 channels of 8 or 16 bits
		if wide {
			return 8
		}
		return 4
	}
}

// checkBytes refuses a photo whose decoding would take more than max bytes,
// as a limit of this deployment: *domain.ImageUnsupported.
func checkBytes(h header, minLongSide int, max int64) error {
	if n := decodeBytes(h, minLongSide); n > max {
		what := h.format
		if h.format == FormatPNG {
			what = fmt.Sprintf("%d-bit PNG", h.bitDepth)
		}
		return &domain.ImageUnsupported{Reason: fmt.Sprintf("image too large to decode: a %dx%d %s needs about %.0f MB, over the budget of %.0f MB a photo",
			h.w, h.h, what, float64(n)/1e6, float64(max)/1e6)}
	}
	return nil
}

// Limits names what these options and this build refuse as limits of the
// deployment (*domain.ImageUnsupported): the pixel and memory budgets, and
// whether HEIF decodes. A photo refused under one Limits is worth trying
// again only under another one (or when the photo changes).
func (o Options) Limits() string {
	return fmt.Sprintf("max %d pixels, %d bytes to decode, HEIF %t", o.maxPixels(), o.maxBytes(), heifAvailable() == nil)
}
