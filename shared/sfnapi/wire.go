package sfnapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/smithy-go/middleware"
	smithytime "github.com/aws/smithy-go/time"
)

const contentType = "application/x-amz-json-1.0"

// apiError is an error as the service reports it: a type name that the
// SDK maps to its error types, a message and an HTTP status.
type apiError struct {
	status int
	typ    string
	msg    string
}

func (e *apiError) Error() string { return e.typ + ": " + e.msg }

func clientError(typ, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: typ, msg: msg}
}

// Error type names (the shapes of the Step Functions API).
const (
	errExecutionAlreadyExists   = "ExecutionAlreadyExists"
	errExecutionDoesNotExist    = "ExecutionDoesNotExist"
	errInvalidArn               = "InvalidArn"
	errInvalidExecutionInput    = "InvalidExecutionInput"
	errInvalidName              = "InvalidName"
	errInvalidToken             = "InvalidToken"
	errStateMachineDoesNotExist = "StateMachineDoesNotExist"
	errResourceNotFound         = "ResourceNotFound"
	errValidation               = "ValidationException"
	errUnknownOperation         = "UnknownOperationException"
	errSerialization            = "SerializationException"
	errExecutionNotRedrivable   = "ExecutionNotRedrivable"
)

var (
	timeType     = reflect.TypeOf(time.Time{})
	metadataType = reflect.TypeOf(middleware.Metadata{})
)

// wire converts an SDK input/output/types struct to the value the
// awsJson1_0 protocol sends: member names with a lower-case first letter
// (the Go field names are the member names with an upper-case one), nil
// pointers, slices and maps and empty enums left out, times as epoch
// seconds with millisecond precision. With noData, the Input and Output
// members (execution data) are left out, for GetExecutionHistory's
// includeExecutionData=false.
func wire(v any, noData bool) any {
	out, _ := wireValue(reflect.ValueOf(v), noData)
	return out
}

func wireValue(v reflect.Value, noData bool) (any, bool) {
	switch v.Kind() {
	case reflect.Invalid:
		return nil, false
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, false
		}
		return wireValue(v.Elem(), noData)
	case reflect.Slice:
		if v.IsNil() {
			return nil, false
		}
		out := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			e, _ := wireValue(v.Index(i), noData)
			out = append(out, e)
		}
		return out, true
	case reflect.Map:
		if v.IsNil() {
			return nil, false
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			if e, ok := wireValue(it.Value(), noData); ok {
				out[it.Key().String()] = e
			}
		}
		return out, true
	case reflect.String:
		if v.Type() != reflect.TypeOf("") && v.Len() == 0 {
			return nil, false // an unset enum
		}
		return v.String(), true
	case reflect.Struct:
		if v.Type() == timeType {
			return smithytime.FormatEpochSeconds(v.Interface().(time.Time)), true
		}
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Type == metadataType {
				continue
			}
			if noData && (f.Name == "Input" || f.Name == "Output") {
				continue
			}
			if e, ok := wireValue(v.Field(i), noData); ok {
				out[lowerFirst(f.Name)] = e
			}
		}
		return out, true
	default:
		return v.Interface(), true
	}
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"__type": "InternalFailure", "message": "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]string{"__type": e.typ, "message": e.msg})
}
