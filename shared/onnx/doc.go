// Package onnx owns ONNX Runtime inside the process: finding the shared
// library, initialising the runtime environment once, and sessions that are
// created once and reused for every Run, with their input and output tensors
// kept between Runs so that a steady stream of same-sized inputs allocates
// nothing.
//
// It knows nothing about faces or images: callers fill the input tensor and
// read the outputs through callbacks (see Session.Run).
//
// # Version pairing
//
// github.com/yalue/onnxruntime_go v1.27.0 speaks ONNX Runtime's C API level of
// release 1.24, so it needs a libonnxruntime >= 1.24. The project uses
// ORTVersion (1.24.3), the build published in the npm package
// onnxruntime-node (file package/bin/napi-v6/linux/x64/libonnxruntime.so.1);
// `make setup` puts it at LibraryPath's cache location.
//
// # Concurrency
//
// A Session is safe for concurrent callers: it holds one mutex, and a Run
// holds it from filling the input to the end of reading the outputs, so
// concurrent callers are serialised on that session. For parallel inference
// open one Session per worker (each with its own intra-op threads); ONNX
// Runtime shares the environment between them.
package onnx
