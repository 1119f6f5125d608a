package imaging

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"

	"golang.org/x/image/webp"
)

func decodePNG(data []byte) (*RGB, error) {
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
			strings.Contains(err.Error(), "not enough pixel data") {
			return nil, unreadable("truncated PNG", err)
		}
		return nil, unreadable("corrupt PNG", err)
	}
	return toRGB(m), nil
}

func decodeWebP(data []byte) (*RGB, error) {
	m, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, unreadable("truncated WebP", err)
		}
		return nil, unreadable("corrupt or unsupported WebP", err)
	}
	// VP8 stores BT.601 limited-range ("video") YUV, but x/image/webp
	// returns it as image.YCbCr, whose conversion assumes JFIF full range:
	// convert it here the way libwebp does.
	switch s := m.(type) {
	case *image.YCbCr:
		dst := &RGB{W: s.Rect.Dx(), H: s.Rect.Dy(), Pix: make([]uint8, s.Rect.Dx()*s.Rect.Dy()*3), Scale: 1}
		ycbcrToRGB(dst.Pix, s, nil, 0, dst.W, dst.H, true)
		return dst, nil
	case *image.NYCbCrA:
		dst := &RGB{W: s.Rect.Dx(), H: s.Rect.Dy(), Pix: make([]uint8, s.Rect.Dx()*s.Rect.Dy()*3), Scale: 1}
		ycbcrToRGB(dst.Pix, &s.YCbCr, s.A, s.AStride, dst.W, dst.H, true)
		return dst, nil
	}
	return toRGB(m), nil
}

// toRGB converts a decoded image to packed RGB, compositing any alpha on
// white. The common concrete types are converted without per-pixel
// interface calls.
func toRGB(m image.Image) *RGB {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := &RGB{W: w, H: h, Pix: make([]uint8, w*h*3), Scale: 1}
	p := dst.Pix
	switch s := m.(type) {
	case *image.RGBA: // premultiplied: c + (255-a) is c over white
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w*4]
			out := p[y*w*3:]
			for x := 0; x < w; x++ {
				na := 255 - row[4*x+3]
				out[3*x], out[3*x+1], out[3*x+2] = row[4*x]+na, row[4*x+1]+na, row[4*x+2]+na
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w*4]
			out := p[y*w*3:]
			for x := 0; x < w; x++ {
				a := uint32(row[4*x+3])
				for c := 0; c < 3; c++ {
					out[3*x+c] = uint8((uint32(row[4*x+c])*a + 255*(255-a) + 127) / 255)
				}
			}
		}
	case *image.RGBA64: // premultiplied, 16-bit big-endian
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w*8]
			out := p[y*w*3:]
			for x := 0; x < w; x++ {
				a := uint32(row[8*x+6])<<8 | uint32(row[8*x+7])
				for c := 0; c < 3; c++ {
					v := uint32(row[8*x+2*c])<<8 | uint32(row[8*x+2*c+1])
					out[3*x+c] = to8(v + 0xffff - a)
				}
			}
		}
	case *image.NRGBA64:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w*8]
			out := p[y*w*3:]
			for x := 0; x < w; x++ {
				a := uint64(row[8*x+6])<<8 | uint64(row[8*x+7])
				for c := 0; c < 3; c++ {
					v := uint64(row[8*x+2*c])<<8 | uint64(row[8*x+2*c+1])
					out[3*x+c] = to8(uint32((v*a + 0xffff*(0xffff-a) + 0x7fff) / 0xffff))
				}
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w]
			out := p[y*w*3:]
			for x, v := range row {
				out[3*x], out[3*x+1], out[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w*2]
			out := p[y*w*3:]
			for x := 0; x < w; x++ {
				v := to8(uint32(row[2*x])<<8 | uint32(row[2*x+1]))
				out[3*x], out[3*x+1], out[3*x+2] = v, v, v
			}
		}
	case *image.Paletted:
		var lut [256][3]uint8
		for i, c := range s.Palette {
			r, g, bl, a := c.RGBA() // premultiplied 16-bit
			lut[i] = [3]uint8{to8(r + 0xffff - a), to8(g + 0xffff - a), to8(bl + 0xffff - a)}
		}
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w]
			out := p[y*w*3:]
			for x, i := range row {
				c := lut[i]
				out[3*x], out[3*x+1], out[3*x+2] = c[0], c[1], c[2]
			}
		}
	case *image.YCbCr:
		ycbcrToRGB(p, s, nil, 0, w, h, false)
	case *image.NYCbCrA:
		ycbcrToRGB(p, &s.YCbCr, s.A, s.AStride, w, h, false)
	case *image.CMYK:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w*4]
			out := p[y*w*3:]
			cmykToRGB(out, row, w, false)
		}
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, a := m.At(x, y).RGBA()
				p[i], p[i+1], p[i+2] = to8(r+0xffff-a), to8(g+0xffff-a), to8(bl+0xffff-a)
				i += 3
			}
		}
	}
	return dst
}

// to8 rounds a 16-bit channel value to 8 bits.
func to8(v uint32) uint8 {
	if v >= 0xffff {
		return 255
	}
	return uint8((v*255 + 32767) / 65535)
}

// ycbcrToRGB converts with the standard library's JFIF (full-range)
// formula, or with libwebp's BT.601 limited-range one when video is set;
// alpha, when given, composites on white.
func ycbcrToRGB(p []uint8, s *image.YCbCr, alpha []uint8, aStride, w, h int, video bool) {
	b := s.Rect
	for y := 0; y < h; y++ {
		out := p[y*w*3:]
		yi := y * s.YStride
		for x := 0; x < w; x++ {
			ci := s.COffset(b.Min.X+x, b.Min.Y+y)
			var r, g, bl uint8
			if video {
				r, g, bl = videoYUVToRGB(s.Y[yi+x], s.Cb[ci], s.Cr[ci])
			} else {
				r, g, bl = color.YCbCrToRGB(s.Y[yi+x], s.Cb[ci], s.Cr[ci])
			}
			if alpha != nil {
				a := uint32(alpha[y*aStride+x])
				r = uint8((uint32(r)*a + 255*(255-a) + 127) / 255)
				g = uint8((uint32(g)*a + 255*(255-a) + 127) / 255)
				bl = uint8((uint32(bl)*a + 255*(255-a) + 127) / 255)
			}
			out[3*x], out[3*x+1], out[3*x+2] = r, g, bl
		}
	}
}

// cmykToRGB converts n CMYK pixels (4 bytes each) to RGB. inverted means
// Adobe's convention, where 255 is no ink (libjpeg's raw output for files
// with an Adobe marker); otherwise 255 is full ink (image.CMYK).
func cmykToRGB(out, in []uint8, n int, inverted bool) {
	for x := 0; x < n; x++ {
		c, m, y, k := uint32(in[4*x]), uint32(in[4*x+1]), uint32(in[4*x+2]), uint32(in[4*x+3])
		if !inverted {
			c, m, y, k = 255-c, 255-m, 255-y, 255-k
		}
		out[3*x] = uint8((c*k + 127) / 255)
		out[3*x+1] = uint8((m*k + 127) / 255)
		out[3*x+2] = uint8((y*k + 127) / 255)
	}
}

// videoYUVToRGB is libwebp's VP8YuvToRgb (src/dsp/yuv.h): BT.601 limited
// range, 14-bit fixed point.
func videoYUVToRGB(y, u, v uint8) (r, g, b uint8) {
	mh := func(v, c int32) int32 { return (v * c) >> 8 }
	clip := func(v int32) uint8 {
		if v&^16383 == 0 {
			return uint8(v >> 6)
		}
		if v < 0 {
			return 0
		}
		return 255
	}
	Y, U, V := int32(y), int32(u), int32(v)
	r = clip(mh(Y, 19077) + mh(V, 26149) - 14234)
	g = clip(mh(Y, 19077) - mh(U, 6419) - mh(V, 13320) + 8708)
	b = clip(mh(Y, 19077) + mh(U, 33050) - 17685)
	return r, g, b
}
