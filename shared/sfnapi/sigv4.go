package sfnapi

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
)

// Credentials are the access key a client signs its requests with (AWS
// Signature Version 4).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// signingService is the service name of Step Functions in a credential
// scope (<date>/<region>/states/aws4_request).
const signingService = "states"

// maxSkew is how far a request's X-Amz-Date may be from the server's clock,
// as on AWS: an older request is refused as expired, so a captured request
// cannot be replayed later.
const maxSkew = 5 * time.Minute

// Error type names of AWS's request authentication.
const (
	errMissingAuthToken    = "MissingAuthenticationTokenException"
	errIncompleteSignature = "IncompleteSignatureException"
	errInvalidSignature    = "InvalidSignatureException"
	errUnrecognizedClient  = "UnrecognizedClientException"
)

const amzDateFormat = "20060102T150405Z"

// sigV4 verifies requests signed with one access key for one region.
type sigV4 struct {
	creds  Credentials
	region string
}

// verify checks r's Authorization header (AWS4-HMAC-SHA256) against the
// access key, the region, the service, the body and the clock, and returns
// the error AWS returns for the first thing that does not hold.
func (v *sigV4) verify(r *http.Request, body []byte, now time.Time) *apiError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return clientError(errMissingAuthToken, "Missing Authentication Token")
	}
	fields, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return clientError(errIncompleteSignature, "Authorization header requires the AWS4-HMAC-SHA256 algorithm.")
	}
	params := map[string]string{}
	for _, f := range strings.Split(fields, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(f), "=")
		params[k] = val
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if params[k] == "" {
			return clientError(errIncompleteSignature, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	scope := strings.Split(params["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return clientError(errIncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.")
	}
	if r.Header.Get("X-Amz-Security-Token") != "" || !hmac.Equal([]byte(scope[0]), []byte(v.creds.AccessKeyID)) {
		return clientError(errUnrecognizedClient, "The security token included in the request is invalid.")
	}
	stamp := r.Header.Get("X-Amz-Date")
	if stamp == "" {
		return clientError(errIncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	t, err := time.Parse(amzDateFormat, stamp)
	if err != nil {
		return clientError(errIncompleteSignature, "X-Amz-Date must be in the ISO8601 Long Format (yyyyMMdd'T'HHmmss'Z').")
	}
	now = now.UTC()
	if t.Before(now.Add(-maxSkew)) {
		return clientError(errInvalidSignature, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			stamp, now.Add(-maxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	if t.After(now.Add(maxSkew)) {
		return clientError(errInvalidSignature, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			stamp, now.Add(maxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	if scope[1] != stamp[:8] {
		return clientError(errInvalidSignature, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", scope[1], stamp[:8], stamp))
	}
	if scope[2] != v.region {
		return clientError(errInvalidSignature, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", scope[2]))
	}
	if scope[3] != signingService {
		return clientError(errInvalidSignature, fmt.Sprintf("Credential should be scoped to correct service: '%s'.", signingService))
	}
	signed := strings.Split(params["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") {
		return clientError(errIncompleteSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !slices.Contains(signed, "x-amz-date") {
		return clientError(errIncompleteSignature, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return clientError(errInvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	want := v.signature(canonicalRequest(r, signed, payloadHash), stamp, strings.Join(scope[1:], "/"))
	if !hmac.Equal([]byte(want), []byte(params["Signature"])) {
		return clientError(errInvalidSignature, "The request signature we calculated does not match the signature you provided. "+
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
	b.WriteString(path + "\n")
	b.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	for _, h := range signed {
		var vals []string
		if h == "host" {
			vals = []string{r.Host}
		} else {
			vals = r.Header.Values(h)
		}
		for i, s := range vals {
			vals[i] = strings.Join(strings.Fields(s), " ")
		}
		b.WriteString(h + ":" + strings.Join(vals, ",") + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String()
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
func (v *sigV4) signature(canonical, stamp, scope string) string {
	digest := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(digest[:])
	key := []byte("AWS4" + v.creds.SecretAccessKey)
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
