package imaging

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/locate"
)

// fuzzSeeds adds the small test photos of every format (and their first
// kilobytes, where the headers are) to the corpus.
func fuzzSeeds(f *testing.F, whole bool) {
	dir, err := locate.TestdataDir()
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"test3_gray.jpg", "test3_progressive.jpg", "test3_cmyk.jpg", "orient6.jpg", "test3.webp", "test3_16bit.png", "test3.heic"} {
		b, err := os.ReadFile(filepath.Join(dir, "formats", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 4096)])
		if whole {
			f.Add(b)
		}
	}
	f.Add(pngWithHeader(9999, 9999, 16, 2))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x16Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03"))
}

// watchdog panics (a failure the fuzzer records) when the input takes more
// than 10 seconds: the fuzzer itself never times an input out. Call the
// function it returns when done.
func watchdog(data []byte) func() {
	t := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("hangs on %d bytes: %q", len(data), data[:min(len(data), 64)])) })
	return func() { t.Stop() }
}

// failsAsImage says err is one of the photo's errors, with a reason.
func failsAsImage(err error) bool {
	var u *domain.ImageUnreadable
	var n *domain.ImageUnsupported
	return errors.As(err, &u) && u.Reason != "" || errors.As(err, &n) && n.Reason != ""
}

// FuzzReadHeader: header and EXIF parsing never panics; it either fails
// with a *domain.ImageUnreadable or gives a known format, a size that fits
// in 32 bits and an orientation of 1..8.
func FuzzReadHeader(f *testing.F) {
	fuzzSeeds(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog(data)()
		h, err := readHeader(data)
		if err != nil {
			if !failsAsImage(err) {
				t.Fatalf("readHeader error %T %v, want *domain.ImageUnreadable or ImageUnsupported with a reason", err, err)
			}
			return
		}
		if h.w < 0 || h.h < 0 || h.w > 1<<31-1 || h.h > 1<<31-1 {
			t.Fatalf("size %dx%d", h.w, h.h)
		}
		if h.orientation < 1 || h.orientation > 8 {
			t.Fatalf("orientation %d", h.orientation)
		}
		if o := exifOrientation(data); o < 1 || o > 8 {
			t.Fatalf("exifOrientation %d", o)
		}
		switch h.format {
		case FormatJPEG, FormatPNG, FormatWebP, FormatHEIC, FormatAVIF:
		default:
			t.Fatalf("format %q", h.format)
		}
		if n := decodeBytes(h, 1280); n < 0 {
			t.Fatalf("decodeBytes %d", n)
		}
	})
}

// FuzzDecode: Decode never panics and never exceeds its budgets; what it
// returns is a well-formed image, and every failure a *domain.ImageUnreadable.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f, true)
	opt := Options{MaxPixels: 4 << 20, MaxBytes: 64 << 20, MinLongSide: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog(data)()
		img, err := Decode(data, opt)
		if err != nil {
			if !failsAsImage(err) {
				t.Fatalf("Decode error %T %v, want *domain.ImageUnreadable or ImageUnsupported with a reason", err, err)
			}
			return
		}
		if img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H*3 {
			t.Fatalf("image %dx%d with %d bytes", img.W, img.H, len(img.Pix))
		}
		if int64(img.OrigW)*int64(img.OrigH) > opt.MaxPixels {
			t.Fatalf("decoded %dx%d, over the pixel budget", img.OrigW, img.OrigH)
		}
	})
}
