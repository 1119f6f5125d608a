package webapp_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/webapp"
)

// A connection lost in the middle of a photo: nothing half-written lands,
// the client retries that photo, and the batch completes; processing then
// reports every photo from the Map Run.
func TestUploadSurvivesALostConnection(t *testing.T) {
	e := newEnv(t, webapp.Options{})
	var cut atomic.Bool
	inner := e.srv.Config.Handler
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/uploads/") && cut.CompareAndSwap(false, true) {
			// Read part of the photo, then drop the connection.
			buf := make([]byte, 1000)
			r.Body.Read(buf)
			conn, _, err := w.(http.Hijacker).Hijack()
			require.NoError(t, err)
			conn.Close()
			return
		}
		inner.ServeHTTP(w, r)
	})
	tok := e.token("Studio")
	ctx := context.Background()
	c := e.client(tok)
	require.NoError(t, c.CreateAlbum(ctx, "a1", ""))
	res, err := c.Upload(ctx, "a1", albumDir(t, "Test1.jpg", "Test3.jpg", "view.jpg"), nil)
	require.NoError(t, err)
	assert.True(t, cut.Load(), "one connection was cut")
	assert.Equal(t, 3, res.Uploaded, "the cut photo was sent again")
	e.waitProcessed(tok, "a1")
	p, err := c.Progress(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, "SUCCEEDED", p.Status)
	assert.EqualValues(t, 3, p.Total, "the Map Run's items")
	assert.EqualValues(t, 3, p.Done)
	assert.Zero(t, p.Failed)
	for _, name := range []string{"Test1.jpg", "Test3.jpg", "view.jpg"} {
		got, _, err := e.p.Bucket.Get(ctx, "albums/a1/"+name)
		require.NoError(t, err)
		assert.Equal(t, readPhoto(t, name), got, "whole, never half-written")
	}
}
