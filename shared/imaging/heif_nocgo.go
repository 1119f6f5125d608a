//go:build !cgo

package imaging

import "errors"

func heifHeader(data []byte, format string) (header, error) {
	return header{}, unreadable("unsupported image format "+format+": this build has no HEIF decoder (built without cgo)", nil)
}

func decodeHEIF(data []byte, h header, maxPixels int64) (*RGB, error) {
	return nil, unreadable("unsupported image format "+h.format+": this build has no HEIF decoder (built without cgo)", nil)
}

func heifAvailable() error { return errNoCgo }

var errNoCgo = errors.New("built without cgo")
