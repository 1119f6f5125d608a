package domain

import (
	"errors"
	"regexp"
)

// ErrInternal is the name of InternalError.
const ErrInternal = "InternalError"

// InternalError: a step failed for a reason that is neither the photo's nor
// the input's (a store that refuses a write, a damaged file, a bug). The
// workflow does not catch it by name: the album execution fails with it,
// and its message says what failed, without the server's file paths.
type InternalError struct {
	Message string
}

func (e *InternalError) Error() string { return e.Message }

// ForWorkflow returns err as a step hands it to Step Functions (the Lambda
// edge): a named error of this package keeps its type, also when wrapped
// (its type name is what ErrorEquals matches); any other error becomes an
// InternalError, never a "wrapError". In every message, absolute file paths
// are cut to their last element, so no caller of the API learns the
// server's directories.
func ForWorkflow(err error) error {
	if err == nil {
		return nil
	}
	var (
		unreadable  *ImageUnreadable
		unsupported *ImageUnsupported
		missing     *ObjectMissing
		transient   *TransientStoreError
		invalid     *InvalidInput
		engine      *EngineError
		unavailable *EngineUnavailable
		internal    *InternalError
		notFound    *AlbumNotFound
		empty       *AlbumEmpty
	)
	switch {
	case errors.As(err, &unreadable):
		c := *unreadable
		c.Reason, c.Err = ScrubPaths(c.Reason), scrubbed(c.Err)
		return &c
	case errors.As(err, &unsupported):
		c := *unsupported
		c.Reason, c.Err = ScrubPaths(c.Reason), scrubbed(c.Err)
		return &c
	case errors.As(err, &missing):
		c := *missing
		c.Key = ScrubPaths(c.Key)
		return &c
	case errors.As(err, &transient):
		c := *transient
		c.Op, c.Err = ScrubPaths(c.Op), scrubbed(c.Err)
		return &c
	case errors.As(err, &invalid):
		c := *invalid
		c.Reason = ScrubPaths(c.Reason)
		return &c
	case errors.As(err, &engine):
		c := *engine
		c.Op, c.Err = ScrubPaths(c.Op), scrubbed(c.Err)
		return &c
	case errors.As(err, &unavailable):
		c := *unavailable
		c.Err = scrubbed(c.Err)
		return &c
	case errors.As(err, &notFound):
		c := *notFound
		return &c
	case errors.As(err, &empty):
		c := *empty
		return &c
	case errors.As(err, &internal):
		return &InternalError{Message: ScrubPaths(internal.Message)}
	}
	return &InternalError{Message: ScrubPaths(err.Error())}
}

func scrubbed(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(ScrubPaths(err.Error()))
}

// absPath is an absolute path with at least one directory, at the start of
// the text or after a space, quote, parenthesis or '='.
var absPath = regexp.MustCompile(`(^|[\s"'(=\[])/(?:[^\s"'()\[\]:,;]+/)+([^\s"'()\[\]:,;/]*)`)

// ScrubPaths cuts every absolute file path in s to its last element:
// "open /srv/data/vectors/x.vlog: ..." becomes "open x.vlog: ...".
func ScrubPaths(s string) string {
	return absPath.ReplaceAllString(s, "$1$2")
}
