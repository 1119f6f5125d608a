//go:build !cgo

package onnx

import "errors"

// ErrNoCgo: this binary was built with CGO_ENABLED=0 (the pure-Go Lambdas,
// which never run a model), so ONNX Runtime cannot be loaded.
var ErrNoCgo = errors.New("ONNX Runtime is not available: this binary was built without cgo (CGO_ENABLED=0); build it with cgo to run models")

// Session is not available without cgo; Open always fails.
type Session struct{}

// Init fails without cgo.
func Init() error { return ErrNoCgo }

// RuntimeVersion is empty without cgo.
func RuntimeVersion() string { return "" }

// Open fails without cgo.
func Open(path string, opts Options) (*Session, error) { return nil, ErrNoCgo }

func (s *Session) Path() string    { return "" }
func (s *Session) Input() Info     { return Info{} }
func (s *Session) Outputs() []Info { return nil }
func (s *Session) Close() error    { return nil }
func (s *Session) Run(shape []int64, fill func(in []float32) error, read func(out []Output) error) error {
	return ErrNoCgo
}
