// Package imaging turns the bytes of a photo into an upright 8-bit RGB image
// that the face engine can work on, and resizes such images.
//
// It owns: recognising the format by content (magic bytes, never the file
// name): JPEG (baseline, progressive, grayscale, CMYK/YCCK), PNG (8 and
// 16 bit, palette, gray, alpha composited on white), WebP, and HEIC/AVIF;
// reading the header alone (DecodeConfig); refusing a photo over the pixel
// budget from its header, before any pixel memory is allocated; applying the
// EXIF orientation (all eight values) so pixels and coordinates are upright;
// and the fast path: JPEGs are decoded through libjpeg-turbo (cgo, linked
// statically) directly at a 1/2, 1/4 or 1/8 DCT scale when the caller needs
// fewer pixels (Options.MinLongSide). HEIC goes through libheif, loaded at run
// time with dlopen (libheif.so.1); without it HEIC photos are refused as
// unsupported and everything else works. A build without cgo falls back to
// the standard library's image/jpeg (same results, slower) and refuses HEIC.
//
// Every failure is a *domain.ImageUnreadable whose Reason names the problem
// (empty file, not an image, unsupported format, truncated, corrupt), or a
// *domain.ImageUnsupported when only this deployment's limits stop it (over
// the pixel budget, HEIC without libheif). A truncated JPEG is refused, not half-decoded: a photo with
// its lower part missing would silently lose faces, whereas a refusal is
// recorded and the photographer can upload it again.
//
// It does not own face detection, letterboxing for a model's input, or any
// I/O: callers pass bytes in.
package imaging
