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
	const shift = 11 // weights in 1/2048
	const one = 1 << shift
	// Horizontal taps: byte offsets of the left pixel and its weight.
	xo := make([]int, w)
	xw := make([]int32, w)
	sx := float64(src.W) / float64(w)
	for x := 0; x < w; x++ {
		f := (float64(x)+0.5)*sx - 0.5
		x0, wt := split(f, src.W)
		xo[x] = x0 * 3
		xw[x] = int32(wt * one)
	}
	sy := float64(src.H) / float64(h)
	stride := src.W * 3
	for y := 0; y < h; y++ {
		f := (float64(y)+0.5)*sy - 0.5
		y0, wt := split(f, src.H)
		wy := int32(wt * one)
		r0 := src.Pix[y0*stride : (y0+1)*stride]
		y1 := min(y0+1, src.H-1)
		r1 := src.Pix[y1*stride : (y1+1)*stride]
		out := dst.Pix[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			o := xo[x]
			o1 := o + 3
			if o1 >= stride {
				o1 = o
			}
			wx := xw[x]
			for c := 0; c < 3; c++ {
				a := int32(r0[o+c])*(one-wx) + int32(r0[o1+c])*wx
				b := int32(r1[o+c])*(one-wx) + int32(r1[o1+c])*wx
				out[x*3+c] = uint8((int64(a)*int64(one-wy) + int64(b)*int64(wy) + 1<<(2*shift-1)) >> (2 * shift))
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
