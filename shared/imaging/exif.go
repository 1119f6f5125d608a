package imaging

import "encoding/binary"

// exifOrientation reads tag 0x0112 (Orientation) from IFD0 of a TIFF
// structure (the payload of a JPEG APP1 "Exif\0\0" segment after those six
// bytes, a PNG eXIf chunk, a WebP EXIF chunk). It returns 1 when the tag is
// absent, malformed or out of range: a broken EXIF block never makes a
// photo unreadable.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[0:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int64(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > int64(len(t)) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + int64(k)*12
		if e+12 > int64(len(t)) {
			return 1
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		typ, count := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		var v int
		switch {
		case typ == 3 && count >= 1: // SHORT
			v = int(bo.Uint16(t[e+8:]))
		case typ == 4 && count >= 1: // LONG, seen from some writers
			v = int(bo.Uint32(t[e+8:]))
		default:
			return 1
		}
		if v < 1 || v > 8 {
			return 1
		}
		return v
	}
	return 1
}
