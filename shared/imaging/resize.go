package imaging

// ResizeBilinear resizes src to w x h with bilinear interpolation on pixel
// centres (a 2:1 reduction averages 2x2 blocks). For reductions beyond 2:1
// it first halves src with a 2x2 box filter until the remaining factor is at
// most 2, so every source pixel contributes (no aliasing). The result's Scale
// is src.Scale times the horizontal reduction; OrigW/OrigH are kept.
func ResizeBilinear(src *RGB, w, h int) *RGB {
	if w <= 0 || h <= 0 {
		return &RGB{Scale: src.Scale, OrigW: src.OrigW, OrigH: src.OrigH}
	}
	scale := src.Scale
	if scale == 0 {
		scale = 1
	}
	scale *= float64(src.W) / float64(w)
	for src.W >= 4*w && src.H >= 4*h {
		src = halve(src)
	}
	dst := &RGB{W: w, H: h, Pix: make([]uint8, w*h*3), Scale: scale, OrigW: src.OrigW, OrigH: src.OrigH}
	if src.W == w && src.H == h {
		copy(dst.Pix, src.Pix)
		return dst
	}
	const shift = 8 // weights in 1/256: sums stay within int32
	const one = 1 << shift
	// Horizontal taps: byte offsets of the left and right pixel, and the
	// right pixel's weight.
	xo := make([]int32, 2*w)
	xw := make([]int32, w)
	sx := float64(src.W) / float64(w)
	for x := 0; x < w; x++ {
		f := (float64(x)+0.5)*sx - 0.5
		x0, wt := split(f, src.W)
		xo[2*x] = int32(x0 * 3)
		xo[2*x+1] = int32(min(x0+1, src.W-1) * 3)
		xw[x] = int32(wt*one + 0.5)
	}
	sy := float64(src.H) / float64(h)
	stride := src.W * 3
	for y := 0; y < h; y++ {
		f := (float64(y)+0.5)*sy - 0.5
		y0, wt := split(f, src.H)
		wy := int32(wt*one + 0.5)
		r0 := src.Pix[y0*stride : (y0+1)*stride]
		y1 := min(y0+1, src.H-1)
		r1 := src.Pix[y1*stride : (y1+1)*stride]
		out := dst.Pix[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			o, o1, wx := xo[2*x], xo[2*x+1], xw[x]
			a0, a1 := r0[o:o+3:o+3], r0[o1:o1+3:o1+3]
			b0, b1 := r1[o:o+3:o+3], r1[o1:o1+3:o1+3]
			px := out[3*x : 3*x+3 : 3*x+3]
			for c := 0; c < 3; c++ {
				a := int32(a0[c])<<shift + (int32(a1[c])-int32(a0[c]))*wx
				b := int32(b0[c])<<shift + (int32(b1[c])-int32(b0[c]))*wx
				px[c] = uint8((a<<shift + (b-a)*wy + 1<<(2*shift-1)) >> (2 * shift))
			}
		}
	}
	return dst
}

// split returns the integer part of f clamped to [0, n-1] and the fraction
// towards the next sample (0 at the edges).
func split(f float64, n int) (int, float64) {
	if f <= 0 {
		return 0, 0
	}
	i := int(f)
	if i >= n-1 {
		return n - 1, 0
	}
	return i, f - float64(i)
}

// halve averages 2x2 blocks (a trailing odd row or column is dropped).
// Scale doubles.
func halve(src *RGB) *RGB {
	w, h := src.W/2, src.H/2
	dst := &RGB{W: w, H: h, Pix: make([]uint8, w*h*3), Scale: src.Scale * 2, OrigW: src.OrigW, OrigH: src.OrigH}
	stride := src.W * 3
	for y := 0; y < h; y++ {
		r0 := src.Pix[2*y*stride : (2*y+1)*stride]
		r1 := src.Pix[(2*y+1)*stride : (2*y+2)*stride]
		out := dst.Pix[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			i := 6 * x
			for c := 0; c < 3; c++ {
				s := uint16(r0[i+c]) + uint16(r0[i+3+c]) + uint16(r1[i+c]) + uint16(r1[i+3+c])
				out[3*x+c] = uint8((s + 2) >> 2)
			}
		}
	}
	return dst
}
