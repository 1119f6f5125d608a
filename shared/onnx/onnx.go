//go:build cgo

package onnx

import (
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

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
