package jsonata

import "fmt"

// Error is a JSONata compile or evaluation error. Code is JSONata's error
// code (S0xxx syntax, T0xxx/T1xxx/T2xxx type, D1xxx-D3xxx dynamic, U1001
// stack overflow), Position the character offset it was found at, Token
// the operator or function name involved.
type Error struct {
	Code     string
	Position int
	Token    string
	Message  string
}

func (e *Error) Error() string {
	if e.Token != "" {
		return fmt.Sprintf("%s (%s at %d, %s)", e.Message, e.Code, e.Position, e.Token)
	}
	return fmt.Sprintf("%s (%s at %d)", e.Message, e.Code, e.Position)
}

func newErr(code string, pos int, token string, format string, args ...any) *Error {
	return &Error{Code: code, Position: pos, Token: token, Message: fmt.Sprintf(format, args...)}
}

// describe renders a value in an error message, as JSON where possible.
func describe(v any) string {
	if v == nil {
		return "undefined"
	}
	if _, ok := v.(Callable); ok {
		return "a function"
	}
	return stringValue(v, false)
}

// withPos fills in a position and token the error does not have yet.
func withPos(err error, pos int, token string) error {
	if e, ok := err.(*Error); ok {
		if e.Position < 0 {
			e.Position = pos
		}
		if e.Token == "" {
			e.Token = token
		}
	}
	return err
}
