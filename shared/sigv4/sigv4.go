// Package sigv4 verifies requests signed with AWS Signature Version 4
// (AWS4-HMAC-SHA256 in the Authorization header), as the project's local
// AWS protocol servers (shared/sfnapi, shared/secretsserver) check them: one
// access key, one region, one signing service, the body's hash and a clock
// within 5 minutes. A refusal is the error AWS returns (its type and
// message); each server writes it in its own protocol. It signs nothing:
// clients are the real AWS SDK's.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/httpbinding"
)

// Credentials are the access key a client signs its requests with (AWS
// Signature Version 4).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// maxSkew is how far a request's X-Amz-Date may be from the server's clock,
// as on AWS: an older request is refused as expired, so a captured request
// cannot be replayed later.
const maxSkew = 5 * time.Minute

// Error type names of AWS's request authentication.
const (
	ErrMissingAuthToken    = "MissingAuthenticationTokenException"
	ErrIncompleteSignature = "IncompleteSignatureException"
	ErrInvalidSignature    = "InvalidSignatureException"
	ErrUnrecognizedClient  = "UnrecognizedClientException"
)

// Error is why a request is refused: AWS's error type name (one of the
// Err constants) and its message. Every one is a client error (HTTP 400).
type Error struct {
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

func refuse(typ, msg string) *Error { return &Error{Type: typ, Message: msg} }

// DateFormat is X-Amz-Date's: ISO 8601 basic, UTC.
const DateFormat = "20060102T150405Z"

// Verifier verifies requests signed with one access key for one region
// and one service (the name in the credential scope
// <date>/<region>/<service>/aws4_request: "states", "secretsmanager").
type Verifier struct {
	Creds   Credentials
	Region  string
	Service string
}

// Verify checks r's Authorization header (AWS4-HMAC-SHA256) against the
// access key, the region, the service, the body and the clock, and returns
// the error AWS returns for the first thing that does not hold.
func (v *Verifier) Verify(r *http.Request, body []byte, now time.Time) *Error {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return refuse(ErrMissingAuthToken, "Missing Authentication Token")
	}
	fields, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return refuse(ErrIncompleteSignature, "Authorization header requires the AWS4-HMAC-SHA256 algorithm.")
	}
	params := map[string]string{}
	for _, f := range strings.Split(fields, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(f), "=")
		params[k] = val
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if params[k] == "" {
			return refuse(ErrIncompleteSignature, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	scope := strings.Split(params["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return refuse(ErrIncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.")
	}
	if r.Header.Get("X-Amz-Security-Token") != "" || !hmac.Equal([]byte(scope[0]), []byte(v.Creds.AccessKeyID)) {
		return refuse(ErrUnrecognizedClient, "The security token included in the request is invalid.")
	}
	stamp := r.Header.Get("X-Amz-Date")
	if stamp == "" {
		return refuse(ErrIncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	t, err := time.Parse(DateFormat, stamp)
	if err != nil {
		return refuse(ErrIncompleteSignature, "X-Amz-Date must be in the ISO8601 Long Format (yyyyMMdd'T'HHmmss'Z').")
	}
	now = now.UTC()
	if t.Before(now.Add(-maxSkew)) {
		return refuse(ErrInvalidSignature, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			stamp, now.Add(-maxSkew).Format(DateFormat), now.Format(DateFormat)))
	}
	if t.After(now.Add(maxSkew)) {
		return refuse(ErrInvalidSignature, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			stamp, now.Add(maxSkew).Format(DateFormat), now.Format(DateFormat)))
	}
	if scope[1] != stamp[:8] {
		return refuse(ErrInvalidSignature, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", scope[1], stamp[:8], stamp))
	}
	if scope[2] != v.Region {
		return refuse(ErrInvalidSignature, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", scope[2]))
	}
	if scope[3] != v.Service {
		return refuse(ErrInvalidSignature, fmt.Sprintf("Credential should be scoped to correct service: '%s'.", v.Service))
	}
	signed := strings.Split(params["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") {
		return refuse(ErrIncompleteSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !slices.Contains(signed, "x-amz-date") {
		return refuse(ErrIncompleteSignature, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return refuse(ErrInvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	want := v.signature(canonicalRequest(r, signed, payloadHash), stamp, strings.Join(scope[1:], "/"))
	if !hmac.Equal([]byte(want), []byte(params["Signature"])) {
		return refuse(ErrInvalidSignature, "The request signature we calculated does not match the signature you provided. "+
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return nil
}

// canonicalRequest is the request as Signature Version 4 hashes it.
func canonicalRequest(r *http.Request, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	// The path as sent, URI-encoded once more: every service but S3 signs
	// it so (and so does the SDK's signer).
	b.WriteString(httpbinding.EscapePath(path, false) + "\n")
	b.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	for _, h := range signed {
		var vals []string
		if h == "host" {
			vals = []string{r.Host}
		} else {
			vals = r.Header.Values(h)
		}
		for i, s := range vals {
			vals[i] = stripSpaces(s)
		}
		b.WriteString(h + ":" + strings.Join(vals, ",") + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String()
}

// stripSpaces trims a header value's spaces and makes each run of spaces
// one, as Signature Version 4 (and the SDK's signer) does: spaces only, so
// a tab inside a value is signed as it is.
func stripSpaces(s string) string {
	s = strings.Trim(s, " ")
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	return s
}

func canonicalQuery(q url.Values) string {
	var parts []string
	for k, vs := range q {
		for _, v := range vs {
			parts = append(parts, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

// awsEscape percent-encodes everything but A-Z, a-z, 0-9, '-', '_', '.', '~'.
func awsEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// signature is the hex HMAC of the string to sign under the key derived
// for scope (date/region/service/aws4_request).
func (v *Verifier) signature(canonical, stamp, scope string) string {
	digest := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(digest[:])
	key := []byte("AWS4" + v.Creds.SecretAccessKey)
	for _, part := range strings.Split(scope, "/") {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
