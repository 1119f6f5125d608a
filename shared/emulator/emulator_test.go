package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/locate"
)

// installed is the emulator, built once into the project's cache.
func installed(t testing.TB) string {
	t.Helper()
	rie, err := Install(context.Background(), filepath.Join(locate.CacheDir(), "rie"))
	require.NoError(t, err)
	return rie
}

func TestProcessInvokes(t *testing.T) {
	rie := installed(t)
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(dir, "bootstrap"), "./testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	ctx := context.Background()
	p, err := Start(ctx, rie, Function{Name: "echo", Dir: dir, Env: map[string]string{"ECHO_ENV": "from the template"},
		MemoryMB: 128, Timeout: 10 * time.Second})
	require.NoError(t, err)
	defer p.Close()

	got, err := p.Invoke(ctx, []byte(`{"say":"hi"}`))
	require.NoError(t, err, p.Log())
	assert.JSONEq(t, `{"said":"hi","env":"from the template"}`, string(got), "the function sees exactly the environment given")

	_, err = p.Invoke(ctx, []byte(`{"fail":true}`))
	var fe messages.InvokeResponse_Error
	require.True(t, errors.As(err, &fe), "a function error: %v", err)
	assert.Equal(t, "Refused", fe.Type, "the error's Go type name, as Step Functions matches it")
	assert.Equal(t, "refused: asked to fail", fe.Message)

	_, err = p.Invoke(ctx, []byte(`{"say":"again"}`))
	require.NoError(t, err)
	reps := p.Reports()
	require.Len(t, reps, 3)
	assert.True(t, reps[0].HasInit, "the first invocation started the runtime")
	assert.False(t, reps[1].HasInit)
	assert.False(t, reps[2].HasInit, "warm invocations")
	for _, r := range reps {
		assert.Positive(t, r.Duration)
		assert.GreaterOrEqual(t, r.Wall, r.Duration, "the caller waits at least as long as the function ran")
	}
	require.NoError(t, p.Close())
}

// inProcess answers Function URL events with lambdaurl, as the app's
// bootstrap does, without a process: the round trip of FunctionURL.
type inProcess struct{ h http.Handler }

func (f inProcess) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var req events.LambdaFunctionURLRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, err
	}
	res, err := lambdaurl.Wrap(f.h)(ctx, &req)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(res)
}

func TestFunctionURL(t *testing.T) {
	var seen *http.Request
	var seenBody []byte
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		seenBody, _ = io.ReadAll(r.Body)
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", HttpOnly: true})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("short and stout"))
	})
	srv := httptest.NewServer(FunctionURL{Function: inProcess{app}})
	defer srv.Close()

	binary := []byte{0x00, 0xff, 0x80, 0x0a}
	req, err := http.NewRequest(http.MethodPut, srv.URL+"/a%2Fb/c?x=1&y=two", bytes.NewReader(binary))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Cookie", "session=s1; other=o2")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()

	assert.Equal(t, http.StatusTeapot, res.StatusCode)
	assert.Equal(t, "short and stout", string(body))
	assert.Equal(t, "text/plain", res.Header.Get("Content-Type"))
	var cookies []string
	for _, c := range res.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	assert.ElementsMatch(t, []string{"a=1", "b=2"}, cookies, "each cookie its own Set-Cookie")

	require.NotNil(t, seen)
	assert.Equal(t, http.MethodPut, seen.Method)
	assert.Equal(t, "/a%2Fb/c", seen.URL.EscapedPath())
	assert.Equal(t, "x=1&y=two", seen.URL.RawQuery)
	assert.Equal(t, binary, seenBody, "a body that is not UTF-8 arrives intact (base64 in the event)")
	assert.Equal(t, "one,two", seen.Header.Get("X-Multi"), "repeated headers joined, as payload format 2.0 does")
	s1, err := seen.Cookie("session")
	require.NoError(t, err)
	assert.Equal(t, "s1", s1.Value)
	assert.Equal(t, strings.TrimPrefix(srv.URL, "http://"), seen.Host)
	assert.Equal(t, "127.0.0.1", seen.RemoteAddr, "the source IP")

	ev := FunctionURLRequest(req, []byte("plain"), time.Unix(1700000000, 0))
	assert.Equal(t, "plain", ev.Body)
	assert.False(t, ev.IsBase64Encoded, "UTF-8 bodies are sent as they are")
	assert.Equal(t, []string{"session=s1", "other=o2"}, ev.Cookies)
	assert.Equal(t, "2.0", ev.Version)

	// A function error is the Function URL's 502.
	failing := httptest.NewServer(FunctionURL{Function: invokerFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, messages.InvokeResponse_Error{Type: "Runtime.ExitError", Message: "exit status 1"}
	})})
	defer failing.Close()
	res, err = http.Get(failing.URL + "/fail")
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusBadGateway, res.StatusCode)
	assert.JSONEq(t, `{"Message":"Internal Server Error"}`, string(body), "nothing of the error reaches the caller")

	_, _, _, err = DecodeStreamingResponse([]byte(`{"statusCode":200}`))
	assert.ErrorContains(t, err, "no prelude")
}

type invokerFunc func(context.Context, []byte) ([]byte, error)

func (f invokerFunc) Invoke(ctx context.Context, p []byte) ([]byte, error) { return f(ctx, p) }
