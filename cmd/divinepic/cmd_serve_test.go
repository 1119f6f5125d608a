package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/sfnapi"
)

func TestCheckListenAddr(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8083", "localhost:0", "[::1]:8083"} {
		warning, err := checkListenAddr(addr, false)
		assert.NoError(t, err, addr)
		assert.Empty(t, warning, addr)
	}
	for _, addr := range []string{"0.0.0.0:8083", ":8083", "192.168.1.4:8083", "[::]:8083", "example.org:80"} {
		_, err := checkListenAddr(addr, false)
		assert.ErrorContains(t, err, "--allow-remote", addr)
		warning, err := checkListenAddr(addr, true)
		assert.NoError(t, err, addr)
		assert.Contains(t, warning, "WARNING", addr)
	}
	_, err := checkListenAddr("8083", false)
	assert.ErrorContains(t, err, "HOST:PORT")
}

func TestServeRefusesARemoteAddressWithoutTheFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	code := serveAPI(context.Background(), []string{"--addr", "0.0.0.0:0", "--data", t.TempDir()}, &out, &errOut)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut.String(), "reachable from other machines: add --allow-remote")
	assert.Empty(t, out.String())
}

// listRequest is a ListStateMachines request to url signed with c at time
// at (nil c: unsigned).
func listRequest(t *testing.T, url string, c *sfnapi.Credentials, at time.Time) *http.Request {
	t.Helper()
	body := []byte(`{}`)
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	if c != nil {
		sum := sha256.Sum256(body)
		require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey},
			req, hex.EncodeToString(sum[:]), "states", "local", at))
	}
	return req
}

// accessRefusals checks that a running serve refuses what is not signed
// with the key of credsFile, and serves what is.
func accessRefusals(t *testing.T, url, credsFile string) {
	t.Helper()
	creds, err := sfnapi.ReadCredentials(credsFile)
	require.NoError(t, err)
	wrong := creds
	wrong.SecretAccessKey = "not-" + creds.SecretAccessKey[4:]
	for _, tc := range []struct {
		name string
		req  *http.Request
		code string // "" = served
	}{
		{"signed with the key", listRequest(t, url, &creds, time.Now()), ""},
		{"unsigned", listRequest(t, url, nil, time.Now()), "MissingAuthenticationTokenException"},
		{"wrongly signed", listRequest(t, url, &wrong, time.Now()), "InvalidSignatureException"},
		{"replayed with its old X-Amz-Date", listRequest(t, url, &creds, time.Now().Add(-6*time.Minute)), "InvalidSignatureException"},
	} {
		resp, err := http.DefaultClient.Do(tc.req)
		require.NoError(t, err, tc.name)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if tc.code == "" {
			assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", tc.name, b)
			assert.Contains(t, string(b), localStateMachineARN, tc.name)
			continue
		}
		var e map[string]string
		require.NoError(t, json.Unmarshal(b, &e), tc.name)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, tc.name)
		assert.Equal(t, tc.code, e["__type"], tc.name)
		assert.NotContains(t, string(b), localStateMachineARN, tc.name)
	}
}

// awsCLI runs the real AWS CLI with the profile serve wrote in credsDir.
func awsCLI(t *testing.T, url, credsDir string) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	require.NoError(t, err, "the access test needs the AWS CLI: apt-get install awscli (Debian) or pip install awscli")
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"),
		"AWS_CONFIG_FILE=" + filepath.Join(credsDir, sfnapi.ConfigFile),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(credsDir, sfnapi.CredentialsFile),
		"AWS_PROFILE=" + sfnapi.Profile}
	if v := os.Getenv("PYENV_ROOT"); v != "" {
		env = append(env, "PYENV_ROOT="+v)
	}
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, append(args, "--endpoint-url", url)...)
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
	out, errOut, err := run("stepfunctions", "list-executions", "--state-machine-arn", localStateMachineARN)
	require.NoError(t, err, errOut)
	var list struct {
		Executions []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"executions"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	require.NotEmpty(t, list.Executions)
	assert.True(t, strings.HasPrefix(list.Executions[0].Name, "trip-"), out)
	assert.Equal(t, "SUCCEEDED", list.Executions[0].Status)

	_, errOut, err = run("stepfunctions", "list-state-machines", "--no-sign-request")
	assert.Error(t, err)
	assert.Contains(t, errOut, "MissingAuthenticationTokenException")
}
