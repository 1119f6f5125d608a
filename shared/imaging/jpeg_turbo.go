//go:build cgo

package imaging

/*
#cgo LDFLAGS: -l:libturbojpeg.a
#include <stdio.h>
#include <string.h>
#include <turbojpeg.h>

// dp_tj_decode decodes buf into dst (w x h, pixel format pf) and returns 0,
// 1 when libjpeg only warned (the image is decoded; msg says why) or -1.
static int dp_tj_decode(const unsigned char *buf, unsigned long len,
                        unsigned char *dst, int w, int h, int pf, int flags,
                        char *msg, int msglen) {
	tjhandle t = tjInitDecompress();
	if (t == NULL) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(NULL));
		return -1;
	}
	int rc = tjDecompress2(t, buf, len, dst, w, 0, h, pf, flags);
	if (rc != 0) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(t));
		rc = tjGetErrorCode(t) == TJERR_WARNING ? 1 : -1;
	}
	tjDestroy(t);
	return rc;
}
*/
import "C"

import (
	"errors"
	"strings"
	"unsafe"
)

// decodeJPEG decodes through libjpeg-turbo directly at the DCT scale that
// jpegScale picks. TJFLAG_LIMITSCANS refuses progressive JPEGs with an
// absurd number of scans (a CPU bomb); TJFLAG_FASTDCT trades a sub-1-level
// difference in pixel values for speed, which detection does not notice.
func decodeJPEG(data []byte, h header, minLongSide int) (*RGB, error) {
	d := jpegScale(h.w, h.h, minLongSide)
	w, ht := (h.w+d-1)/d, (h.h+d-1)/d
	pf, bpp := C.int(C.TJPF_RGB), 3
	if h.components == 4 {
		pf, bpp = C.TJPF_CMYK, 4
	}
	buf := make([]uint8, w*ht*bpp)
	var msg [256]C.char
	rc := C.dp_tj_decode((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)),
		(*C.uchar)(unsafe.Pointer(&buf[0])), C.int(w), C.int(ht), pf,
		C.TJFLAG_FASTDCT|C.TJFLAG_LIMITSCANS, &msg[0], C.int(len(msg)))
	if rc != 0 {
		text := C.GoString(&msg[0])
		switch {
		case strings.Contains(text, "Premature end"):
			return nil, unreadable("truncated JPEG: the data ends before the image is complete", errors.New(text))
		case rc < 0:
			return nil, unreadable("corrupt JPEG", errors.New(text))
		}
		// Other warnings (extraneous bytes, a bad Huffman code near the
		// end) are common in camera files and leave a usable image.
	}
	img := &RGB{W: w, H: ht, Pix: buf, Scale: float64(d)}
	if bpp == 4 {
		img.Pix = make([]uint8, w*ht*3)
		cmykToRGB(img.Pix, buf, w*ht, h.adobe)
	}
	return img, nil
}
