package face

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/divinepic/pipeline/shared/onnx"
)

var strides = [3]int{8, 16, 32}

// decodeYuNet turns YuNet's outputs (cls, obj, bbox, kps for strides 8, 16,
// 32) for a tw x th input into faces in input pixels, keeping those with
// score = sqrt(clamp(cls)*clamp(obj)) >= thresh. The decoding is OpenCV's
// FaceDetectorYN: centre = (cell + d) * stride, size = exp(d) * stride,
// landmark = (cell + d) * stride. Outputs are found by name (cls_8, ...),
// else taken in the model's order.
func decodeYuNet(outs []onnx.Output, tw, th int, thresh float32, dst []Face) ([]Face, error) {
	if len(outs) != 12 {
		return dst, fmt.Errorf("yunet: %d outputs, want 12 (cls/obj/bbox/kps x 3 strides)", len(outs))
	}
	byName := map[string]*onnx.Output{}
	for i := range outs {
		byName[outs[i].Name] = &outs[i]
	}
	get := func(kind, i int) *onnx.Output {
		name := [4]string{"cls", "obj", "bbox", "kps"}[kind] + "_" + strconv.Itoa(strides[i])
		if o, ok := byName[name]; ok {
			return o
		}
		return &outs[kind*3+i]
	}
	for i, s := range strides {
		cols, rows := tw/s, th/s
		n := cols * rows
		cls, obj, box, kps := get(0, i), get(1, i), get(2, i), get(3, i)
		if len(cls.Data) != n || len(obj.Data) != n || len(box.Data) != 4*n || len(kps.Data) != 10*n {
			return dst, fmt.Errorf("yunet: stride %d outputs have %d/%d/%d/%d values, want %d cells for a %dx%d input",
				s, len(cls.Data), len(obj.Data), len(box.Data), len(kps.Data), n, tw, th)
		}
		sf := float32(s)
		t2 := thresh * thresh
		for idx := 0; idx < n; idx++ {
			c, o := clamp01(cls.Data[idx]), clamp01(obj.Data[idx])
			if c*o < t2 {
				continue
			}
			r, col := float32(idx/cols), float32(idx%cols)
			b := box.Data[idx*4 : idx*4+4]
			cx, cy := (col+b[0])*sf, (r+b[1])*sf
			w := float32(math.Exp(float64(b[2]))) * sf
			h := float32(math.Exp(float64(b[3]))) * sf
			f := Face{Score: float32(math.Sqrt(float64(c * o))), Box: [4]float32{cx - w/2, cy - h/2, cx + w/2, cy + h/2}}
			k := kps.Data[idx*10 : idx*10+10]
			for j := 0; j < 5; j++ {
				f.Landmarks[j] = [2]float32{(k[2*j] + col) * sf, (k[2*j+1] + r) * sf}
			}
			dst = append(dst, f)
		}
	}
	return dst, nil
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

// scrfdHeads sorts SCRFD's nine outputs into score/bbox/kps per stride by
// their shapes (element count and last dimension), not their names: the
// 500m export names them score_8..., the 2.5g export numbers them and drops
// the batch dimension. It returns the anchors per cell.
func scrfdHeads(outs []onnx.Output, tw, th int) (heads [3][3]*onnx.Output, anchors int, err error) {
	if len(outs) != 9 {
		return heads, 0, fmt.Errorf("scrfd: %d outputs, want 9 (score/bbox/kps x 3 strides; models without keypoints are not supported)", len(outs))
	}
	for i := range outs {
		o := &outs[i]
		if len(o.Shape) == 0 {
			return heads, 0, fmt.Errorf("scrfd: output %s has no shape", o.Name)
		}
		last := int(o.Shape[len(o.Shape)-1])
		kind := map[int]int{1: 0, 4: 1, 10: 2}[last]
		if last != 1 && kind == 0 {
			return heads, 0, fmt.Errorf("scrfd: output %s has shape %v, want last dimension 1, 4 or 10", o.Name, o.Shape)
		}
		n := len(o.Data) / last
		found := false
		for si, s := range strides {
			cells := (tw / s) * (th / s)
			if cells > 0 && n%cells == 0 && n/cells <= 2 {
				if a := n / cells; anchors == 0 || anchors == a {
					anchors = a
					if heads[kind][si] != nil {
						return heads, 0, fmt.Errorf("scrfd: two outputs (%s, %s) fit stride %d", heads[kind][si].Name, o.Name, s)
					}
					heads[kind][si] = o
					found = true
					break
				}
			}
		}
		if !found {
			return heads, 0, fmt.Errorf("scrfd: output %s (%d rows) fits no stride of a %dx%d input", o.Name, n, tw, th)
		}
	}
	return heads, anchors, nil
}

// decodeSCRFD turns SCRFD's outputs for a tw x th input into faces in input
// pixels, keeping scores >= thresh. The decoding is InsightFace's scrfd.py:
// anchor centres at (col, row) * stride, `anchors` per cell; box = centre -/+
// distance * stride (left, top, right, bottom); keypoint = centre + d * stride.
func decodeSCRFD(outs []onnx.Output, tw, th int, thresh float32, dst []Face) ([]Face, error) {
	heads, anchors, err := scrfdHeads(outs, tw, th)
	if err != nil {
		return dst, err
	}
	for si, s := range strides {
		cols := tw / s
		score, box, kps := heads[0][si].Data, heads[1][si].Data, heads[2][si].Data
		sf := float32(s)
		for i, sc := range score {
			if sc < thresh {
				continue
			}
			cell := i / anchors
			cx, cy := float32(cell%cols)*sf, float32(cell/cols)*sf
			b := box[i*4 : i*4+4]
			f := Face{Score: sc, Box: [4]float32{cx - b[0]*sf, cy - b[1]*sf, cx + b[2]*sf, cy + b[3]*sf}}
			k := kps[i*10 : i*10+10]
			for j := 0; j < 5; j++ {
				f.Landmarks[j] = [2]float32{cx + k[2*j]*sf, cy + k[2*j+1]*sf}
			}
			dst = append(dst, f)
		}
	}
	return dst, nil
}

// family normalises a manifest's detector family name.
func family(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
