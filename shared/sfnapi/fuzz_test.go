package sfnapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/divinepic/pipeline/shared/sigv4"
	"github.com/divinepic/pipeline/shared/states"
)

const fuzzDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

func fuzzServer(tb testing.TB, opts ...Option) (*Server, string) {
	sm, err := states.New().Parse("fuzz", []byte(fuzzDef))
	if err != nil {
		tb.Fatal(err)
	}
	s := New(opts...)
	if err := s.AddStateMachine(sm, MachineOptions{Definition: []byte(fuzzDef)}); err != nil {
		tb.Fatal(err)
	}
	return s, sm.ARN
}

// internals are what an error message must never show: Go type and
// package names, and paths of the server's files.
var internals = regexp.MustCompile(`Go (struct|value)|wrapError|\b(json|sfn|types|states|sfnapi|main|http)\.[A-Z*]|\*[a-z]+\.[A-Z]|(^|[\s'"(])/(home|root|tmp|work|usr|var)/`)

func serve(s *Server, target string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", target)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// checkResponse: 200 or 400 with a JSON body; an error has a type and a
// message that shows nothing of the server's internals.
func checkResponse(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("status %d, body not a JSON object: %q", w.Code, w.Body.String())
	}
	switch w.Code {
	case http.StatusOK:
	case http.StatusBadRequest:
		typ, _ := out["__type"].(string)
		msg, _ := out["message"].(string)
		if typ == "" || msg == "" {
			t.Fatalf("error without type or message: %s", w.Body.String())
		}
		if internals.MatchString(msg) {
			t.Fatalf("error message shows internals: %q", msg)
		}
	default:
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	return out
}

// FuzzRequestDecoding: any body to any operation gets 200 or a 400 in the
// protocol's error shape, never a 500, a panic or a Go type name.
func FuzzRequestDecoding(f *testing.F) {
	s, arn := fuzzServer(f, WithoutSigV4())
	f.Cleanup(func() { s.Shutdown(f.Context(), "fuzz over") })
	names := make([]string, 0, len(operations))
	for n := range operations {
		names = append(names, n)
	}
	sort.Strings(names)
	for i := range names {
		f.Add(uint8(i), `{"stateMachineArn":"`+arn+`","executionArn":"`+strings.Replace(arn, "stateMachine", "execution", 1)+`:x","name":"x","input":"{}","maxResults":2,"nextToken":"eyJzIjoiIiwiayI6MX0"}`)
	}
	f.Add(uint8(0), `{"maxResults":"x"}`)
	f.Add(uint8(3), `{"stateMachineArn":1}`)
	f.Add(uint8(3), `[`)
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		target := "AWSStepFunctions." + names[int(op)%len(names)]
		checkResponse(t, serve(s, target, []byte(body), nil))
	})
}

// FuzzSigV4: no forged Authorization header or date gets through; each is
// refused with one of AWS's authentication errors.
func FuzzSigV4(f *testing.F) {
	s, _ := fuzzServer(f, WithSigV4(Credentials{AccessKeyID: "DPLOCALFUZZ000000001", SecretAccessKey: "secret"}, "local"))
	stamp := time.Now().UTC().Format(sigv4.DateFormat)
	f.Add("AWS4-HMAC-SHA256 Credential=DPLOCALFUZZ000000001/"+stamp[:8]+"/local/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", stamp)
	f.Add("AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=", "")
	f.Add("", stamp)
	f.Fuzz(func(t *testing.T, auth, date string) {
		w := serve(s, "AWSStepFunctions.ListStateMachines", []byte(`{}`), map[string]string{"Authorization": auth, "X-Amz-Date": date})
		out := checkResponse(t, w)
		switch out["__type"] {
		case sigv4.ErrMissingAuthToken, sigv4.ErrIncompleteSignature, sigv4.ErrInvalidSignature, sigv4.ErrUnrecognizedClient:
		default:
			t.Fatalf("a forged request got %d %v", w.Code, out)
		}
	})
}

// FuzzPageToken: any nextToken is refused as InvalidToken or starts a page
// of the items in order; following the tokens from there visits every
// later item once.
func FuzzPageToken(f *testing.F) {
	items := make([]int64, 50)
	for i := range items {
		items[i] = int64(i * 3)
	}
	_, next, _ := paginate("scope", items, func(k int64) int64 { return k }, false, nil, 7)
	f.Add(*next, false, uint8(7))
	f.Add("", true, uint8(1))
	f.Add("eyJzIjoic2NvcGUiLCJrIjotMX0", false, uint8(100))
	f.Fuzz(func(t *testing.T, token string, desc bool, limit uint8) {
		lim := int(limit%100) + 1
		list := items
		if desc {
			list = make([]int64, len(items))
			for i := range items {
				list[i] = items[len(items)-1-i]
			}
		}
		seen := map[int64]bool{}
		tok := &token
		for pages := 0; ; pages++ {
			page, next, aerr := paginate("scope", list, func(k int64) int64 { return k }, desc, tok, lim)
			if aerr != nil {
				if aerr.typ != errInvalidToken || pages > 0 {
					t.Fatalf("page %d: %v", pages, aerr)
				}
				return
			}
			if len(page) > lim {
				t.Fatalf("page of %d items, limit %d", len(page), lim)
			}
			for _, k := range page {
				if seen[k] {
					t.Fatalf("item %d twice", k)
				}
				seen[k] = true
			}
			if next == nil {
				return
			}
			if pages > len(items) {
				t.Fatal("pages never end")
			}
			tok = next
		}
	})
}
