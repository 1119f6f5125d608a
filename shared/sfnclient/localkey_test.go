package sfnclient_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/sfnclient"
	"github.com/divinepic/pipeline/shared/states"
)

// A server on this machine that requires signatures: the client signs with
// the key of WithLocalKey's file (as `divinepic start` does with serve's),
// and goes unsigned, so refused, without one.
func TestLocalKeySignsRequests(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	dir := t.TempDir()
	creds, _, err := sfnapi.LoadOrCreateCredentials(dir)
	require.NoError(t, err)
	def := []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	sm, err := states.New().Parse("album", def)
	require.NoError(t, err)
	srv := sfnapi.New(sfnapi.WithSigV4(creds, "local"))
	require.NoError(t, srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: def}))
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	m, err := arn.ParseStateMachine(sm.ARN)
	require.NoError(t, err)
	ctx := context.Background()

	c, err := sfnclient.New(ctx, m, hs.URL, sfnclient.WithLocalKey(filepath.Join(dir, sfnapi.CredentialsFile), sfnapi.Profile))
	require.NoError(t, err)
	_, err = c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	assert.NoError(t, err)

	for _, c := range []func() (*sfn.Client, error){
		func() (*sfn.Client, error) { return sfnclient.New(ctx, m, hs.URL) },
		func() (*sfn.Client, error) {
			return sfnclient.New(ctx, m, hs.URL, sfnclient.WithLocalKey(filepath.Join(t.TempDir(), "none"), sfnapi.Profile))
		},
	} {
		client, err := c()
		require.NoError(t, err)
		_, err = client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
		assert.ErrorContains(t, err, "MissingAuthenticationTokenException")
	}
}
