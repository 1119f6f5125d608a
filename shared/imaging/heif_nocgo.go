//go:build !cgo

package imaging

import (
	"errors"

	"github.com/divinepic/pipeline/shared/domain"
)

func heifHeader(data []byte, format string) (header, error) {
	return header{}, &domain.ImageUnsupported{Reason: "unsupported image format " + format + ": this build has no HEIF decoder (built without cgo)"}
}

func decodeHEIF(data []byte, h header, maxPixels int64) (*RGB, error) {
	return nil, &domain.ImageUnsupported{Reason: "unsupported image format " + h.format + ": this build has no HEIF decoder (built without cgo)"}
}

func heifAvailable() error { return errNoCgo }

var errNoCgo = errors.New("built without cgo")
