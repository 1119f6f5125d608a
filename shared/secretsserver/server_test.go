package secretsserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/secretsserver"
	"github.com/divinepic/pipeline/shared/sigv4"
)

var creds = sigv4.Credentials{AccessKeyID: "DPLOCALSECRETS000001", SecretAccessKey: "s3cr3t/with+base64chars0000000000000000"}

func serve(t *testing.T) (*secretsserver.Server, string) {
	t.Helper()
	s := secretsserver.New(secretsserver.Options{Region: "us-east-1", Account: "000000000000", Credentials: creds})
	url, stop, err := secretsserver.Listen(s)
	require.NoError(t, err)
	t.Cleanup(func() { stop() })
	return s, url
}

// client is the real SDK client, as the app builds it, pointed at url.
func client(url, region string, c sigv4.Credentials) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:           region,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	})
}

func TestGetSecretValue(t *testing.T) {
	s, url := serve(t)
	assert.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), "bound to loopback: %s", url)
	arn := s.Put("GuestLinkSecret", "first value")
	assert.Regexp(t, `^arn:aws:secretsmanager:us-east-1:000000000000:secret:GuestLinkSecret-[A-Za-z0-9]{6}$`, arn)
	c := client(url, "us-east-1", creds)
	ctx := context.Background()

	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, "first value", aws.ToString(out.SecretString))
	assert.Equal(t, arn, aws.ToString(out.ARN))
	assert.Equal(t, "GuestLinkSecret", aws.ToString(out.Name))
	assert.Equal(t, []string{secretsserver.CurrentStage}, out.VersionStages)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, aws.ToString(out.VersionId))
	require.NotNil(t, out.CreatedDate)
	assert.False(t, out.CreatedDate.IsZero())
	first := aws.ToString(out.VersionId)

	// By name, and after a new value: the same secret, a new version.
	assert.Equal(t, arn, s.Put("GuestLinkSecret", "second value"), "a secret keeps its ARN")
	out, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("GuestLinkSecret"),
		VersionStage: aws.String(secretsserver.CurrentStage)})
	require.NoError(t, err)
	assert.Equal(t, "second value", aws.ToString(out.SecretString))
	assert.NotEqual(t, first, aws.ToString(out.VersionId))
	assert.Equal(t, 2, s.Reads())
}

func TestGetSecretValueNotFound(t *testing.T) {
	s, url := serve(t)
	arn := s.Put("known", "v")
	c := client(url, "us-east-1", creds)
	for name, in := range map[string]*secretsmanager.GetSecretValueInput{
		"an unknown name":        {SecretId: aws.String("unknown")},
		"an unknown ARN":         {SecretId: aws.String(strings.TrimSuffix(arn, arn[len(arn)-6:]) + "zzzzzz")},
		"an old version":         {SecretId: aws.String(arn), VersionId: aws.String("00000000-0000-4000-8000-000000000000")},
		"a stage it never had":   {SecretId: aws.String(arn), VersionStage: aws.String("AWSPREVIOUS")},
		"a name in another case": {SecretId: aws.String("KNOWN")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.GetSecretValue(context.Background(), in)
			var nf *types.ResourceNotFoundException
			require.True(t, errors.As(err, &nf), "the SDK's ResourceNotFoundException: %v", err)
			assert.Contains(t, nf.ErrorMessage(), "Secrets Manager can't find the specified secret")
		})
	}
	assert.Zero(t, s.Reads())
}

// TestRequestsMustBeSigned: the server's key, region and service, or AWS's
// authentication errors, through the SDK and by hand.
func TestRequestsMustBeSigned(t *testing.T) {
	s, url := serve(t)
	arn := s.Put("guarded", "v")
	ctx := context.Background()
	for name, tc := range map[string]struct {
		c    *secretsmanager.Client
		code string
	}{
		"another access key": {client(url, "us-east-1", sigv4.Credentials{AccessKeyID: "OTHER", SecretAccessKey: creds.SecretAccessKey}), sigv4.ErrUnrecognizedClient},
		"a wrong secret key": {client(url, "us-east-1", sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: "wrong"}), sigv4.ErrInvalidSignature},
		"another region":     {client(url, "eu-west-1", creds), sigv4.ErrInvalidSignature},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
			var api smithy.APIError
			require.True(t, errors.As(err, &api), "%v", err)
			assert.Equal(t, tc.code, api.ErrorCode())
		})
	}

	// Unsigned, as curl would send it.
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"SecretId":"guarded"}`))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	var doc map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	assert.Equal(t, sigv4.ErrMissingAuthToken, doc["__type"])
	assert.NotContains(t, doc["Message"], "v", "no secret in a refusal")
	assert.Zero(t, s.Reads(), "nothing was read")
}

// TestOtherRequests: what the server does not serve is refused with AWS's
// error shape, never a secret.
func TestOtherRequests(t *testing.T) {
	s := secretsserver.New(secretsserver.Options{Region: "us-east-1", Account: "000000000000", Credentials: creds})
	s.Put("x", "the value")

	// A peer that is not on this machine.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"SecretId":"x"}`))
	req.RemoteAddr = "192.0.2.10:4242"
	s.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Body.String(), "loopback clients only")

	// Another operation, through the SDK (signed): UnknownOperationException.
	url, stop, err := secretsserver.Listen(s)
	require.NoError(t, err)
	defer stop()
	_, err = client(url, "us-east-1", creds).ListSecrets(context.Background(), &secretsmanager.ListSecretsInput{})
	var api smithy.APIError
	require.True(t, errors.As(err, &api), "%v", err)
	assert.Equal(t, "UnknownOperationException", api.ErrorCode())
	assert.Contains(t, api.ErrorMessage(), "GetSecretValue only")

	// GET: not the protocol.
	resp, err := http.Get(url)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.NotContains(t, string(body), "the value")
}
