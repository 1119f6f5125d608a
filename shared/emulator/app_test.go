package emulator_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/emulator"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/secretsserver"
	"github.com/divinepic/pipeline/shared/webapp"
)

// appThroughFunctionURL drives the web app's Lambda process (its guest
// secret read from the local Secrets Manager at its cold start) as its
// Function URL does, over HTTP: the page, the API refusing an anonymous
// caller, a photographer's token and session cookie, guests' links signed
// with the secret Secrets Manager holds or tampered with, and an album's
// execution started and followed through the Step Functions API. The
// album has been run, so a guest finds their photos in it.
func appThroughFunctionURL(t *testing.T, app *emulator.Process, p *embedded.Pipeline, secretValue string,
	secrets *secretsserver.Server, labels *invocationLabels) {
	ctx := context.Background()
	front := httptest.NewServer(emulator.FunctionURL{Function: urlLabelled{app, labels}})
	defer front.Close()
	hc := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, auth string, body []byte, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, front.URL+path, bytes.NewReader(body))
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := hc.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, b
	}
	errorCode := func(b []byte) string {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(b, &e)
		return e.Error.Code
	}

	// The first request starts the function: Secrets Manager is read then.
	assert.Zero(t, secrets.Reads(), "the process has not started yet")
	res, body := do(http.MethodGet, "/", "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s\n%s", body, app.Log())
	assert.Contains(t, res.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, string(body), "Photographer sign-in")
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "https://"+config.DefaultBucket+".s3.us-east-1.amazonaws.com",
		"the bucket the template names is the presigned URLs' origin")
	assert.Equal(t, 1, secrets.Reads(), "the cold start read the guest secret, by the ARN the template gives")

	// No token, or one that was never issued: refused.
	res, body = do(http.MethodGet, "/api/albums", "", nil)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Equal(t, webapp.CodeUnauthenticated, errorCode(body))
	res, body = do(http.MethodPost, "/api/albums", "dpt_"+strings.Repeat("A", 32), []byte(`{"id":"x"}`), "Content-Type", "application/json")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Equal(t, webapp.CodeUnauthenticated, errorCode(body))

	// A photographer's token (as `divinepic token create` stores it): the
	// album becomes theirs, and is listed.
	token, _, err := webapp.NewToken(ctx, p.Bucket, "Emulated photographer", time.Now())
	require.NoError(t, err)
	client := &webapp.Client{Endpoint: front.URL, Token: token, HTTP: hc}
	require.NoError(t, client.CreateAlbum(ctx, albumID, "Through the Function URL"), app.Log())
	res, body = do(http.MethodGet, "/api/albums", token, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	var listed struct {
		Albums []struct{ ID, Title string } `json:"albums"`
	}
	require.NoError(t, json.Unmarshal(body, &listed))
	require.Len(t, listed.Albums, 1)
	assert.Equal(t, albumID, listed.Albums[0].ID)
	assert.Equal(t, "Through the Function URL", listed.Albums[0].Title)

	// Signed in: the session cookie comes back through the response's
	// cookies, and goes in through the request's.
	res, body = do(http.MethodPost, "/api/session", "", []byte(`{"token":"`+token+`"}`), "Content-Type", "application/json")
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Value == token {
			session = c
		}
	}
	require.NotNil(t, session, "the session cookie: %v", res.Header["Set-Cookie"])
	assert.True(t, session.HttpOnly && session.Secure, "HttpOnly and Secure, as on HTTPS")
	res, body = do(http.MethodGet, "/", "", nil, "Cookie", session.Name+"="+session.Value)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(body), "Through the Function URL", "the photographer's albums page")

	// The guest link the app issues finds the selfie's person first.
	res, body = do(http.MethodPost, "/api/albums/"+albumID+"/guest-link", token, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	var issued struct{ URL string }
	require.NoError(t, json.Unmarshal(body, &issued))
	_, link, ok := strings.Cut(issued.URL, "/g/")
	require.True(t, ok, issued.URL)
	selfie, err := os.ReadFile(filepath.Join(testdata(t), "faces/Rob_Lowe_0002.jpg"))
	require.NoError(t, err)
	matches, err := webapp.GuestSearch(ctx, hc, front.URL+"/g/"+link, selfie)
	require.NoError(t, err, app.Log())
	require.NotEmpty(t, matches)
	res, _ = do(http.MethodGet, strings.TrimPrefix(matches[0].Original, front.URL), "", nil)
	require.Equal(t, http.StatusFound, res.StatusCode, "the photo: a presigned S3 URL")
	photo, err := http.Get(res.Header.Get("Location"))
	require.NoError(t, err)
	got, err := io.ReadAll(photo.Body)
	photo.Body.Close()
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(testdata(t), "faces/Rob_Lowe_0001.jpg"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "the best match is the selfie's person's photo (%d bytes, status %d)", len(got), photo.StatusCode)

	// A link signed here with the secret Secrets Manager holds is accepted:
	// the process signs with that secret and no other.
	secret, err := webapp.SecretFromEnv(names.EnvGuestSecretARN, secretValue)
	require.NoError(t, err)
	signer, err := webapp.New(webapp.Options{Steps: p.Steps, Workflow: &webapp.StepFunctions{}, Secret: secret})
	require.NoError(t, err)
	signed := signer.GuestLink(albumID, time.Now().Add(time.Hour))
	res, body = do(http.MethodGet, "/g/"+signed, "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode, "the guest page: %s", body)
	assert.Contains(t, res.Header.Get("Content-Type"), "text/html")
	again, err := webapp.GuestSearch(ctx, hc, front.URL+"/g/"+signed, selfie)
	require.NoError(t, err)
	assert.Equal(t, len(matches), len(again), "the same album, the same photos")

	// Tampered or foreign links are refused, and search nothing.
	other, err := webapp.New(webapp.Options{Steps: p.Steps, Workflow: &webapp.StepFunctions{}, Secret: bytes.Repeat([]byte{7}, webapp.MinSecretBytes)})
	require.NoError(t, err)
	parts := strings.Split(signed, ".")
	flipped := []byte(parts[2])
	flipped[0] ^= 1
	for name, bad := range map[string]string{
		"another album under the signature": "other-album." + parts[1] + "." + parts[2],
		"a later expiry":                    parts[0] + "." + "9999999999" + "." + parts[2],
		"a changed signature":               parts[0] + "." + parts[1] + "." + string(flipped),
		"signed with another secret":        other.GuestLink(albumID, time.Now().Add(time.Hour)),
	} {
		_, err := webapp.GuestSearch(ctx, hc, front.URL+"/g/"+bad, selfie)
		var e *webapp.Error
		require.True(t, errors.As(err, &e), "%s: %v", name, err)
		assert.Equal(t, http.StatusUnauthorized, e.Status, name)
		assert.Equal(t, webapp.CodeLinkInvalid, e.Code, name)
	}

	// The photographer starts the album's processing: the app starts the
	// execution on the Step Functions API the template's ARN names, whose
	// engine invokes the steps' processes, and follows it to its end.
	prog, err := client.Progress(ctx, albumID)
	require.NoError(t, err)
	assert.Equal(t, webapp.StatusNone, prog.Status, "no execution started through the app yet")
	res, body = do(http.MethodPost, "/api/albums/"+albumID+"/process", token, nil)
	require.Equal(t, http.StatusAccepted, res.StatusCode, "%s", body)
	for deadline := time.Now().Add(2 * time.Minute); ; {
		prog, err = client.Progress(ctx, albumID)
		require.NoError(t, err)
		if prog.Status != "RUNNING" {
			break
		}
		require.True(t, time.Now().Before(deadline), "the album's execution is still running")
		time.Sleep(100 * time.Millisecond)
	}
	assert.Equal(t, "SUCCEEDED", prog.Status, "%+v", prog)
	assert.NotNil(t, prog.StartedAt)

	assert.Equal(t, 1, secrets.Reads(), "one execution environment: the secret was read once, at its start")
}

// generatedSecret is a value as the stack's secret generates it: 64
// letters and digits.
func generatedSecret(t *testing.T) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 64)
	_, err := rand.Read(b)
	require.NoError(t, err)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// urlLabelled notes each Function URL request's method and path.
type urlLabelled struct {
	p      *emulator.Process
	labels *invocationLabels
}

func (h urlLabelled) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var in struct {
		RawPath        string `json:"rawPath"`
		RequestContext struct {
			HTTP struct{ Method string } `json:"http"`
		} `json:"requestContext"`
	}
	json.Unmarshal(payload, &in)
	path := in.RawPath
	if strings.HasPrefix(path, "/g/") || strings.HasPrefix(path, "/api/g/") {
		path = path[:strings.Index(path, "/g/")+3] + "…" // not the link itself
	}
	h.labels.add(names.App, in.RequestContext.HTTP.Method+" "+path)
	return h.p.Invoke(ctx, payload)
}
