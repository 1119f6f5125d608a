package face

// rotateInto writes src (w x h packed RGB) turned clockwise by quarter
// quarter-turns (1, 2, 3) into dst and returns the new size.
func rotateInto(dst, src []uint8, w, h, quarter int) Geometry {
	switch quarter {
	case 1: // (x, y) -> (h-1-y, x); new size h x w
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s, o := (y*w+x)*3, (x*h+(h-1-y))*3
				dst[o], dst[o+1], dst[o+2] = src[s], src[s+1], src[s+2]
			}
		}
		return Geometry{W: h, H: w}
	case 2: // (x, y) -> (w-1-x, h-1-y)
		n := w * h
		for i := 0; i < n; i++ {
			s, o := i*3, (n-1-i)*3
			dst[o], dst[o+1], dst[o+2] = src[s], src[s+1], src[s+2]
		}
		return Geometry{W: w, H: h}
	case 3: // (x, y) -> (y, w-1-x); new size h x w
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s, o := (y*w+x)*3, ((w-1-x)*h+y)*3
				dst[o], dst[o+1], dst[o+2] = src[s], src[s+1], src[s+2]
			}
		}
		return Geometry{W: h, H: w}
	}
	copy(dst, src)
	return Geometry{W: w, H: h}
}

// unrotatePoint maps a continuous point in the image turned by quarter
// clockwise quarter-turns back to the unturned w x h image.
func unrotatePoint(u, v float32, w, h, quarter int) (float32, float32) {
	switch quarter {
	case 1: // forward: u = h - y, v = x
		return v, float32(h) - u
	case 2: // forward: u = w - x, v = h - y
		return float32(w) - u, float32(h) - v
	case 3: // forward: u = y, v = w - x
		return float32(w) - v, u
	}
	return u, v
}

// unrotate maps a face found in the turned image back to the w x h image:
// landmarks point by point, the box as the bounds of its turned corners.
func unrotate(f *Face, w, h, quarter int) {
	x1, y1 := unrotatePoint(f.Box[0], f.Box[1], w, h, quarter)
	x2, y2 := unrotatePoint(f.Box[2], f.Box[3], w, h, quarter)
	f.Box = [4]float32{min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)}
	for i := range f.Landmarks {
		f.Landmarks[i][0], f.Landmarks[i][1] = unrotatePoint(f.Landmarks[i][0], f.Landmarks[i][1], w, h, quarter)
	}
}
