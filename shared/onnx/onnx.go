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

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/divinepic/pipeline/shared/locate"
)

// ORTVersion is the ONNX Runtime release the project installs and tests with.
const ORTVersion = "1.24.3"

// EnvLibrary overrides where the ONNX Runtime shared library is loaded from.
const EnvLibrary = "DIVINEPIC_ORT_LIB"

// libName is the library's file name inside the cache directory.
const libName = "libonnxruntime.so.1"

// ErrNoLibrary means the ONNX Runtime shared library was not found.
var ErrNoLibrary = errors.New("ONNX Runtime library not found: run `make setup` (it installs libonnxruntime " +
	ORTVersion + " into the cache), or set " + EnvLibrary + " to the path of a libonnxruntime.so >= 1.24")

// LibraryPath finds the ONNX Runtime shared library: $DIVINEPIC_ORT_LIB, else
// <cache>/onnxruntime/<ORTVersion>/libonnxruntime.so.1. The error wraps
// ErrNoLibrary and names the paths it tried.
func LibraryPath() (string, error) {
	if p := os.Getenv(EnvLibrary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvLibrary, p, ErrNoLibrary)
		}
		return p, nil
	}
	p := CachedLibraryPath()
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("looked in %s: %w", p, ErrNoLibrary)
	}
	return p, nil
}

// CachedLibraryPath is where `make setup` installs the library.
func CachedLibraryPath() string {
	return filepath.Join(locate.CacheDir(), "onnxruntime", ORTVersion, libName)
}

var (
	initOnce sync.Once
	initErr  error
)

// Init loads the library and initialises the ONNX Runtime environment, once
// per process; later calls return the first call's result. Open calls it.
func Init() error {
	initOnce.Do(func() {
		p, err := LibraryPath()
		if err != nil {
			initErr = err
			return
		}
		ort.SetSharedLibraryPath(p)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			initErr = fmt.Errorf("initialise ONNX Runtime from %s: %w", p, err)
			return
		}
		_ = ort.DisableTelemetry()
	})
	return initErr
}

// RuntimeVersion is the version string reported by the loaded library
// (Init must have succeeded).
func RuntimeVersion() string { return ort.GetVersion() }
