package face

import (
	"math"
	"sort"
)

// iou is the intersection over union of two x1,y1,x2,y2 boxes.
func iou(a, b [4]float32) float32 {
	w := min(a[2], b[2]) - max(a[0], b[0])
	h := min(a[3], b[3]) - max(a[1], b[1])
	if w <= 0 || h <= 0 {
		return 0
	}
	inter := w * h
	union := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// nms sorts faces by score (best first) and drops every face that overlaps
// a better one by more than thresh (IoU). It reuses faces' storage.
func nms(faces []Face, thresh float32) []Face {
	sort.SliceStable(faces, func(i, j int) bool { return faces[i].Score > faces[j].Score })
	kept := faces[:0]
	for _, f := range faces {
		ok := true
		for _, k := range kept {
			if iou(f.Box, k.Box) > thresh {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, f)
		}
	}
	return kept
}

// filterFaces keeps faces whose box's shorter side is at least minSize and
// at most maxFaces of them (0: no limit), in the order given.
func filterFaces(faces []Face, minSize float32, maxFaces int) []Face {
	kept := faces[:0]
	for _, f := range faces {
		if min(f.Width(), f.Height()) >= minSize {
			kept = append(kept, f)
		}
	}
	if maxFaces > 0 && len(kept) > maxFaces {
		kept = kept[:maxFaces]
	}
	return kept
}

// affine maps a detector-input point to the original photo:
// x' = x*sx + ox, y' = y*sy + oy.
type affine struct{ sx, sy, ox, oy float32 }

func (a affine) apply(f *Face, w, h float32) {
	f.Box[0] = clamp(f.Box[0]*a.sx+a.ox, 0, w)
	f.Box[1] = clamp(f.Box[1]*a.sy+a.oy, 0, h)
	f.Box[2] = clamp(f.Box[2]*a.sx+a.ox, 0, w)
	f.Box[3] = clamp(f.Box[3]*a.sy+a.oy, 0, h)
	for i := range f.Landmarks {
		f.Landmarks[i][0] = f.Landmarks[i][0]*a.sx + a.ox
		f.Landmarks[i][1] = f.Landmarks[i][1]*a.sy + a.oy
	}
}

func clamp(v, lo, hi float32) float32 {
	return float32(math.Max(float64(lo), math.Min(float64(hi), float64(v))))
}
