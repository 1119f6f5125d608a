package imaging

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"golang.org/x/image/webp"
)

// header is what Decode learns before touching pixels.
type header struct {
	format      string
	w, h        int // as stored, before orientation
	orientation int // EXIF orientation 1-8

	// JPEG only.
	components  int
	progressive bool
	adobe       bool // an Adobe APP14 marker: 4-component data is inverted

	// PNG only (IHDR).
	bitDepth, colorType int
}

// uprightSize is the size after orientation.
func (h header) uprightSize() (int, int) {
	if h.orientation >= 5 && h.orientation <= 8 {
		return h.h, h.w
	}
	return h.w, h.h
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// sniff names the format from the first bytes. ok is false for content
// that is no image this package knows of; a known but unsupported format
// comes back with ok true and a name that is not one of the Format constants.
func sniff(b []byte) (format string, ok bool) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return FormatJPEG, true
	case bytes.HasPrefix(b, pngMagic):
		return FormatPNG, true
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return FormatWebP, true
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return sniffFtyp(b)
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "GIF", true
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "TIFF (or a camera RAW file)", true
	case len(b) >= 26 && b[0] == 'B' && b[1] == 'M' && binary.LittleEndian.Uint32(b[6:10]) == 0:
		return "BMP", true
	case bytes.HasPrefix(b, []byte("8BPS")):
		return "PSD", true
	case bytes.HasPrefix(b, []byte{0xFF, 0x0A}), bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cJXL \r\n\x87\n")):
		return "JPEG XL", true
	case bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")), bytes.HasPrefix(b, []byte{0xFF, 0x4F, 0xFF, 0x51}):
		return "JPEG 2000", true
	}
	return "", false
}

// sniffFtyp recognises ISO base media files: HEIF (HEIC, AVIF) or others
// (MP4, QuickTime video).
func sniffFtyp(b []byte) (string, bool) {
	size := int(binary.BigEndian.Uint32(b[0:4]))
	if size < 16 || size > len(b) {
		size = min(len(b), 64)
	}
	brands := []string{string(b[8:12])}
	for i := 16; i+4 <= size; i += 4 {
		brands = append(brands, string(b[i:i+4]))
	}
	heif := ""
	for _, br := range brands {
		switch br {
		case "avif", "avis":
			return FormatAVIF, true
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
			heif = FormatHEIC
		}
	}
	if heif != "" {
		return heif, true
	}
	return "ISO media (" + brands[0] + ", not a HEIF image)", true
}

// readHeader sniffs and parses the header of data. Errors are ImageUnreadable.
func readHeader(data []byte) (header, error) {
	if len(data) == 0 {
		return header{}, unreadable("empty file", nil)
	}
	format, ok := sniff(data)
	if !ok {
		return header{}, unreadable("not an image: the content is not JPEG, PNG, WebP or HEIC", nil)
	}
	var (
		h   header
		err error
	)
	switch format {
	case FormatJPEG:
		h, err = jpegHeader(data)
	case FormatPNG:
		h, err = pngHeader(data)
	case FormatWebP:
		h, err = webpHeader(data)
	case FormatHEIC, FormatAVIF:
		h, err = heifHeader(data, format)
	default:
		return header{}, unreadable("unsupported image format "+format, nil)
	}
	if err != nil {
		return header{}, err
	}
	h.format = format
	if h.orientation < 1 || h.orientation > 8 {
		h.orientation = 1
	}
	return h, nil
}

// jpegHeader walks the JPEG markers up to the first scan: the frame size
// (SOFn), EXIF orientation (APP1) and the Adobe marker (APP14).
func jpegHeader(b []byte) (header, error) {
	h := header{format: FormatJPEG, orientation: 1}
	sawFrame, sawExif := false, false
	i := 2
	for {
		// Skip to the next marker; 0xFF fill bytes may precede it.
		for i < len(b) && b[i] != 0xFF {
			i++
		}
		for i < len(b) && b[i] == 0xFF {
			i++
		}
		if i >= len(b) {
			break
		}
		m := b[i]
		i++
		if m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			continue // markers without a length
		}
		if m == 0xD9 {
			break
		}
		if i+2 > len(b) {
			break
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			break
		}
		seg := b[i+2 : i+n]
		switch {
		case m == 0xE1 && !sawExif && bytes.HasPrefix(seg, []byte("Exif\x00\x00")):
			sawExif = true
			h.orientation = exifOrientation(seg[6:])
		case m == 0xEE && len(seg) >= 12 && bytes.HasPrefix(seg, []byte("Adobe")):
			h.adobe = true
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			if len(seg) < 6 {
				return h, unreadable("corrupt JPEG: short frame header", nil)
			}
			h.h = int(binary.BigEndian.Uint16(seg[1:]))
			h.w = int(binary.BigEndian.Uint16(seg[3:]))
			h.components = int(seg[5])
			h.progressive = m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE
			sawFrame = true
			if m == 0xC3 || m == 0xC7 || m == 0xCB || m == 0xCF {
				return h, unreadable("unsupported JPEG: lossless coding", nil)
			}
		case m == 0xDA:
			if !sawFrame {
				return h, unreadable("corrupt JPEG: scan before frame header", nil)
			}
			if h.components != 1 && h.components != 3 && h.components != 4 {
				return h, unreadable(fmt.Sprintf("unsupported JPEG: %d colour components", h.components), nil)
			}
			return h, nil
		}
		i += n
	}
	if sawFrame {
		return h, unreadable("truncated JPEG: the data ends before the first scan", nil)
	}
	return h, unreadable("truncated JPEG: the data ends before the frame header", nil)
}

// pngHeader reads IHDR and, before the first IDAT, an eXIf chunk.
func pngHeader(b []byte) (header, error) {
	h := header{format: FormatPNG, orientation: 1}
	i := len(pngMagic)
	if i+8+13 > len(b) || string(b[i+4:i+8]) != "IHDR" {
		return h, unreadable("truncated PNG: no IHDR header", nil)
	}
	w := binary.BigEndian.Uint32(b[i+8:])
	ht := binary.BigEndian.Uint32(b[i+12:])
	if w > 1<<31-1 || ht > 1<<31-1 {
		return h, unreadable(fmt.Sprintf("corrupt PNG: impossible size %dx%d", w, ht), nil)
	}
	h.w, h.h = int(w), int(ht)
	h.bitDepth, h.colorType = int(b[i+16]), int(b[i+17])
	for i+8 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || i+8+n > len(b) || typ == "IDAT" {
			break
		}
		if typ == "eXIf" {
			h.orientation = exifOrientation(b[i+8 : i+8+n])
			break
		}
		i += 12 + n
	}
	return h, nil
}

// webpHeader reads the size through x/image/webp and, in an extended
// (VP8X) file, the EXIF chunk.
func webpHeader(b []byte) (header, error) {
	h := header{format: FormatWebP, orientation: 1}
	cfg, err := webp.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return h, unreadable("corrupt WebP header", err)
	}
	h.w, h.h = cfg.Width, cfg.Height
	if len(b) < 21 || string(b[12:16]) != "VP8X" || b[20]&0x08 == 0 {
		return h, nil
	}
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || i+8+n > len(b) {
			break
		}
		if string(b[i:i+4]) == "EXIF" {
			p := b[i+8 : i+8+n]
			p = bytes.TrimPrefix(p, []byte("Exif\x00\x00"))
			h.orientation = exifOrientation(p)
			break
		}
		i += 8 + n + n&1
	}
	return h, nil
}
