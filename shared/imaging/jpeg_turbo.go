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

// dp_tj_encode compresses src (w x h packed RGB) into dst, which holds cap
// bytes (tjBufSize's bound), and returns the JPEG's length or -1.
static long dp_tj_encode(const unsigned char *src, int w, int h, int subsamp,
                         int quality, unsigned char *dst, unsigned long cap,
                         char *msg, int msglen) {
	tjhandle t = tjInitCompress();
	if (t == NULL) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(NULL));
		return -1;
	}
	unsigned char *out = dst;
	unsigned long size = cap;
	int rc = tjCompress2(t, src, w, 0, h, TJPF_RGB, &out, &size, subsamp, quality,
	                     TJFLAG_NOREALLOC | TJFLAG_FASTDCT);
	if (rc != 0) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(t));
	}
	tjDestroy(t);
	return rc != 0 ? -1 : (long)size;
}

static unsigned long dp_tj_bufsize(int w, int h, int subsamp) {
	return tjBufSize(w, h, subsamp);
}
*/
import "C"

import (
	"errors"
	"fmt"
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

// encodeJPEG compresses img through libjpeg-turbo.
func encodeJPEG(img *RGB, quality int, sub Subsampling) ([]byte, error) {
	ss := C.int(C.TJSAMP_420)
	switch sub {
	case Subsampling422:
		ss = C.TJSAMP_422
	case Subsampling444:
		ss = C.TJSAMP_444
	}
	dst := make([]byte, int(C.dp_tj_bufsize(C.int(img.W), C.int(img.H), ss)))
	var msg [256]C.char
	n := C.dp_tj_encode((*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(img.W), C.int(img.H), ss, C.int(quality),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.ulong(len(dst)), &msg[0], C.int(len(msg)))
	if n < 0 {
		return nil, fmt.Errorf("encode JPEG: %s", C.GoString(&msg[0]))
	}
	return dst[:n:n], nil
}
