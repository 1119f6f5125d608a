package webapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/webapp"
)

// env is a real local server: the embedded pipeline, its Step Functions
// API and the app on one httptest server, as `divinepic serve` composes
// them.
type env struct {
	t       testing.TB
	dataDir string
	srv     *httptest.Server
	app     *webapp.App
	p       *embedded.Pipeline
}

var testSecret = []byte("0123456789abcdef0123456789abcdef-test")

func newEnv(t testing.TB, opt webapp.Options, stores ...embedded.Options) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	// The test albums hold broken files on purpose, far more than the
	// workflow's tolerated share of failed photos.
	eo := embedded.Options{DataDir: dir, MaxConcurrency: 2, ToleratedFailurePercentage: 100}
	if len(stores) > 0 {
		eo.Blobs, eo.Vectors = stores[0].Blobs, stores[0].Vectors
	}
	p, err := embedded.Open(ctx, eo)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	def, err := embedded.Definition(embedded.Options{MaxConcurrency: 2, ToleratedFailurePercentage: 100})
	require.NoError(t, err)
	key := sfnapi.Credentials{AccessKeyID: "AKIDWEBAPPTEST", SecretAccessKey: "webapp-test-secret"}
	api := sfnapi.New(sfnapi.WithSigV4(key, embedded.Region)) // as serve does
	require.NoError(t, api.AddStateMachine(p.Machine, sfnapi.MachineOptions{Definition: def}))
	t.Cleanup(func() { api.Shutdown(context.Background(), "test over") })
	client := sfn.New(sfn.Options{Region: embedded.Region, BaseEndpoint: aws.String("http://in-process"),
		HTTPClient: webapp.InProcess(api), Credentials: credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, "")})
	opt.Steps = p.Steps

	opt.Workflow = &webapp.StepFunctions{Client: client, StateMachineARN: p.Machine.ARN}
	if opt.Secret == nil {
		opt.Secret = testSecret
	}
	app, err := webapp.New(opt)
	require.NoError(t, err)
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &env{t: t, dataDir: dir, srv: srv, app: app, p: p}
}

// token makes a photographer token.
func (e *env) token(name string) string {
	tok, _, err := webapp.NewToken(context.Background(), e.p.Bucket, name, time.Now())
	require.NoError(e.t, err)
	return tok
}

func (e *env) client(token string) *webapp.Client {
	return &webapp.Client{Endpoint: e.srv.URL, Token: token}
}

// response is a status and a body.
type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) code() string {
	var v struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &v)
	return v.Error.Code
}

// do sends a request; auth is "Bearer ..." or "" (headers may add more).
func (e *env) do(method, path, auth string, body io.Reader, headers ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	require.NoError(e.t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	// No error ever shows a path of this machine or a Go type.
	require.NotContains(e.t, string(b), e.dataDir)
	require.NotContains(e.t, string(b), "*domain.")
	return response{status: res.StatusCode, body: b, header: res.Header}
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// selfieForm is a multipart form with the file as "selfie".
func selfieForm(t testing.TB, body []byte) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("selfie", "selfie.jpg")
	require.NoError(t, err)
	fw.Write(body)
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

func testPhoto(t testing.TB, name string) string {
	dir, err := locate.TestdataDir()
	require.NoError(t, err)
	return filepath.Join(dir, "faces", name)
}

func readPhoto(t testing.TB, name string) []byte {
	b, err := os.ReadFile(testPhoto(t, name))
	require.NoError(t, err)
	return b
}

// albumDir is a directory with copies of test photos.
func albumDir(t testing.TB, photos ...string) string {
	dir := t.TempDir()
	for _, p := range photos {
		require.NoError(t, os.WriteFile(filepath.Join(dir, p), readPhoto(t, p), 0o644))
	}
	return dir
}

// uploadAndProcess creates an album, uploads photos and waits for the end
// of its processing.
func (e *env) uploadAndProcess(token, album string, photos ...string) webapp.UploadResult {
	e.t.Helper()
	ctx := context.Background()
	c := e.client(token)
	require.NoError(e.t, c.CreateAlbum(ctx, album, strings.ToUpper(album)))
	res, err := c.Upload(ctx, album, albumDir(e.t, photos...), nil)
	require.NoError(e.t, err)
	e.waitProcessed(token, album)
	return res
}

func (e *env) waitProcessed(token, album string) {
	e.t.Helper()
	e.waitStatus(token, album, "SUCCEEDED")
}

// waitStatus waits for the end of the album's processing and checks how it
// ended.
func (e *env) waitStatus(token, album, want string) {
	e.t.Helper()
	c := e.client(token)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		p, err := c.Progress(context.Background(), album)
		require.NoError(e.t, err)
		if p.Status != "RUNNING" {
			require.Equal(e.t, want, p.Status)
			return
		}
		require.True(e.t, time.Now().Before(deadline), "processing did not end")
		time.Sleep(100 * time.Millisecond)
	}
}
