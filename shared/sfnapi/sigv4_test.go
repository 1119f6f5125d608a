package sfnapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/states"
)

var testCreds = sfnapi.Credentials{AccessKeyID: "DPLOCALTESTKEY000001", SecretAccessKey: "s3cr3t/with+base64chars0000000000000000"}

// signedServer is a server that requires signatures by testCreds in region
// "local", serving the greet machine.
func signedServer(t *testing.T) (url, arn string) {
	t.Helper()
	e := states.New()
	e.RegisterFunc("greet", func(in greetIn) (greetOut, error) { return greetOut{Greeting: "hello " + in.Name}, nil })
	e.RegisterFunc("hold", func(in map[string]any) (map[string]any, error) { return in, nil })
	sm, err := e.Parse("greet", []byte(greetDef))
	require.NoError(t, err)
	srv := sfnapi.New(sfnapi.WithSigV4(testCreds, "local"))
	require.NoError(t, srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: []byte(greetDef)}))
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Shutdown(context.Background(), "test over")
		hs.Close()
	})
	return hs.URL, sm.ARN
}

func signedClient(url, region string, c sfnapi.Credentials) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:           region,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	})
}

// apiCode is the error code the SDK saw, and its message.
func apiCode(t *testing.T, err error) (string, string) {
	t.Helper()
	require.Error(t, err)
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "not an API error: %v", err)
	return ae.ErrorCode(), ae.ErrorMessage()
}

func TestSigV4WithTheSDKClient(t *testing.T) {
	url, arn := signedServer(t)
	ctx := context.Background()

	t.Run("signed with the key: served", func(t *testing.T) {
		c := signedClient(url, "local", testCreds)
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"name":"ada"}`)})
		require.NoError(t, err)
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
		require.NoError(t, err)
		assert.Equal(t, arn, aws.ToString(d.StateMachineArn))
	})
	cases := []struct {
		name    string
		client  *sfn.Client
		code    string
		message string
	}{
		{"unsigned", sfn.New(sfn.Options{Region: "local", BaseEndpoint: aws.String(url), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1}),
			"MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"another access key", signedClient(url, "local", sfnapi.Credentials{AccessKeyID: "AKIAOTHERKEY00000000", SecretAccessKey: testCreds.SecretAccessKey}),
			"UnrecognizedClientException", "The security token included in the request is invalid."},
		{"the wrong secret", signedClient(url, "local", sfnapi.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: "wrong"}),
			"InvalidSignatureException", "The request signature we calculated does not match"},
		{"another region", signedClient(url, "us-east-1", testCreds),
			"InvalidSignatureException", "Credential should be scoped to a valid region"},
	}
	for _, tc := range cases {
		t.Run(tc.name+": refused", func(t *testing.T) {
			_, err := tc.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
			code, msg := apiCode(t, err)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, msg, tc.message)
		})
	}
}

// rawRequest is a ListExecutions request for arn, signed by c at time at.
func rawRequest(t *testing.T, url, arn string, c sfnapi.Credentials, at time.Time) *http.Request {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"stateMachineArn": arn})
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListExecutions")
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey},
		req, hex.EncodeToString(sum[:]), "states", "local", at)
	require.NoError(t, err)
	return req
}

func send(t *testing.T, req *http.Request) (int, map[string]string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]string
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func TestSigV4ReplayAndTampering(t *testing.T) {
	url, arn := signedServer(t)

	t.Run("signed now by the SDK's signer: served", func(t *testing.T) {
		status, _ := send(t, rawRequest(t, url, arn, testCreds, time.Now()))
		assert.Equal(t, http.StatusOK, status)
	})
	t.Run("replayed 10 minutes later (stale X-Amz-Date): expired", func(t *testing.T) {
		status, out := send(t, rawRequest(t, url, arn, testCreds, time.Now().Add(-10*time.Minute)))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "InvalidSignatureException", out["__type"])
		assert.Contains(t, out["message"], "Signature expired")
	})
	t.Run("dated 10 minutes ahead: not yet current", func(t *testing.T) {
		_, out := send(t, rawRequest(t, url, arn, testCreds, time.Now().Add(10*time.Minute)))
		assert.Equal(t, "InvalidSignatureException", out["__type"])
		assert.Contains(t, out["message"], "Signature not yet current")
	})
	t.Run("body changed after signing", func(t *testing.T) {
		req := rawRequest(t, url, arn, testCreds, time.Now())
		body := []byte(`{"stateMachineArn":"` + arn + `x"}`)
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		_, out := send(t, req)
		assert.Equal(t, "InvalidSignatureException", out["__type"])
	})
	t.Run("a signed header changed after signing", func(t *testing.T) {
		req := rawRequest(t, url, arn, testCreds, time.Now())
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		_, out := send(t, req)
		assert.Equal(t, "InvalidSignatureException", out["__type"])
	})
	t.Run("an Authorization header without a signature", func(t *testing.T) {
		req := rawRequest(t, url, arn, testCreds, time.Now())
		auth := req.Header.Get("Authorization")
		req.Header.Set("Authorization", auth[:strings.Index(auth, ", Signature=")])
		_, out := send(t, req)
		assert.Equal(t, "IncompleteSignatureException", out["__type"])
	})
}

func TestCredentialsFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "aws")
	c, created, err := sfnapi.LoadOrCreateCredentials(dir)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Len(t, c.AccessKeyID, 20)
	assert.Len(t, c.SecretAccessKey, 40)
	st, err := os.Stat(filepath.Join(dir, sfnapi.CredentialsFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	again, created, err := sfnapi.LoadOrCreateCredentials(dir)
	require.NoError(t, err)
	assert.False(t, created, "the second start keeps the key")
	assert.Equal(t, c, again)

	require.NoError(t, os.Chmod(filepath.Join(dir, sfnapi.CredentialsFile), 0o644))
	_, _, err = sfnapi.LoadOrCreateCredentials(dir)
	assert.ErrorContains(t, err, "may be read by others")
}

// A server given neither WithSigV4 nor WithoutSigV4 serves no request,
// signed or not: forgetting the option does not open the API.
func TestServerWithoutCredentialsServesNothing(t *testing.T) {
	srv := sfnapi.New()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Shutdown(context.Background(), "test over")
	for name, c := range map[string]*sfn.Client{
		"signed":   signedClient(hs.URL, "local", testCreds),
		"unsigned": sfn.New(sfn.Options{Region: "local", BaseEndpoint: aws.String(hs.URL), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1}),
	} {
		_, err := c.ListStateMachines(context.Background(), &sfn.ListStateMachinesInput{})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "MissingAuthenticationTokenException", name)
		assert.Contains(t, err.Error(), "without credentials", name)
	}
}
