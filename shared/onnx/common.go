package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/names"
)

// ORTVersion is the ONNX Runtime release the project installs and tests with.
const ORTVersion = "1.24.3"

// libName is the library's file name inside the cache directory.
const libName = "libonnxruntime.so.1"

// ErrNoLibrary means the ONNX Runtime shared library was not found.
var ErrNoLibrary = errors.New("ONNX Runtime library not found: run `make setup` (it installs libonnxruntime " +
	ORTVersion + " into the cache), or set " + names.EnvORTLib + " to the path of a libonnxruntime.so >= 1.24")

// LibraryPath finds the ONNX Runtime shared library: $DIVINEPIC_ORT_LIB, else
// <cache>/onnxruntime/<ORTVersion>/libonnxruntime.so.1. The error wraps
// ErrNoLibrary and names the paths it tried.
func LibraryPath() (string, error) {
	if p := os.Getenv(names.EnvORTLib); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", names.EnvORTLib, p, ErrNoLibrary)
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

// Options tune a Session.
type Options struct {
	// IntraOpThreads is ONNX Runtime's thread count inside one Run; 0 means 1
	// (one thread per worker: the pipeline scales by workers, not threads).
	IntraOpThreads int
	// MaxShapes bounds how many distinct input shapes keep their tensors
	// cached; 0 means 4. A detector sees one or two shapes (landscape,
	// portrait), a recognizer one.
	MaxShapes int
}

// Info names a model input or output and its declared shape (-1 = dynamic).
type Info struct {
	Name  string
	Shape []int64
}

// Output is one output tensor of a Run. Data is owned by the session and is
// valid only inside the read callback.
type Output struct {
	Name  string
	Shape []int64
	Data  []float32
}
