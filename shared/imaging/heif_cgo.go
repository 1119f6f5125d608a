//go:build cgo

package imaging

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// The few libheif declarations used here, copied from libheif/heif.h
// (stable since libheif 1.x), so building needs no libheif headers and the
// binary no libheif: it is loaded with dlopen when a HEIF photo arrives.
struct heif_error { int code; int subcode; const char *message; };
struct heif_context;
struct heif_image_handle;
struct heif_image;
enum { dp_heif_colorspace_RGB = 1, dp_heif_chroma_interleaved_RGB = 10, dp_heif_channel_interleaved = 10 };

static struct heif_context *(*p_ctx_alloc)(void);
static void (*p_ctx_free)(struct heif_context *);
static struct heif_error (*p_read)(struct heif_context *, const void *, size_t, const void *);
static struct heif_error (*p_primary)(struct heif_context *, struct heif_image_handle **);
static void (*p_handle_release)(const struct heif_image_handle *);
static int (*p_handle_w)(const struct heif_image_handle *);
static int (*p_handle_h)(const struct heif_image_handle *);
static struct heif_error (*p_decode)(const struct heif_image_handle *, struct heif_image **, int, int, const void *);
static int (*p_img_w)(const struct heif_image *, int);
static int (*p_img_h)(const struct heif_image *, int);
static const uint8_t *(*p_plane)(const struct heif_image *, int, int *);
static void (*p_img_release)(const struct heif_image *);

// dp_heif_load returns 0 when libheif and every symbol were found.
static int dp_heif_load(char *msg, int msglen) {
	void *lib = dlopen("libheif.so.1", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		snprintf(msg, msglen, "%s", dlerror());
		return -1;
	}
#define SYM(p, name) if ((*(void **)&p = dlsym(lib, name)) == NULL) { snprintf(msg, msglen, "missing %s", name); return -1; }
	SYM(p_ctx_alloc, "heif_context_alloc")
	SYM(p_ctx_free, "heif_context_free")
	SYM(p_read, "heif_context_read_from_memory_without_copy")
	SYM(p_primary, "heif_context_get_primary_image_handle")
	SYM(p_handle_release, "heif_image_handle_release")
	SYM(p_handle_w, "heif_image_handle_get_width")
	SYM(p_handle_h, "heif_image_handle_get_height")
	SYM(p_decode, "heif_decode_image")
	SYM(p_img_w, "heif_image_get_width")
	SYM(p_img_h, "heif_image_get_height")
	SYM(p_plane, "heif_image_get_plane_readonly")
	SYM(p_img_release, "heif_image_release")
#undef SYM
	return 0;
}

// dp_heif_run parses buf and reads the primary image's size (after its
// irot/imir transforms) into *w, *h. When dst is not NULL and the size is
// exactly dw x dh, it also decodes into dst as packed RGB (when the decoded
// size differs, it returns 2 with the real size in *w, *h). Everything is
// allocated and freed within this call, so libheif never keeps buf.
static int dp_heif_run(const void *buf, size_t len, int *w, int *h,
                       uint8_t *dst, int dw, int dh, char *msg, int msglen) {
	struct heif_context *ctx = p_ctx_alloc();
	struct heif_image_handle *hd = NULL;
	struct heif_image *img = NULL;
	int rc = -1;
	struct heif_error e = p_read(ctx, buf, len, NULL);
	if (e.code != 0) goto out;
	e = p_primary(ctx, &hd);
	if (e.code != 0) goto out;
	*w = p_handle_w(hd);
	*h = p_handle_h(hd);
	if (dst == NULL) { rc = 0; goto out; }
	e = p_decode(hd, &img, dp_heif_colorspace_RGB, dp_heif_chroma_interleaved_RGB, NULL);
	if (e.code != 0) goto out;
	*w = p_img_w(img, dp_heif_channel_interleaved);
	*h = p_img_h(img, dp_heif_channel_interleaved);
	if (*w != dw || *h != dh) {
		rc = 2; // the caller allocates *w x *h and calls again
		goto out;
	}
	int stride = 0;
	const uint8_t *p = p_plane(img, dp_heif_channel_interleaved, &stride);
	if (p == NULL || stride < dw * 3) {
		snprintf(msg, msglen, "no interleaved RGB plane");
		goto out;
	}
	for (int y = 0; y < dh; y++) memcpy(dst + (size_t)y * dw * 3, p + (size_t)y * stride, (size_t)dw * 3);
	rc = 0;
out:
	if (rc != 0 && e.code != 0) snprintf(msg, msglen, "%s", e.message ? e.message : "libheif error");
	if (img) p_img_release(img);
	if (hd) p_handle_release(hd);
	p_ctx_free(ctx);
	return rc;
}
*/
import "C"

import "github.com/divinepic/pipeline/shared/domain"

import (
	"errors"
	"sync"
	"unsafe"
)

var heifLoad = sync.OnceValue(func() error {
	var msg [256]C.char
	if C.dp_heif_load(&msg[0], C.int(len(msg))) != 0 {
		return errors.New(C.GoString(&msg[0]))
	}
	return nil
})

// heifAvailable reports why HEIF photos cannot be decoded, or nil.
func heifAvailable() error { return heifLoad() }

// heifHeader reads the size through libheif (box parsing only, no pixel
// decoding). The orientation is 1: libheif applies the file's irot/imir.
func heifHeader(data []byte, format string) (header, error) {
	if err := heifLoad(); err != nil {
		return header{}, &domain.ImageUnsupported{Reason: "unsupported image format " + format + ": libheif (libheif1) is not installed", Err: err}
	}
	var w, h C.int
	var msg [256]C.char
	if C.dp_heif_run(unsafe.Pointer(&data[0]), C.size_t(len(data)), &w, &h, nil, 0, 0, &msg[0], C.int(len(msg))) != 0 {
		return header{}, unreadable("corrupt or truncated "+format+" header", errors.New(C.GoString(&msg[0])))
	}
	return header{format: format, w: int(w), h: int(h), orientation: 1}, nil
}

func decodeHEIF(data []byte, h header, maxPixels int64) (*RGB, error) {
	if err := heifLoad(); err != nil {
		return nil, &domain.ImageUnsupported{Reason: "unsupported image format " + h.format + ": libheif (libheif1) is not installed", Err: err}
	}
	w, ht := h.w, h.h
	for try := 0; try < 2; try++ {
		buf := make([]uint8, w*ht*3)
		var gw, gh C.int
		var msg [256]C.char
		rc := C.dp_heif_run(unsafe.Pointer(&data[0]), C.size_t(len(data)), &gw, &gh,
			(*C.uint8_t)(unsafe.Pointer(&buf[0])), C.int(w), C.int(ht), &msg[0], C.int(len(msg)))
		switch rc {
		case 0:
			return &RGB{W: w, H: ht, Pix: buf, Scale: 1}, nil
		case 2:
			// The decoded size (after libheif's transforms) differs
			// from the header's: check it against the budget and
			// decode again into a buffer of the right size.
			w, ht = int(gw), int(gh)
			if err := checkBudget(header{format: h.format, w: w, h: ht}, maxPixels); err != nil {
				return nil, err
			}
			continue
		}
		return nil, unreadable("corrupt or truncated "+h.format, errors.New(C.GoString(&msg[0])))
	}
	return nil, unreadable("corrupt "+h.format+": its size changes between decodes", nil)
}
