package face

import "testing"

// fillTensorRef (the straightforward interleaved version) writes the packed RGB image pix (w x h) into dst, a CHW float
// tensor of tw x th (tw >= w, th >= h), normalised by n. The area right of and
// below the image is padding: black, normalised. One pass over the input,
// three output planes (for BGR the R and B planes trade places).
func fillTensorRef(dst []float32, tw, th int, pix []uint8, w, h int, n *norm) {
	plane := tw * th
	pr, pg, pb := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	lr, lg, lb := &n.lut[0], &n.lut[1], &n.lut[2]
	if n.bgr {
		pr, pb = pb, pr
		lr, lb = lb, lr
	}
	for y := 0; y < h; y++ {
		o := y * tw
		rr, rg, rb := pr[o:o+w], pg[o:o+w], pb[o:o+w]
		rg, rb = rg[:len(rr)], rb[:len(rr)]
		in := pix[y*w*3 : y*w*3+w*3]
		in = in[:len(rr)*3]
		for x := range rr {
			j := x * 3
			b, g, r := in[j+2], in[j+1], in[j]
			rr[x] = lr[r]
			rg[x] = lg[g]
			rb[x] = lb[b]
		}
		for x := w; x < tw; x++ {
			pr[o+x], pg[o+x], pb[o+x] = lr[0], lg[0], lb[0]
		}
	}
	for i := h * tw; i < plane; i++ {
		pr[i], pg[i], pb[i] = lr[0], lg[0], lb[0]
	}
}

// fillTensor gives exactly the reference's tensor, for both channel orders,
// odd widths and padding.
func TestFillTensorMatchesReference(t *testing.T) {
	for _, sz := range [][4]int{{640, 443, 640, 448}, {637, 443, 640, 448}, {5, 3, 32, 32}, {640, 640, 640, 640}} {
		w, h, tw, th := sz[0], sz[1], sz[2], sz[3]
		pix := make([]uint8, w*h*3)
		for i := range pix {
			pix[i] = uint8(i * 7)
		}
		for _, order := range []string{"BGR", "RGB"} {
			n := newNorm(order, [3]float32{1, 2, 3}, [3]float32{2, 3, 4})
			want, got := make([]float32, 3*tw*th), make([]float32, 3*tw*th)
			fillTensorRef(want, tw, th, pix, w, h, n)
			fillTensor(got, tw, th, pix, w, h, n)
			for i := range want {
				if want[i] != got[i] {
					t.Fatalf("%v %s: differ at %d: %v != %v", sz, order, i, got[i], want[i])
				}
			}
		}
	}
}
