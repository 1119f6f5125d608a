package face

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/onnx"
)

// gradient is a w x h image whose red is x, green y and blue constant.
func gradient(w, h int) *imaging.RGB {
	img := &imaging.RGB{W: w, H: h, Pix: make([]uint8, w*h*3), Scale: 1, OrigW: w, OrigH: h}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 3
			img.Pix[i], img.Pix[i+1], img.Pix[i+2] = uint8(x), uint8(y), 77
		}
	}
	return img
}

func TestResizeInto(t *testing.T) {
	t.Run("same size copies", func(t *testing.T) {
		src := gradient(5, 4)
		dst := make([]uint8, len(src.Pix))
		resizeInto(dst, 5, 4, src)
		assert.Equal(t, src.Pix, dst)
	})
	t.Run("halving averages pixel pairs", func(t *testing.T) {
		src := gradient(200, 100)
		dst := make([]uint8, 100*50*3)
		resizeInto(dst, 100, 50, src)
		for _, x := range []int{0, 10, 99} {
			i := (20*100 + x) * 3
			// destination pixel x covers source 2x and 2x+1: centre 2x+0.5
			assert.InDelta(t, 2*x, int(dst[i]), 1, "red at x=%d", x)
			assert.InDelta(t, 40, int(dst[i+1]), 1, "green at y=20")
			assert.Equal(t, uint8(77), dst[i+2])
		}
	})
	t.Run("enlarging interpolates", func(t *testing.T) {
		src := gradient(10, 10)
		dst := make([]uint8, 40*40*3)
		resizeInto(dst, 40, 40, src)
		// destination x=21 has centre 21.5/4-0.5 = 4.875 in the source
		assert.InDelta(t, 4.875, float64(dst[(5*40+21)*3]), 0.6)
	})
}

func TestFillTensor(t *testing.T) {
	pix := []uint8{10, 20, 30, 40, 50, 60} // 2x1 image
	t.Run("RGB with mean/std and padding", func(t *testing.T) {
		n := newNorm("RGB", [3]float32{10, 20, 30}, [3]float32{2, 4, 5})
		dst := make([]float32, 3*3*2) // 3x2 tensor
		fillTensor(dst, 3, 2, pix, 2, 1, n)
		assert.Equal(t, []float32{0, 15, -5, -5, -5, -5}, dst[0:6])   // R: (10-10)/2, (40-10)/2, pads (0-10)/2
		assert.Equal(t, []float32{0, 7.5, -5, -5, -5, -5}, dst[6:12]) // G
		assert.Equal(t, []float32{0, 6, -6, -6, -6, -6}, dst[12:18])  // B
	})
	t.Run("BGR swaps channels", func(t *testing.T) {
		// mean and std are per tensor channel, i.e. in B, G, R order
		n := newNorm("BGR", [3]float32{1, 2, 3}, [3]float32{1, 2, 1})
		dst := make([]float32, 3*3)
		fillTensor(dst, 3, 1, pix, 2, 1, n)
		assert.Equal(t, []float32{29, 59, -1, 9, 24, -1, 7, 37, -3}, dst)
	})
}

func TestNMSAndFilter(t *testing.T) {
	faces := []Face{
		{Box: [4]float32{0, 0, 10, 10}, Score: 0.8},
		{Box: [4]float32{1, 1, 11, 11}, Score: 0.9}, // overlaps the first (IoU 0.68)
		{Box: [4]float32{50, 50, 54, 70}, Score: 0.7},
		{Box: [4]float32{100, 100, 130, 130}, Score: 0.6},
	}
	kept := nms(faces, 0.4)
	require.Len(t, kept, 3)
	assert.Equal(t, float32(0.9), kept[0].Score)
	assert.Equal(t, float32(0.7), kept[1].Score)
	kept = filterFaces(kept, 5, 0) // the 4-wide face goes
	require.Len(t, kept, 2)
	assert.Equal(t, float32(0.6), kept[1].Score)
	assert.Len(t, filterFaces(kept, 0, 1), 1)
	assert.InDelta(t, 81.0/119.0, float64(iou([4]float32{0, 0, 10, 10}, [4]float32{1, 1, 11, 11})), 1e-6)
	assert.Zero(t, iou([4]float32{0, 0, 1, 1}, [4]float32{2, 2, 3, 3}))
}

func TestDecodeYuNet(t *testing.T) {
	// a 64x32 input: stride 8 has 8x4 cells, 16 has 4x2, 32 has 2x1
	outs := make([]onnx.Output, 12)
	for k, kind := range []string{"cls", "obj", "bbox", "kps"} {
		per := []int{1, 1, 4, 10}[k]
		for i, s := range strides {
			n := (64 / s) * (32 / s)
			outs[k*3+i] = onnx.Output{Name: kind + "_" + itoa(s), Data: make([]float32, n*per)}
		}
	}
	// one face in stride-16 cell (col 2, row 1) = index 6
	outs[1].Data[6], outs[4].Data[6] = 0.81, 1.5 // cls 0.81, obj clamped to 1
	copy(outs[7].Data[6*4:], []float32{0.5, 0.25, float32(math.Log(2)), 0})
	for j := 0; j < 5; j++ {
		outs[10].Data[6*10+2*j], outs[10].Data[6*10+2*j+1] = float32(j), 0.5
	}
	faces, err := decodeYuNet(outs, 64, 32, 0.5, nil)
	require.NoError(t, err)
	require.Len(t, faces, 1)
	f := faces[0]
	assert.InDelta(t, 0.9, f.Score, 1e-6)
	// centre ((2+0.5)*16, (1+0.25)*16) = (40, 20); size 32 x 16
	assert.InDeltaSlice(t, []float32{24, 12, 56, 28}, f.Box[:], 1e-4)
	assert.Equal(t, [2]float32{(2 + 3) * 16, 1.5 * 16}, f.Landmarks[3])

	_, err = decodeYuNet(outs[:11], 64, 32, 0.5, nil)
	assert.Error(t, err)
	_, err = decodeYuNet(outs, 96, 32, 0.5, nil)
	assert.ErrorContains(t, err, "cells")
}

func itoa(i int) string { return string(rune('0'+i/10%10)) + string(rune('0'+i%10)) }

func TestDecodeSCRFDByShape(t *testing.T) {
	// 64x32 input, 2 anchors; the 2.5g layout ([N,C], numbered names) in a
	// scrambled order must decode the same as the 500m layout ([1,N,C]).
	mk := func(batchDim bool) []onnx.Output {
		var outs []onnx.Output
		for _, c := range []int{10, 1, 4} {
			for _, s := range []int{32, 8, 16} {
				n := (64 / s) * (32 / s) * 2
				shape := []int64{int64(n), int64(c)}
				if batchDim {
					shape = append([]int64{1}, shape...)
				}
				outs = append(outs, onnx.Output{Name: "x", Shape: shape, Data: make([]float32, n*c)})
			}
		}
		// stride 8: 8x4 cells; anchor 1 of cell (col 3, row 2) = row (2*8+3)*2+1 = 39
		score, box, kps := outs[4], outs[7], outs[1]
		score.Data[39] = 0.7
		copy(box.Data[39*4:], []float32{1, 2, 3, 4})
		for j := 0; j < 10; j++ {
			kps.Data[39*10+j] = 0.5
		}
		return outs
	}
	for _, batch := range []bool{false, true} {
		faces, err := decodeSCRFD(mk(batch), 64, 32, 0.5, nil)
		require.NoError(t, err)
		require.Len(t, faces, 1)
		// centre (24, 16); box = centre -/+ d*8
		assert.Equal(t, [4]float32{16, 0, 48, 48}, faces[0].Box)
		assert.Equal(t, [2]float32{28, 20}, faces[0].Landmarks[0])
		assert.Equal(t, float32(0.7), faces[0].Score)
	}
	_, err := decodeSCRFD(mk(false), 96, 32, 0.5, nil)
	assert.ErrorContains(t, err, "fits no stride")
}

func TestSimilarityRecoversKnownTransform(t *testing.T) {
	want := similarity{a: 0.8 * math.Cos(0.3), b: 0.8 * math.Sin(0.3), tx: 12, ty: -7}
	src := [][2]float64{{100, 120}, {160, 118}, {131, 150}, {105, 180}, {155, 178}}
	dst := make([][2]float64, len(src))
	for i, p := range src {
		dst[i][0], dst[i][1] = want.apply(p[0], p[1])
	}
	got, err := estimateSimilarity(src, dst)
	require.NoError(t, err)
	assert.InDelta(t, want.a, got.a, 1e-9)
	assert.InDelta(t, want.b, got.b, 1e-9)
	assert.InDelta(t, want.tx, got.tx, 1e-7)
	assert.InDelta(t, want.ty, got.ty, 1e-7)
	x, y := got.inverse().apply(got.apply(3, 4))
	assert.InDelta(t, 3, x, 1e-9)
	assert.InDelta(t, 4, y, 1e-9)

	_, err = estimateSimilarity(src[:1], dst[:1])
	assert.Error(t, err)
	_, err = estimateSimilarity([][2]float64{{1, 1}, {1, 1}}, dst[:2])
	assert.Error(t, err)
}

func TestAlignFaceSamplesTheDecodedImage(t *testing.T) {
	// landmarks exactly at the template, in original coordinates twice the
	// decoded image's: the chip must be the decoded image's top-left 112x112.
	img := gradient(200, 150)
	img.Scale = 2
	var f Face
	for i, p := range arcfaceTemplate {
		f.Landmarks[i] = [2]float32{float32(p[0] * 2), float32(p[1] * 2)}
	}
	c, err := AlignFace(img, f)
	require.NoError(t, err)
	require.NoError(t, c.Valid())
	for _, p := range [][2]int{{0, 0}, {50, 60}, {111, 111}} {
		i := (p[1]*ChipSize + p[0]) * 3
		assert.InDelta(t, p[0], int(c[i]), 1)
		assert.InDelta(t, p[1], int(c[i+1]), 1)
	}
}

func TestRotateRoundTrip(t *testing.T) {
	src := gradient(7, 4)
	buf := make([]uint8, len(src.Pix))
	for q := 1; q <= 3; q++ {
		g := rotateInto(buf, src.Pix, 7, 4, q)
		if q%2 == 1 {
			assert.Equal(t, Geometry{W: 4, H: 7}, g)
		}
		// the pixel at turned (u, v) came from the source pixel whose centre
		// unrotatePoint maps (u+0.5, v+0.5) to
		for _, uv := range [][2]int{{0, 0}, {1, 2}, {g.W - 1, g.H - 1}} {
			x, y := unrotatePoint(float32(uv[0])+0.5, float32(uv[1])+0.5, 7, 4, q)
			sx, sy := int(x), int(y)
			i := (uv[1]*g.W + uv[0]) * 3
			assert.Equal(t, uint8(sx), buf[i], "q=%d red", q)
			assert.Equal(t, uint8(sy), buf[i+1], "q=%d green", q)
		}
	}
}

func TestL2AndCosine(t *testing.T) {
	v := l2normalise([]float32{3, 4})
	assert.InDeltaSlice(t, []float32{0.6, 0.8}, v, 1e-6)
	assert.InDelta(t, 1, Cosine(v, []float32{6, 8}), 1e-6)
	assert.InDelta(t, 0, Cosine([]float32{1, 0}, []float32{0, 2}), 1e-6)
	assert.Zero(t, Cosine([]float32{1}, []float32{1, 2}))
	assert.Equal(t, []float32{0, 0}, l2normalise([]float32{0, 0}))
}

func TestChipFromRGB(t *testing.T) {
	c, err := ChipFromRGB(gradient(112, 112))
	require.NoError(t, err)
	assert.Equal(t, gradient(112, 112).Pix, []uint8(c))
	c, err = ChipFromRGB(gradient(224, 224))
	require.NoError(t, err)
	assert.Len(t, c, ChipBytes)
	_, err = ChipFromRGB(&imaging.RGB{W: 2, H: 2})
	assert.Error(t, err)
	assert.Error(t, Chip(make([]byte, 10)).Valid())
}

func TestPlan(t *testing.T) {
	d := &Detector{inW: 640, inH: 640, multipleOf: 32}
	assert.Equal(t, Geometry{W: 640, H: 427, TW: 640, TH: 448}, d.Plan(1280, 854))
	assert.Equal(t, Geometry{W: 443, H: 640, TW: 448, TH: 640}, d.Plan(886, 1280))
	assert.Equal(t, Geometry{W: 250, H: 250, TW: 256, TH: 256}, d.Plan(250, 250), "never enlarged")
	d.static = true
	assert.Equal(t, Geometry{W: 640, H: 640, TW: 640, TH: 640}, d.Plan(250, 250), "fixed input: letterboxed")
}

func TestResizeTensorEqualsResizeThenFill(t *testing.T) {
	src := gradient(300, 200)
	for i := range src.Pix {
		src.Pix[i] ^= uint8(i * 31) // some texture
	}
	for _, order := range []string{"RGB", "BGR"} {
		n := newNorm(order, [3]float32{1, 2, 3}, [3]float32{2, 3, 4})
		w, h, tw, th := 150, 100, 160, 128
		pix := make([]uint8, w*h*3)
		resizeInto(pix, w, h, src)
		want := make([]float32, 3*tw*th)
		fillTensor(want, tw, th, pix, w, h, n)
		got := make([]float32, 3*tw*th)
		resizeTensor(got, tw, th, src, w, h, n)
		assert.Equal(t, want, got, order)
	}
}
