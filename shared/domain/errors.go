// Package domain holds the pipeline's data model: the records it stores
// (face records, album indexes, summaries, Map results: records.go), the
// photo statuses, the one Face type with its JSON shape, the execution's
// input, and the named errors that Step Functions matches by name
// (errors.go). Where each record is stored is shared/names' key layout.
//
// aws-lambda-go reports a returned error's Go type name as the errorType that
// Step Functions matches, so every error the workflow retries or catches is a
// named type here (never a wrapped fmt.Errorf, which arrives as "wrapError"),
// and its name is one of the Err* constants (a test checks both agree).
// It owns no I/O and imports nothing from the rest of the project.
package domain

import (
	"errors"
	"fmt"
)

// The errors' names as Step Functions sees them (their Go type names), for
// ErrorEquals in statemachine.asl.json and for code that reads a Map
// result's Error.
const (
	ErrImageUnreadable     = "ImageUnreadable"
	ErrImageUnsupported    = "ImageUnsupported"
	ErrObjectMissing       = "ObjectMissing"
	ErrTransientStoreError = "TransientStoreError"
	ErrInvalidInput        = "InvalidInput"
	ErrEngineError         = "EngineError"
	ErrEngineUnavailable   = "EngineUnavailable"
	ErrAlbumNotFound       = "AlbumNotFound"
	ErrAlbumEmpty          = "AlbumEmpty"
)

// AlbumNotFound: no object at all under the album's prefix, and the album
// was never indexed (a mistyped id). The execution fails: nothing to do.
type AlbumNotFound struct {
	AlbumID, Prefix string
}

func (e *AlbumNotFound) Error() string {
	return fmt.Sprintf("album %s not found: nothing is stored under %s", e.AlbumID, e.Prefix)
}

// AlbumEmpty: the album's prefix holds objects but no photo (only sidecars
// or hidden files), and the album was never indexed. The execution fails.
type AlbumEmpty struct {
	AlbumID, Prefix string
	Objects         int // objects under the prefix that are not photos
}

func (e *AlbumEmpty) Error() string {
	return fmt.Sprintf("album %s holds no photos: the %d objects under %s are not photos (hidden files and sidecars are left out)", e.AlbumID, e.Objects, e.Prefix)
}

// ImageUnreadable: the photo's content cannot be decoded (empty, truncated,
// corrupt, not an image, a format no decoder reads). Caught and recorded by
// the workflow, never retried: final for that content.
type ImageUnreadable struct {
	Key    string // the object key or file name, when known
	Reason string // what is wrong, in words a photographer understands
	Err    error  // the underlying decoder error, if any
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

// ImageUnsupported: the photo may well be fine, but this deployment cannot
// decode it (over the pixel budget, no HEIF library). Caught and recorded
// like ImageUnreadable, but not final: the nightly job tries it again.
type ImageUnsupported struct {
	Key    string
	Reason string
	Err    error // the underlying error, if any
}

func (e *ImageUnsupported) Error() string {
	msg := "image unsupported here"
	if e.Key != "" {
		msg += " " + e.Key
	}
	msg += ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ImageUnsupported) Unwrap() error { return e.Err }

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

// ErrAlreadyStarted is wrapped by a start of an album execution whose name
// is taken already (the nightly job ran twice): nothing new was started.
// Not a workflow error; the starters of album executions return it.
var ErrAlreadyStarted = errors.New("an execution of that name exists already")

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
