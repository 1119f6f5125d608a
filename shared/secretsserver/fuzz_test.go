package secretsserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/divinepic/pipeline/shared/secretsserver"
)

// FuzzGetSecretValue: any signed request gets the secret it names or one
// of the API's errors (HTTP 400, {"__type","Message"}), never a 500, and
// never the value in an error.
func FuzzGetSecretValue(f *testing.F) {
	s := secretsserver.New(secretsserver.Options{Region: "us-east-1", Account: "000000000000", Credentials: creds})
	const value = "the-secret-value-0123456789abcdef"
	arn := s.Put("known", value)
	url, stop, err := secretsserver.Listen(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { stop() })
	f.Add("secretsmanager.GetSecretValue", `{"SecretId":"known"}`)
	f.Add("secretsmanager.GetSecretValue", `{"SecretId":"`+arn+`","VersionStage":"AWSCURRENT"}`)
	f.Add("secretsmanager.GetSecretValue", `{"SecretId":1}`)
	f.Add("secretsmanager.ListSecrets", `{}`)
	f.Add("", `[`)
	known := map[string]bool{secretsserver.ErrResourceNotFound: true, secretsserver.ErrInvalidParameter: true,
		"UnknownOperationException": true, "SerializationException": true}
	f.Fuzz(func(t *testing.T, target, body string) {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
		if err != nil {
			t.Skip()
		}
		if strings.Trim(target, " \t") != strings.Trim(target, " ") {
			t.Skip() // net/http trims a tab at either end in transit: the server never sees what was signed
		}
		req.Header.Set("X-Amz-Target", target)
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey},
			req, hex.EncodeToString(sum[:]), "secretsmanager", "us-east-1", time.Now()); err != nil {
			t.Skip() // a header value the signer refuses
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Skip() // a header value net/http refuses to send
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var doc map[string]any
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("status %d: not JSON: %q", res.StatusCode, out)
		}
		switch res.StatusCode {
		case http.StatusOK:
			if doc["SecretString"] != value || doc["ARN"] != arn {
				t.Fatalf("200 without the secret: %q", out)
			}
		case http.StatusBadRequest:
			if typ, _ := doc["__type"].(string); !known[typ] {
				t.Fatalf("an error of type %q: %q", typ, out)
			}
			if strings.Contains(string(out), value) {
				t.Fatalf("the value in an error: %q", out)
			}
		default:
			t.Fatalf("status %d: %q", res.StatusCode, out)
		}
	})
}
