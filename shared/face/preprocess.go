package face

import "github.com/divinepic/pipeline/shared/imaging"

// columns is the horizontal half of a bilinear resize from sw to dw
// columns: for each output column the byte offsets of its two source
// columns (xo[2x], xo[2x+1]) and the right one's weight, 0..256 (xw[x]).
func columns(sw, dw int) (xo []int, xw []int32) {
	xo, xw = make([]int, 2*dw), make([]int32, dw)
	fx := float64(sw) / float64(dw)
	for x := 0; x < dw; x++ {
		x0, w := coord(float64(x), fx, sw)
		x1 := min(x0+1, sw-1)
		xo[2*x], xo[2*x+1], xw[x] = x0*3, x1*3, w
	}
	return xo, xw
}

// resizeInto resamples src into dst (dw x dh packed RGB, len dw*dh*3) with
// bilinear interpolation, pixel centres aligned (OpenCV INTER_LINEAR's
// convention), in 8-bit fixed point.
func resizeInto(dst []uint8, dw, dh int, src *imaging.RGB) {
	sw, sh := src.W, src.H
	if dw == sw && dh == sh {
		copy(dst, src.Pix)
		return
	}
	xo, xw := columns(sw, dw)
	fy := float64(sh) / float64(dh)
	stride := sw * 3
	for y := 0; y < dh; y++ {
		y0, wy := coord(float64(y), fy, sh)
		y1 := min(y0+1, sh-1)
		r0 := src.Pix[y0*stride : y0*stride+stride]
		r1 := src.Pix[y1*stride : y1*stride+stride]
		out := dst[y*dw*3 : (y+1)*dw*3]
		for x := 0; x < dw; x++ {
			a, b, wx := xo[2*x], xo[2*x+1], xw[x]
			for c := 0; c < 3; c++ {
				top := int32(r0[a+c])<<8 + (int32(r0[b+c])-int32(r0[a+c]))*wx
				bot := int32(r1[a+c])<<8 + (int32(r1[b+c])-int32(r1[a+c]))*wx
				v := top<<8 + (bot-top)*wy
				out[x*3+c] = uint8((v + 1<<15) >> 16)
			}
		}
	}
}

// coord maps destination index d to the left/top source index and the
// 8-bit weight of the next one, for a scale factor f = src/dst.
func coord(d, f float64, n int) (int, int32) {
	s := (d+0.5)*f - 0.5
	if s <= 0 {
		return 0, 0
	}
	i := int(s)
	if i >= n-1 {
		return n - 1, 0
	}
	return i, int32((s-float64(i))*256 + 0.5)
}

// norm is a per-channel x' = (x - mean) / std as a lookup table, with the
// channel order the model wants.
type norm struct {
	bgr bool
	lut [3][256]float32
}

func newNorm(colorOrder string, mean, std [3]float32) *norm {
	n := &norm{bgr: colorOrder == "BGR"}
	for c := 0; c < 3; c++ {
		s := std[c]
		if s == 0 {
			s = 1
		}
		for v := 0; v < 256; v++ {
			n.lut[c][v] = (float32(v) - mean[c]) / s
		}
	}
	return n
}

// fillTensor writes the packed RGB image pix (w x h) into dst, a CHW float
// tensor of tw x th (tw >= w, th >= h), normalised by n. The area right of and
// below the image is padding: black, normalised. It writes one plane at a
// time (one output stream: three interleaved streams alias badly in the
// caches for some tensor sizes), reading the input once per plane.
func fillTensor(dst []float32, tw, th int, pix []uint8, w, h int, n *norm) {
	plane := tw * th
	for c := 0; c < 3; c++ { // c: the input's channel (R, G, B)
		mc := c // the model's channel
		if n.bgr {
			mc = 2 - c
		}
		pl, lut := dst[mc*plane:(mc+1)*plane], &n.lut[mc]
		pad := lut[0]
		for y := 0; y < h; y++ {
			row := pl[y*tw : y*tw+w : y*tw+w]
			in := pix[y*w*3+c : (y+1)*w*3]
			for x := range row {
				row[x] = lut[in[3*x]]
			}
			for x := y*tw + w; x < (y+1)*tw; x++ {
				pl[x] = pad
			}
		}
		for i := h * tw; i < plane; i++ {
			pl[i] = pad
		}
	}
}

// resizeTensor is resizeInto and fillTensor in one pass: it resamples src
// to w x h bilinearly (same arithmetic as resizeInto, so the same values)
// and writes them normalised into dst, a CHW tensor of tw x th, padded with
// normalised black right and below.
func resizeTensor(dst []float32, tw, th int, src *imaging.RGB, w, h int, n *norm) {
	sw, sh := src.W, src.H
	plane := tw * th
	pr, pg, pb := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	lr, lg, lb := &n.lut[0], &n.lut[1], &n.lut[2]
	if n.bgr {
		pr, pb = pb, pr
		lr, lb = lb, lr
	}
	xo, xw := columns(sw, w)
	fy := float64(sh) / float64(h)
	stride := sw * 3
	for y := 0; y < h; y++ {
		y0, wy := coord(float64(y), fy, sh)
		y1 := min(y0+1, sh-1)
		r0 := src.Pix[y0*stride : y0*stride+stride]
		r1 := src.Pix[y1*stride : y1*stride+stride]
		o := y * tw
		rr, rg, rb := pr[o:o+w], pg[o:o+w], pb[o:o+w]
		rg, rb = rg[:len(rr)], rb[:len(rr)]
		for x := range rr {
			a, b, wx := xo[2*x], xo[2*x+1], xw[x]
			rr[x] = lr[lerp2(r0[a], r0[b], r1[a], r1[b], wx, wy)]
			rg[x] = lg[lerp2(r0[a+1], r0[b+1], r1[a+1], r1[b+1], wx, wy)]
			rb[x] = lb[lerp2(r0[a+2], r0[b+2], r1[a+2], r1[b+2], wx, wy)]
		}
		for x := w; x < tw; x++ {
			pr[o+x], pg[o+x], pb[o+x] = lr[0], lg[0], lb[0]
		}
	}
	for i := h * tw; i < plane; i++ {
		pr[i], pg[i], pb[i] = lr[0], lg[0], lb[0]
	}
}

// lerp2 is the 8-bit fixed-point bilinear blend of a 2x2 neighbourhood.
func lerp2(p00, p10, p01, p11 uint8, wx, wy int32) uint8 {
	top := int32(p00)<<8 + (int32(p10)-int32(p00))*wx
	bot := int32(p01)<<8 + (int32(p11)-int32(p01))*wx
	return uint8((top<<8 + (bot-top)*wy + 1<<15) >> 16)
}
