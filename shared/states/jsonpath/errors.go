package jsonpath

import "fmt"

// NoMatch reports that a definite path selected nothing in the data
// (AWS: "The JSONPath ... could not be found in the input").
type NoMatch struct {
	Path string
}

func (e *NoMatch) Error() string {
	return fmt.Sprintf("jsonpath: %q matched nothing in the input", e.Path)
}

// SetFailure reports that a value could not be placed at a Reference Path,
// for example because a node on the way is a string, not an object.
type SetFailure struct {
	Path   string
	Reason string
}

func (e *SetFailure) Error() string {
	return fmt.Sprintf("jsonpath: cannot set %q: %s", e.Path, e.Reason)
}

// SyntaxError reports a malformed path, or a path that is not allowed where it
// is used (for example a wildcard in a Reference Path).
type SyntaxError struct {
	Path   string
	Offset int // byte offset in Path where the problem was found
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsonpath: invalid path %q at offset %d: %s", e.Path, e.Offset, e.Msg)
}

// LimitExceeded reports a path whose evaluation would visit too many nodes
// (deeply nested filters that each scan the whole document).
type LimitExceeded struct {
	Path string
}

func (e *LimitExceeded) Error() string {
	return fmt.Sprintf("jsonpath: evaluating %q visits too many nodes; simplify its nested filters", e.Path)
}
