// Package domain holds the types every part of the pipeline shares: the named
// errors that Step Functions matches by name (ErrorEquals), and identifiers.
//
// aws-lambda-go reports a returned error's Go type name as the errorType that
// Step Functions matches, so every error the workflow retries or catches is a
// named type here (never a wrapped fmt.Errorf, which arrives as "wrapError").
// It owns no I/O and imports nothing from the rest of the project.
package domain

import (
	"errors"
	"fmt"
)

// ImageUnreadable: the photo cannot be decoded (empty, truncated, corrupt,
// unsupported format, or over the pixel budget). Caught and recorded by the
// workflow, never retried.
type ImageUnreadable struct {
	Key    string // the object key or file name, when known
	Reason string // what is wrong, in words a photographer understands
	Err    error  // the underlying decoder error, if any
	// Limit is set when the file may well be a good photo that this
	// deployment cannot decode: over the configured pixel budget, or a
	// format whose library is not installed. The pipeline reports those as
	// ImageUnsupported, which is retried once the deployment changes.
	Limit bool
}

func (e *ImageUnreadable) Error() string {
	msg := "image unreadable"
	if e.Key != "" {
		msg += " " + e.Key
	}
	msg += ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ImageUnreadable) Unwrap() error { return e.Err }

// ImageUnsupported: the photo may be fine, but this deployment cannot decode
// it (over the pixel budget, no HEIF library). Caught and recorded like
// ImageUnreadable, but not final: the nightly job tries it again.
type ImageUnsupported struct {
	Key    string
	Reason string
}

func (e *ImageUnsupported) Error() string {
	msg := "image unsupported here"
	if e.Key != "" {
		msg += " " + e.Key
	}
	return msg + ": " + e.Reason
}

// ObjectMissing: a blob the step needs does not exist (deleted between list
// and process, or a bad key). Caught, not retried.
type ObjectMissing struct {
	Key string
}

func (e *ObjectMissing) Error() string { return fmt.Sprintf("object missing: %s", e.Key) }

// TransientStoreError: a storage or vector-store call failed in a way that
// may succeed on a retry (throttling, 5xx, timeouts). Retried with backoff.
type TransientStoreError struct {
	Op  string // what was being done, e.g. "put faces/a/b.json"
	Err error
}

func (e *TransientStoreError) Error() string {
	return fmt.Sprintf("transient store error: %s: %v", e.Op, e.Err)
}

func (e *TransientStoreError) Unwrap() error { return e.Err }

// InvalidInput: the step's input is malformed (bad album id, bad key). Caught,
// never retried: retrying cannot fix it.
type InvalidInput struct {
	Field  string
	Reason string
}

func (e *InvalidInput) Error() string {
	return fmt.Sprintf("invalid input: %s: %s", e.Field, e.Reason)
}

// IsTransient reports whether err (or anything it wraps) is a TransientStoreError.
func IsTransient(err error) bool {
	var t *TransientStoreError
	return errors.As(err, &t)
}

// EngineError: the face engine (an ONNX Run, alignment) failed on this
// input. Caught and recorded; not retried, since the same input fails the
// same way.
type EngineError struct {
	Op  string // e.g. "detect albums/a/x.jpg"
	Err error
}

func (e *EngineError) Error() string { return fmt.Sprintf("face engine: %s: %v", e.Op, e.Err) }

func (e *EngineError) Unwrap() error { return e.Err }

// EngineUnavailable: the model pack's face engine could not be loaded
// (missing model files, no ONNX Runtime). Nothing can be processed until
// the deployment is fixed: when every photo of a run fails with it, the
// album fails.
type EngineUnavailable struct {
	Pack string
	Err  error
}

func (e *EngineUnavailable) Error() string {
	return fmt.Sprintf("face engine for model pack %s cannot be loaded: %v", e.Pack, e.Err)
}

func (e *EngineUnavailable) Unwrap() error { return e.Err }
