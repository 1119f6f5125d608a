//go:build !cgo

package imaging

func decodeJPEG(data []byte, h header, minLongSide int) (*RGB, error) {
	return decodeJPEGStd(data, h, minLongSide)
}

func encodeJPEG(img *RGB, quality int, _ Subsampling) ([]byte, error) {
	return encodeJPEGStd(img, quality)
}
