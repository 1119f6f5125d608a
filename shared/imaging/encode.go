package imaging

import "fmt"

// Subsampling is a JPEG's chroma subsampling.
type Subsampling int

// The subsamplings EncodeJPEG writes: 4:2:0 (the zero value; what phones,
// web images and thumbnails use), 4:2:2 (most cameras' fine setting) and
// 4:4:4 (none).
const (
	Subsampling420 Subsampling = iota
	Subsampling422
	Subsampling444
)

// EncodeJPEG compresses img as a baseline JPEG of the given quality (1-100)
// with no metadata: through libjpeg-turbo (the fast integer DCT) where cgo
// is available, else through the standard library (4:2:0 only).
func EncodeJPEG(img *RGB, quality int, sub Subsampling) ([]byte, error) {
	if img == nil || img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H*3 {
		return nil, fmt.Errorf("encode JPEG: not an RGB image")
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("encode JPEG: quality %d, want 1-100", quality)
	}
	return encodeJPEG(img, quality, sub)
}
