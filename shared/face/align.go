package face

import (
	"fmt"

	"github.com/divinepic/pipeline/shared/imaging"
)

// arcfaceTemplate is where the five landmarks of a face sit in a 112x112
// ArcFace chip (InsightFace's arcface_dst).
var arcfaceTemplate = [5][2]float64{
	{38.2946, 51.6963},
	{73.5318, 51.5014},
	{56.0252, 71.7366},
	{41.5493, 92.3655},
	{70.7299, 92.2041},
}

// similarity is x' = a*x - b*y + tx, y' = b*x + a*y + ty: a rotation, a
// uniform scale and a translation.
type similarity struct{ a, b, tx, ty float64 }

// estimateSimilarity is the least-squares similarity taking src onto dst
// (Umeyama 1991, restricted to proper rotations, which in 2-D has this
// closed form): with both point sets centred,
// a = sum(s.d)/sum|s|^2, b = sum(s x d)/sum|s|^2.
func estimateSimilarity(src, dst [][2]float64) (similarity, error) {
	n := len(src)
	if n < 2 || n != len(dst) {
		return similarity{}, fmt.Errorf("similarity needs >= 2 point pairs, got %d and %d", len(src), len(dst))
	}
	var msx, msy, mdx, mdy float64
	for i := range src {
		msx += src[i][0]
		msy += src[i][1]
		mdx += dst[i][0]
		mdy += dst[i][1]
	}
	fn := float64(n)
	msx, msy, mdx, mdy = msx/fn, msy/fn, mdx/fn, mdy/fn
	var dot, cross, ss float64
	for i := range src {
		sx, sy := src[i][0]-msx, src[i][1]-msy
		dx, dy := dst[i][0]-mdx, dst[i][1]-mdy
		dot += sx*dx + sy*dy
		cross += sx*dy - sy*dx
		ss += sx*sx + sy*sy
	}
	if ss < 1e-12 {
		return similarity{}, fmt.Errorf("similarity: source points coincide")
	}
	a, b := dot/ss, cross/ss
	return similarity{a: a, b: b, tx: mdx - (a*msx - b*msy), ty: mdy - (b*msx + a*msy)}, nil
}

func (s similarity) apply(x, y float64) (float64, float64) {
	return s.a*x - s.b*y + s.tx, s.b*x + s.a*y + s.ty
}

// inverse of s (s must not be degenerate).
func (s similarity) inverse() similarity {
	d := s.a*s.a + s.b*s.b
	ia, ib := s.a/d, -s.b/d
	return similarity{a: ia, b: ib, tx: -(ia*s.tx - ib*s.ty), ty: -(ib*s.tx + ia*s.ty)}
}

// warpChip samples the 112x112 chip from img through the inverse of m (m
// maps img pixels onto chip pixels), bilinearly; outside img is black.
func warpChip(dst Chip, img *imaging.RGB, m similarity) {
	inv := m.inverse()
	w, h := img.W, img.H
	stride := w * 3
	for v := 0; v < ChipSize; v++ {
		// x, y advance by (a, b) per chip pixel along the row
		x, y := inv.apply(0, float64(v))
		for u := 0; u < ChipSize; u++ {
			o := (v*ChipSize + u) * 3
			if x >= 0 && y >= 0 && x < float64(w-1) && y < float64(h-1) {
				x0, y0 := int(x), int(y)
				fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
				i := y0*stride + x0*3
				r0 := img.Pix[i : i+6]
				r1 := img.Pix[i+stride : i+stride+6]
				for c := 0; c < 3; c++ {
					top := float32(r0[c]) + (float32(r0[c+3])-float32(r0[c]))*fx
					bot := float32(r1[c]) + (float32(r1[c+3])-float32(r1[c]))*fx
					dst[o+c] = uint8(top + (bot-top)*fy + 0.5)
				}
			} else {
				sampleEdge(dst[o:o+3], img, x, y)
			}
			x += inv.a
			y += inv.b
		}
	}
}

// sampleEdge is warpChip's bilinear sample near or beyond the image's
// border, where missing neighbours are black.
func sampleEdge(dst []uint8, img *imaging.RGB, x, y float64) {
	if x < -1 || y < -1 || x >= float64(img.W) || y >= float64(img.H) {
		dst[0], dst[1], dst[2] = 0, 0, 0
		return
	}
	x0, y0 := int(floor(x)), int(floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	for c := 0; c < 3; c++ {
		p00 := pixel(img, x0, y0, c)
		p10 := pixel(img, x0+1, y0, c)
		p01 := pixel(img, x0, y0+1, c)
		p11 := pixel(img, x0+1, y0+1, c)
		top := p00 + (p10-p00)*fx
		bot := p01 + (p11-p01)*fx
		dst[c] = uint8(top + (bot-top)*fy + 0.5)
	}
}

// AlignFace cuts the 112x112 ArcFace chip of one face from img, whose
// landmarks are in original photo coordinates (img.Scale maps img to them).
func AlignFace(img *imaging.RGB, f Face) (Chip, error) {
	scale := img.Scale
	if scale == 0 {
		scale = 1
	}
	src := make([][2]float64, 5)
	for i, p := range f.Landmarks {
		src[i] = [2]float64{float64(p[0]) / scale, float64(p[1]) / scale}
	}
	m, err := estimateSimilarity(src, arcfaceTemplate[:])
	if err != nil {
		return nil, fmt.Errorf("align face at %v: %w", f.Box, err)
	}
	c := make(Chip, ChipBytes)
	warpChip(c, img, m)
	return c, nil
}

func floor(v float64) float64 {
	i := float64(int(v))
	if v < i {
		return i - 1
	}
	return i
}

// pixel is channel c at (x, y), black outside the image.
func pixel(img *imaging.RGB, x, y, c int) float64 {
	if x < 0 || y < 0 || x >= img.W || y >= img.H {
		return 0
	}
	return float64(img.Pix[(y*img.W+x)*3+c])
}
