package webapp

import (
	"encoding/json"
	"errors"
	"log"
	"net/http"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/steps"
)

// The API's error codes: stable, part of the API (README lists them).
const (
	CodeBadRequest      = "bad_request"
	CodeUnauthenticated = "unauthenticated"
	CodeCSRF            = "csrf_token_invalid"
	CodeLinkInvalid     = "link_invalid"
	CodeLinkExpired     = "link_expired"
	CodeNotFound        = "not_found"
	CodeAlbumExists     = "album_exists"
	CodeTooLarge        = "too_large"
	CodeNotAnImage      = "not_an_image"
	CodeChecksum        = "checksum_mismatch"
	CodeNoFace          = "no_face"
	CodeSeveralFaces    = "several_faces"
	CodeNotProcessed    = "album_not_processed"
	CodeRateLimited     = "rate_limited"
	CodeMethod          = "method_not_allowed"
	CodeInternal        = "internal"
	CodeUnavailable     = "unavailable"
)

// apiError is an error the API shows as is: status, code, message.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

var (
	errUnauthenticated = errorf(http.StatusUnauthorized, CodeUnauthenticated, "sign in with a photographer token (divinepic token create prints one)")
	errNotFound        = errorf(http.StatusNotFound, CodeNotFound, "no such album or photo, or not yours")
)

// writeError sends err as the API's JSON error. Errors that are not API
// errors are logged and shown as a generic message: their text may hold
// paths or internals.
func writeError(w http.ResponseWriter, err error) {
	ae := toAPIError(err)
	if ae.Status >= 500 {
		log.Printf("webapp: %v", err)
	}
	if ae.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, ae.Status, map[string]*apiError{"error": ae})
}

func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "the request is too large")
	}
	var bad *domain.InvalidInput
	if errors.As(err, &bad) {
		switch {
		case bad.Field == "image" && bad.Reason == steps.ReasonNoFace:
			return errorf(http.StatusUnprocessableEntity, CodeNoFace, "no face found in your selfie: take one in good light, facing the camera")
		case bad.Field == "image" && bad.Reason == steps.ReasonSeveralFaces:
			return errorf(http.StatusUnprocessableEntity, CodeSeveralFaces, "several faces in your selfie: take one that shows only you")
		}
		return errorf(http.StatusBadRequest, CodeBadRequest, bad.Field+": "+bad.Reason)
	}
	var unreadable *domain.ImageUnreadable
	var unsupported *domain.ImageUnsupported
	if errors.As(err, &unreadable) || errors.As(err, &unsupported) {
		return errorf(http.StatusUnprocessableEntity, CodeNotAnImage, "this file cannot be read as a photo: send a JPEG, PNG, WebP or HEIC photo")
	}
	if domain.IsTransient(err) {
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "the store is busy: try again in a moment")
	}
	return errorf(http.StatusInternalServerError, CodeInternal, "something went wrong on our side: try again, and tell the photographer if it persists")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
