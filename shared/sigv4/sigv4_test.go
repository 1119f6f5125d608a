package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/sigv4"
)

var creds = sigv4.Credentials{AccessKeyID: "DPLOCALSIGV400000001", SecretAccessKey: "s3cr3t/with+base64chars"}

// verifying is a server that answers the type of the refusal of each
// request it receives by v, or "ok".
func verifying(t *testing.T, v *sigv4.Verifier) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if refused := v.Verify(r, body, time.Now()); refused != nil {
			io.WriteString(w, refused.Type)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// send signs a request to url+path with the SDK's own signer (for
// service, region, at signedAt) and sends body, which may not be the
// body signed.
func send(t *testing.T, url, path, service, region string, c sigv4.Credentials, signedBody, body []byte, signedAt time.Time) string {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url+path, bytes.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if service != "" {
		sum := sha256.Sum256(signedBody)
		require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey},
			r, hex.EncodeToString(sum[:]), service, region, signedAt))
	}
	res, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(out)
}

func TestVerify(t *testing.T) {
	url := verifying(t, &sigv4.Verifier{Creds: creds, Region: "us-east-1", Service: "secretsmanager"})
	now := time.Now()
	body := []byte(`{"SecretId":"x"}`)
	assert.Equal(t, "ok", send(t, url, "/", "secretsmanager", "us-east-1", creds, body, body, now), "the SDK's signature")
	assert.Equal(t, "ok", send(t, url, "/a%20path/x~y?b=2&a=1&c=%2F", "secretsmanager", "us-east-1", creds, body, body, now),
		"a path and query to escape, as the SDK escapes them")

	for name, tc := range map[string]struct {
		service, region string
		c               sigv4.Credentials
		sent            []byte
		at              time.Time
		want            string
	}{
		"another body":     {"secretsmanager", "us-east-1", creds, []byte(`{"SecretId":"y"}`), now, sigv4.ErrInvalidSignature},
		"another service":  {"states", "us-east-1", creds, body, now, sigv4.ErrInvalidSignature},
		"another region":   {"secretsmanager", "eu-west-1", creds, body, now, sigv4.ErrInvalidSignature},
		"another secret":   {"secretsmanager", "us-east-1", sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: "x"}, body, now, sigv4.ErrInvalidSignature},
		"another key":      {"secretsmanager", "us-east-1", sigv4.Credentials{AccessKeyID: "OTHER", SecretAccessKey: creds.SecretAccessKey}, body, now, sigv4.ErrUnrecognizedClient},
		"signed 6 min ago": {"secretsmanager", "us-east-1", creds, body, now.Add(-6 * time.Minute), sigv4.ErrInvalidSignature},
		"signed in 6 min":  {"secretsmanager", "us-east-1", creds, body, now.Add(6 * time.Minute), sigv4.ErrInvalidSignature},
		"not signed":       {"", "", creds, body, now, sigv4.ErrMissingAuthToken},
	} {
		assert.Equal(t, tc.want, send(t, url, "/", tc.service, tc.region, tc.c, body, tc.sent, tc.at), name)
	}
}
