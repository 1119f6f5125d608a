package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/names"
)

// ORTVersion is the ONNX Runtime release the project installs and tests with.
const ORTVersion = "1.24.3"

// LibName is the library's file name in the cache and in a Lambda zip.
const LibName = names.ORTLibraryFile

// ErrNoLibrary means the ONNX Runtime shared library was not found.
var ErrNoLibrary = errors.New("ONNX Runtime library not found: run `make setup` (it installs libonnxruntime " +
	ORTVersion + " into the cache), or set " + names.EnvORTLib + " to the path of a libonnxruntime.so >= 1.24")

// LibraryPath finds the ONNX Runtime shared library: $DIVINEPIC_ORT_LIB, else
// lib/libonnxruntime.so.1 beside the executable (a Lambda zip, see
// names.BundleLibDir), else <cache>/onnxruntime/<ORTVersion>/libonnxruntime.so.1.
// The error wraps ErrNoLibrary and names the paths it tried.
func LibraryPath() (string, error) {
	if p := os.Getenv(names.EnvORTLib); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", names.EnvORTLib, p, ErrNoLibrary)
		}
		return p, nil
	}
	var tried []string
	for _, p := range []string{BundledLibraryPath(), CachedLibraryPath()} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("looked in %s: %w", strings.Join(tried, " and "), ErrNoLibrary)
}

// BundledLibraryPath is where a Lambda zip keeps the library: lib/ beside
// the executable ("" when the executable's path is unknown).
func BundledLibraryPath() string {
	return locate.BesideExecutable(filepath.Join(names.BundleLibDir, LibName))
}

// CachedLibraryPath is where `make setup` installs the library.
func CachedLibraryPath() string {
	return filepath.Join(locate.CacheDir(), "onnxruntime", ORTVersion, LibName)
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
