package imaging

import (
	"bytes"
	"errors"
	"image/jpeg"
	"io"
)

// decodeJPEGStd decodes with the standard library at full size, then
// reduces by the same power of two that libjpeg-turbo's DCT scaling would
// use, so both paths give images of the same size and Scale.
func decodeJPEGStd(data []byte, h header, minLongSide int) (*RGB, error) {
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
			err == jpeg.FormatError("short Huffman data") {
			return nil, unreadable("truncated JPEG: the data ends before the image is complete", err)
		}
		var fe jpeg.FormatError
		if errors.As(err, &fe) {
			return nil, unreadable("corrupt JPEG", err)
		}
		return nil, unreadable("unsupported JPEG", err)
	}
	img := toRGB(m)
	for k := jpegScale(h.w, h.h, minLongSide); k > 1; k /= 2 {
		img = halveCeil(img)
	}
	return img, nil
}

// jpegScale is the largest denominator d in 8, 4, 2, 1 such that the long
// side scaled by 1/d (rounded up, as libjpeg does) is still >= minLongSide.
func jpegScale(w, h, minLongSide int) int {
	long := max(w, h)
	if minLongSide <= 0 {
		return 1
	}
	for _, d := range []int{8, 4, 2} {
		if (long+d-1)/d >= minLongSide {
			return d
		}
	}
	return 1
}

// halveCeil averages 2x2 blocks; an odd last row or column is averaged with
// itself, giving ceil(w/2) x ceil(h/2) like libjpeg's scaled output.
func halveCeil(src *RGB) *RGB {
	w, h := (src.W+1)/2, (src.H+1)/2
	dst := &RGB{W: w, H: h, Pix: make([]uint8, w*h*3), Scale: src.Scale * 2}
	stride := src.W * 3
	for y := 0; y < h; y++ {
		y1 := min(2*y+1, src.H-1)
		r0 := src.Pix[2*y*stride : (2*y+1)*stride]
		r1 := src.Pix[y1*stride : (y1+1)*stride]
		out := dst.Pix[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			i := 6 * x
			j := i + 3
			if 2*x+1 >= src.W {
				j = i
			}
			for c := 0; c < 3; c++ {
				s := uint16(r0[i+c]) + uint16(r0[j+c]) + uint16(r1[i+c]) + uint16(r1[j+c])
				out[3*x+c] = uint8((s + 2) >> 2)
			}
		}
	}
	return dst
}
