package sfnclient_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/sfnclient"
	"github.com/divinepic/pipeline/shared/states"
)

// serve serves a one-step state machine on the project's Step
// Functions-compatible server and returns its URL and ARN.
func serve(t *testing.T) (*sfnapi.Server, string, string) {
	t.Helper()
	e := states.New()
	e.RegisterFunc("echo", func(in map[string]any) (map[string]any, error) { return in, nil })
	def := []byte(`{"StartAt":"Echo","States":{"Echo":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:echo","End":true}}}`)
	sm, err := e.Parse("album", def)
	require.NoError(t, err)
	srv := sfnapi.New(sfnapi.WithoutSigV4())
	require.NoError(t, srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: def}))
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs.URL, sm.ARN
}

// The nightly job's starter, through the real Step Functions client: a
// second start of the same name reports domain.ErrAlreadyStarted with the
// execution's ARN. The server is on this machine, so no credentials are
// needed (the requests go unsigned).
func TestStarterStartAlbum(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	srv, url, machine := serve(t)
	ctx := context.Background()
	s, err := sfnclient.NewStarter(ctx, machine, url)
	require.NoError(t, err)
	got, err := s.StartAlbum(ctx, "a-default-20261128", domain.AlbumInput{AlbumID: "a"})
	require.NoError(t, err)
	m, err := arn.ParseStateMachine(machine)
	require.NoError(t, err)
	assert.Equal(t, m.Execution("a-default-20261128").String(), got)
	x := srv.Execution(got)
	require.NotNil(t, x)
	x.Wait()
	assert.JSONEq(t, `{"albumId":"a"}`, x.Input())
	again, err := s.StartAlbum(ctx, "a-default-20261128", domain.AlbumInput{AlbumID: "a"})
	assert.True(t, errors.Is(err, domain.ErrAlreadyStarted), "%v", err)
	assert.Equal(t, got, again)
}

func TestNewRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	_, err := sfnclient.NewStarter(ctx, "arn:aws:lambda:r:1:function:x", "")
	assert.ErrorIs(t, err, arn.ErrNotARN)
	_, err = sfnclient.New(ctx, arn.StateMachine{Region: "r", Account: "1", Name: "m"}, "not a url")
	assert.ErrorContains(t, err, "is not a URL")
}
