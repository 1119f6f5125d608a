package imaging

// RGB is a decoded photo: 8-bit packed RGB, row-major, 3 bytes a pixel,
// already turned upright (EXIF orientation applied).
type RGB struct {
	W, H int
	Pix  []uint8 // len == W*H*3
	// Scale maps this image's pixel coordinates back to the original upright
	// photo: original = this * Scale (1 when decoded at full size, 2, 4 or 8
	// after a DCT-domain downscale, any value after a resize).
	Scale float64
	// OrigW, OrigH are the original photo's upright size in pixels.
	OrigW, OrigH int
}

// At returns the pixel at (x, y); the caller keeps x, y in range.
func (m *RGB) At(x, y int) (r, g, b uint8) {
	i := (y*m.W + x) * 3
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}
