package imaging

// SniffLen is how many leading bytes Sniff needs to tell every format apart.
const SniffLen = 64

// Sniff names the format of a file from its first bytes (SniffLen of them
// are enough), never from its name: supported is true for the formats
// Decode reads (JPEG, PNG, WebP, HEIC). format is "" for content that is no
// image at all, and a human name (e.g. "GIF", "TIFF (or a camera RAW
// file)") for an image format this package does not decode.
func Sniff(head []byte) (format string, supported bool) {
	f, ok := sniff(head)
	if !ok {
		return "", false
	}
	switch f {
	case FormatJPEG, FormatPNG, FormatWebP, FormatHEIC:
		return f, true
	}
	return f, false
}
