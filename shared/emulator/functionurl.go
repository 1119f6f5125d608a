package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/uuid"
)

// FunctionURL serves HTTP as a Lambda Function URL with InvokeMode
// RESPONSE_STREAM does: each request becomes an
// events.LambdaFunctionURLRequest (payload format 2.0: lower-case header
// names, repeated values joined by commas, the cookies also as a list, a
// body that is not UTF-8 in base64), invoked on the function; its answer
// is the streamed HTTP integration response (a JSON prelude of status,
// headers and cookies, eight NUL bytes, then the body), written back as
// the HTTP response. A function error is a 502, as the Function URL
// answers it.
type FunctionURL struct {
	Function lambda.Handler // a Process
	// MaxBody is the largest request body (default 6 MB, Lambda's
	// synchronous invocation payload).
	MaxBody int64
}

// preludeEnd separates the streamed integration response's prelude from
// its body.
var preludeEnd = []byte{0, 0, 0, 0, 0, 0, 0, 0}

func (f FunctionURL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	max := f.MaxBody
	if max == 0 {
		max = 6 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		http.Error(w, "the request body cannot be read", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > max {
		http.Error(w, fmt.Sprintf(`{"Message":"Request must be smaller than %d bytes for the InvokeFunction operation"}`, max), http.StatusRequestEntityTooLarge)
		return
	}
	payload, err := json.Marshal(FunctionURLRequest(r, body, time.Now()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out, err := f.Function.Invoke(r.Context(), payload)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(`{"Message":"Internal Server Error"}`))
		return
	}
	status, header, respBody, err := DecodeStreamingResponse(out)
	if err != nil {
		http.Error(w, fmt.Sprintf("the function's answer is not an HTTP integration response: %v", err), http.StatusBadGateway)
		return
	}
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	w.Write(respBody)
}

// FunctionURLRequest is the event a Function URL sends for r (whose body
// was read into body) at now.
func FunctionURLRequest(r *http.Request, body []byte, now time.Time) events.LambdaFunctionURLRequest {
	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	domain := r.Host // <url-id>.lambda-url.<region>.on.aws on AWS
	req := events.LambdaFunctionURLRequest{
		Version:        "2.0",
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Cookies:        cookies,
		Headers:        headers,
		RequestContext: events.LambdaFunctionURLRequestContext{
			AccountID:    "anonymous",
			RequestID:    uuid.NewString(),
			DomainName:   domain,
			DomainPrefix: strings.SplitN(domain, ".", 2)[0],
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			req.Body = string(body)
		} else {
			req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return req
}

// DecodeStreamingResponse reads a function's streamed HTTP integration
// response (events.LambdaFunctionURLStreamingResponse as it is sent): the
// status, the headers (cookies as Set-Cookie) and the body.
func DecodeStreamingResponse(out []byte) (int, http.Header, []byte, error) {
	i := bytes.Index(out, preludeEnd)
	if i < 0 {
		return 0, nil, nil, fmt.Errorf("no prelude (eight NUL bytes) in %d bytes", len(out))
	}
	var prelude struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Cookies    []string          `json:"cookies"`
	}
	if err := json.Unmarshal(out[:i], &prelude); err != nil {
		return 0, nil, nil, fmt.Errorf("prelude: %w", err)
	}
	if prelude.StatusCode == 0 {
		prelude.StatusCode = http.StatusOK
	}
	h := http.Header{}
	for k, v := range prelude.Headers {
		h.Set(k, v)
	}
	for _, c := range prelude.Cookies {
		h.Add("Set-Cookie", c)
	}
	return prelude.StatusCode, h, out[i+len(preludeEnd):], nil
}
