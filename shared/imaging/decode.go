package imaging

import (
	"fmt"

	"github.com/divinepic/pipeline/shared/domain"
)

// DefaultMaxPixels is the pixel budget when Options.MaxPixels is 0: 100
// megapixels, well above any camera in use at events (a 61 MP full-frame
// photo is 9504x6336) and far below what fits in a Lambda.
const DefaultMaxPixels = 100_000_000

// Options tune Decode.
type Options struct {
	// MaxPixels refuses photos whose header says width*height is larger,
	// before any pixel is decoded. 0 means DefaultMaxPixels.
	MaxPixels int64
	// MaxBytes refuses photos whose decoding would take more memory than
	// this, as estimated from the header (bytes per pixel of the format's
	// decoder, bit depth, channels, DCT scale; see decodeBytes), before any
	// pixel is decoded. 0 means DefaultMaxBytes.
	MaxBytes int64
	// MinLongSide lets a JPEG be decoded at the smallest DCT scale (1/1,
	// 1/2, 1/4, 1/8) whose long side is still >= MinLongSide; the result's
	// Scale says the factor. 0 decodes at full size. Other formats are
	// always decoded at full size.
	MinLongSide int
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

func (o Options) maxPixels() int64 {
	if o.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return o.MaxPixels
}

// Format names returned by DecodeConfig.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatWebP = "webp"
	FormatHEIC = "heic"
	FormatAVIF = "avif"
)

// Decode decodes a photo by its content into upright RGB (EXIF orientation
// applied; alpha composited on white). It checks the pixel budget from the
// header before decoding. Every error is a *domain.ImageUnreadable (the
// content cannot be decoded) or a *domain.ImageUnsupported (this
// deployment's limits: the pixel budget, no HEIF library).
func Decode(data []byte, opt Options) (*RGB, error) {
	h, err := readHeader(data)
	if err != nil {
		return nil, err
	}
	if err := checkBudget(h, opt.maxPixels()); err != nil {
		return nil, err
	}
	if err := checkBytes(h, opt.MinLongSide, opt.maxBytes()); err != nil {
		return nil, err
	}
	var img *RGB
	switch h.format {
	case FormatJPEG:
		img, err = decodeJPEG(data, h, opt.MinLongSide)
	case FormatPNG:
		img, err = decodePNG(data)
	case FormatWebP:
		img, err = decodeWebP(data)
	case FormatHEIC, FormatAVIF:
		img, err = decodeHEIF(data, h, opt.maxPixels())
	default:
		err = unreadable("unsupported image format "+h.format, nil)
	}
	if err != nil {
		return nil, err
	}
	img = Orient(img, h.orientation)
	if img.Scale == 0 {
		img.Scale = 1
	}
	img.OrigW, img.OrigH = h.uprightSize()
	return img, nil
}

// DecodeConfig reads only the header: the format (one of the Format
// constants), the upright size in pixels (width and height swapped already
// for orientations 5-8, i.e. the size Decode returns at full scale) and the
// EXIF orientation (1-8; 1 when absent, and always 1 for HEIC/AVIF, whose
// own irot/imir transforms are applied by the decoder and already reflected
// in w and h). Errors are *domain.ImageUnreadable or *domain.ImageUnsupported.
func DecodeConfig(data []byte) (format string, w, h, orientation int, err error) {
	hd, err := readHeader(data)
	if err != nil {
		return "", 0, 0, 0, err
	}
	w, h = hd.uprightSize()
	return hd.format, w, h, hd.orientation, nil
}

func checkBudget(h header, max int64) error {
	if h.w <= 0 || h.h <= 0 {
		return unreadable(fmt.Sprintf("%s header gives an empty size %dx%d", h.format, h.w, h.h), nil)
	}
	if px := int64(h.w) * int64(h.h); px > max {
		return &domain.ImageUnsupported{Reason: fmt.Sprintf("image too large: %dx%d is %.1f megapixels, over the budget of %.4g megapixels",
			h.w, h.h, float64(px)/1e6, float64(max)/1e6)}
	}
	return nil
}

func unreadable(reason string, err error) error {
	return &domain.ImageUnreadable{Reason: reason, Err: err}
}
