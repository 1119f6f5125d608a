package webapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/webapp"
)

func crc32cOf(b []byte) string {
	return fmt.Sprintf("%08x", crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// The client hashes (MD5) only the photos a photo of the same name and
// size is already there for: a new photo, or one whose size changed, is
// sent at once, checked by its CRC32C; a changed photo of the same size is
// still found changed, and an unchanged one skipped.
func TestUploadHashesOnlyWhatMightBeThere(t *testing.T) {
	e := newEnv(t, webapp.Options{})
	// Record what each upload plan asked about.
	var mu sync.Mutex
	var plans [][]map[string]any
	inner := e.srv.Config.Handler
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/uploads") {
			body, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			var req struct{ Files []map[string]any }
			require.NoError(t, json.Unmarshal(body, &req))
			mu.Lock()
			plans = append(plans, req.Files)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		inner.ServeHTTP(w, r)
	})
	hashed := func() []string { // the names sent with an MD5, since the last call
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, p := range plans {
			for _, f := range p {
				if _, ok := f["md5"]; ok {
					out = append(out, f["name"].(string))
				}
			}
		}
		plans = nil
		return out
	}
	tok := e.token("Studio")
	c := e.client(tok)
	ctx := context.Background()
	require.NoError(t, c.CreateAlbum(ctx, "a1", ""))
	dir := albumDir(t, "Test1.jpg", "Test3.jpg")
	res, err := c.Upload(ctx, "a1", dir, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Uploaded)
	assert.Empty(t, hashed(), "new photos are not hashed by the client")
	for _, name := range []string{"Test1.jpg", "Test3.jpg"} {
		info, err := e.p.Bucket.Head(ctx, "albums/a1/"+name)
		require.NoError(t, err)
		assert.Equal(t, blob.ETagOf(readPhoto(t, name)), info.ETag, "the server computed the ETag on the way")
	}

	// Test1.jpg changed in place (same size), Test3.jpg replaced by another
	// photo (another size), view.jpg new.
	same := readPhoto(t, "Test1.jpg")
	same[len(same)/2] ^= 0xff
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Test1.jpg"), same, 0o644))
	other := readPhoto(t, "t1.jpg")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Test3.jpg"), other, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "view.jpg"), readPhoto(t, "view.jpg"), 0o644))
	res, err = c.Upload(ctx, "a1", dir, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Uploaded, "the changed photo of the same size too")
	assert.Zero(t, res.Skipped)
	assert.Equal(t, []string{"Test1.jpg"}, hashed(), "only the photo whose name and size are there")
	for name, want := range map[string][]byte{"Test1.jpg": same, "Test3.jpg": other, "view.jpg": readPhoto(t, "view.jpg")} {
		got, _, err := e.p.Bucket.Get(ctx, "albums/a1/"+name)
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
	}
	again, err := c.Upload(ctx, "a1", dir, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, again.Skipped, "unchanged: skipped")
	assert.Zero(t, again.Uploaded)
	assert.ElementsMatch(t, []string{"Test1.jpg", "Test3.jpg", "view.jpg"}, hashed())
	assert.Equal(t, res.Execution, again.Execution, "the same batch names the same execution")
}

// A PUT planned by CRC32C lands only when whole and matching; the plan
// says "hash" when a photo of that name and size is there.
func TestUploadByCRC32C(t *testing.T) {
	e := newEnv(t, webapp.Options{})
	tok := e.token("Studio")
	ctx := context.Background()
	require.NoError(t, e.client(tok).CreateAlbum(ctx, "a1", ""))
	type entry struct{ Name, Action, URL, Reason string }
	plan := func(files ...map[string]any) []entry {
		r := e.do("POST", "/api/albums/a1/uploads", "Bearer "+tok, jsonBody(map[string]any{"files": files}))
		require.Equal(t, 200, r.status, string(r.body))
		var p struct{ Files []entry }
		require.NoError(t, json.Unmarshal(r.body, &p))
		return p.Files
	}
	photo := readPhoto(t, "Test7.jpg")
	byCRC := map[string]any{"name": "t7.jpg", "size": len(photo), "crc32c": crc32cOf(photo)}
	p := plan(byCRC)
	require.Equal(t, "put", p[0].Action, p[0].Reason)
	u := p[0].URL
	changed := append([]byte{}, photo...)
	changed[len(changed)/2] ^= 0xff
	r := e.do("PUT", u, "", bytes.NewReader(changed))
	assert.Equal(t, 400, r.status)
	assert.Equal(t, webapp.CodeChecksum, r.code())
	r = e.do("PUT", u, "", bytes.NewReader(photo[:len(photo)-1]))
	assert.Equal(t, 400, r.status, "shorter than announced")
	// Shorter, without a Content-Length (chunked): the checksum's end says so.
	r = e.do("PUT", u, "", io.MultiReader(bytes.NewReader(photo[:len(photo)-1])))
	assert.Equal(t, 400, r.status, "shorter than announced, chunked")
	assert.Equal(t, webapp.CodeChecksum, r.code())
	_, err := e.p.Bucket.Head(ctx, "albums/a1/t7.jpg")
	assert.Error(t, err, "nothing stored after refusals")
	r = e.do("PUT", u[:len(u)-3]+"abc", "", bytes.NewReader(photo))
	assert.Equal(t, 403, r.status, "a forged ticket")
	r = e.do("PUT", u, "", io.MultiReader(bytes.NewReader(photo)))
	require.Equal(t, 200, r.status, string(r.body))
	info, err := e.p.Bucket.Head(ctx, "albums/a1/t7.jpg")
	require.NoError(t, err)
	assert.Equal(t, blob.ETagOf(photo), info.ETag)

	// There now: the same name and size needs the MD5 to decide; another
	// size does not.
	p = plan(byCRC, map[string]any{"name": "t7.jpg", "size": len(photo) + 1, "crc32c": "00000000"},
		map[string]any{"name": "t7.jpg", "size": len(photo), "crc32c": crc32cOf(photo), "md5": blob.ETagOf(photo)},
		map[string]any{"name": "t7.jpg", "size": len(photo), "md5": blob.ETagOf(changed)})
	assert.Equal(t, []string{"hash", "put", "skip", "put"}, []string{p[0].Action, p[1].Action, p[2].Action, p[3].Action})
	// Malformed checksums.
	p = plan(map[string]any{"name": "a.jpg", "size": 10}, map[string]any{"name": "b.jpg", "size": 10, "crc32c": "xyz"},
		map[string]any{"name": "c.jpg", "size": 10, "crc32c": "0123456789"})
	for _, f := range p {
		assert.Equal(t, "refuse", f.Action, f.Name)
	}
	assert.Contains(t, p[0].Reason, "md5")
	assert.Contains(t, p[1].Reason, "crc32c")

	// A plan of the most files a request takes, with long names, fits.
	var many []map[string]any
	for i := range 1000 {
		many = append(many, map[string]any{"name": fmt.Sprintf("ceremony/first-dance/%s-%04d.jpg", strings.Repeat("x", 100), i),
			"size": 1 << 20, "md5": blob.ETagOf(nil), "crc32c": "00000000"})
	}
	assert.Len(t, plan(many...), 1000)
}
