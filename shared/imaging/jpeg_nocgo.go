//go:build !cgo

package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

func decodeJPEG(data []byte, h header, minLongSide int) (*RGB, error) {
	return decodeJPEGStd(data, h, minLongSide)
}

// encodeJPEG compresses img with the standard library (always 4:2:0).
func encodeJPEG(img *RGB, quality int, _ Subsampling) ([]byte, error) {
	m := image.NewRGBA(image.Rect(0, 0, img.W, img.H))
	for i := 0; i < img.W*img.H; i++ {
		copy(m.Pix[4*i:4*i+3], img.Pix[3*i:3*i+3])
		m.Pix[4*i+3] = 255
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode JPEG: %w", err)
	}
	return buf.Bytes(), nil
}
