package webapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/webapp"
)

// searchResult is a guest search's answer.
type searchResult struct {
	Photos []struct {
		Thumb, Original, Download string
		Score                     float32
	} `json:"photos"`
}

// TestAccessControl is the access-control matrix: every route of the API
// against every kind of caller, with the status each must get.
func TestAccessControl(t *testing.T) {
	e := newEnv(t, webapp.Options{GuestSearchesPerMinute: 1000})
	owner, other := e.token("Owner Studio"), e.token("Other Studio")
	e.uploadAndProcess(owner, "wedding", "Rob_Lowe_0001.jpg", "Test1.jpg", "view.jpg")
	e.uploadAndProcess(other, "party", "Test7.jpg", "Nathalie_Baye_0002.jpg")

	week := time.Now().Add(7 * 24 * time.Hour)
	link := e.app.GuestLink("wedding", week)
	otherLink := e.app.GuestLink("party", week)
	expired := e.app.GuestLink("wedding", time.Now().Add(-time.Minute))
	// Tampered: the album changed under the signature, or the signature.
	tamperedAlbum := "party" + strings.TrimPrefix(link, "wedding")
	tamperedSig := link[:len(link)-2] + flip(link[len(link)-2:])
	tamperedExpiry := strings.Replace(link, fmt.Sprint(week.Unix()), fmt.Sprint(week.Unix()+3600), 1)

	type caller struct{ name, auth, link string }
	callers := []caller{
		{"no token", "", ""},
		{"photographer", "Bearer " + owner, ""},
		{"another photographer", "Bearer " + other, ""},
		{"guest link of this album", "Bearer " + link, link},
		{"guest link of another album", "Bearer " + otherLink, otherLink},
		{"expired link", "Bearer " + expired, expired},
		{"tampered album", "Bearer " + tamperedAlbum, tamperedAlbum},
		{"tampered signature", "Bearer " + tamperedSig, tamperedSig},
		{"tampered expiry", "Bearer " + tamperedExpiry, tamperedExpiry},
	}
	// The photographer's routes: the owner only; anyone else's token is
	// "not found" (ids are not probed), a link is no token at all.
	photographerWant := []int{401, 0, 404, 401, 401, 401, 401, 401, 401}
	photographerRoutes := []struct{ method, path, body string }{
		{"GET", "/api/albums/wedding", ""},
		{"GET", "/api/albums/wedding/photos", ""},
		{"GET", "/api/albums/wedding/progress", ""},
		{"POST", "/api/albums/wedding/guest-link", `{"days":3}`},
		{"POST", "/api/albums/wedding/uploads", `{"files":[{"name":"x.jpg","size":10,"md5":"00000000000000000000000000000000"}]}`},
	}
	for _, rt := range photographerRoutes {
		for i, c := range callers {
			t.Run(rt.method+" "+rt.path+"/"+c.name, func(t *testing.T) {
				var body *strings.Reader
				if rt.body != "" {
					body = strings.NewReader(rt.body)
				}
				var res response
				if body != nil {
					res = e.do(rt.method, rt.path, c.auth, body)
				} else {
					res = e.do(rt.method, rt.path, c.auth, nil)
				}
				want := photographerWant[i]
				if want == 0 {
					assert.Less(t, res.status, 300, string(res.body))
					return
				}
				assert.Equal(t, want, res.status, string(res.body))
				assert.NotEmpty(t, res.code(), "a JSON error with a code")
			})
		}
	}
	// The album list: each photographer sees their own albums only.
	var list struct{ Albums []struct{ ID string } }
	res := e.do("GET", "/api/albums", "Bearer "+other, nil)
	require.Equal(t, 200, res.status)
	require.NoError(t, json.Unmarshal(res.body, &list))
	require.Len(t, list.Albums, 1)
	assert.Equal(t, "party", list.Albums[0].ID)

	// The guest's search: a valid link searches its own album only.
	selfie := readPhoto(t, "Rob_Lowe_0002.jpg")
	searchWant := map[string]struct {
		status int
		code   string
	}{
		"guest link of this album": {200, ""}, "guest link of another album": {200, ""},
		"expired link": {401, webapp.CodeLinkExpired}, "tampered album": {401, webapp.CodeLinkInvalid},
		"tampered signature": {401, webapp.CodeLinkInvalid}, "tampered expiry": {401, webapp.CodeLinkInvalid},
	}
	var wedding, party searchResult
	for _, c := range callers {
		want, ok := searchWant[c.name]
		if !ok {
			continue
		}
		t.Run("guest search/"+c.name, func(t *testing.T) {
			body, ct := selfieForm(t, selfie)
			res := e.do("POST", "/api/g/"+url.PathEscape(c.link)+"/search", "", body, "Content-Type", ct)
			require.Equal(t, want.status, res.status, string(res.body))
			assert.Equal(t, want.code, res.code())
			switch c.link {
			case link:
				require.NoError(t, json.Unmarshal(res.body, &wedding))
			case otherLink:
				require.NoError(t, json.Unmarshal(res.body, &party))
			}
		})
	}
	require.Len(t, wedding.Photos, 1, "Rob Lowe is in one photo of the wedding")
	assert.Empty(t, party.Photos, "nobody of the party is Rob Lowe: a guest never sees a photo that does not match")
	// No search without a link.
	body, ct := selfieForm(t, selfie)
	assert.Equal(t, 404, e.do("POST", "/api/g//search", "", body, "Content-Type", ct).status)

	// Photo grants: only with the link of their album, only untampered.
	grant := wedding.Photos[0].Original
	assert.Equal(t, 200, e.do("GET", grant, "", nil).status)
	got := e.do("GET", wedding.Photos[0].Download, "", nil)
	require.Equal(t, 200, got.status)
	assert.Equal(t, readPhoto(t, "Rob_Lowe_0001.jpg"), got.body, "the original, byte for byte")
	assert.Contains(t, got.header.Get("Content-Disposition"), `attachment; filename="Rob_Lowe_0001.jpg"`)
	for name, l := range map[string]string{"another album's link": otherLink, "expired link": expired, "tampered link": tamperedSig} {
		p := strings.Replace(grant, "/api/g/"+url.PathEscape(link)+"/", "/api/g/"+url.PathEscape(l)+"/", 1)
		assert.Contains(t, []int{401, 404}, e.do("GET", p, "", nil).status, name)
	}
	g := strings.TrimPrefix(grant, "/api/g/"+url.PathEscape(link)+"/photos/")
	id, rest, _ := strings.Cut(g, ".")
	forged := "/api/g/" + url.PathEscape(link) + "/photos/" + names.ImageID("albums/wedding/Test1.jpg") + "." + rest
	assert.Equal(t, 404, e.do("GET", forged, "", nil).status, "a grant names one photo: another id under its signature is refused")
	assert.Len(t, id, 24)

	// The guest page: an expired or tampered link says so, with nothing of the album.
	assert.Equal(t, 200, e.do("GET", "/g/"+link, "", nil).status)
	for _, l := range []string{expired, tamperedSig} {
		res := e.do("GET", "/g/"+l, "", nil)
		assert.Equal(t, 401, res.status)
		assert.NotContains(t, string(res.body), "WEDDING")
	}
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// The browser's session: a cookie, and state changes need the CSRF token.
func TestSessionAndCSRF(t *testing.T) {
	e := newEnv(t, webapp.Options{})
	tok := e.token("Studio")
	res := e.do("POST", "/api/session", "", jsonBody(map[string]string{"token": "dpt_" + strings.Repeat("x", 32)}))
	assert.Equal(t, 401, res.status)
	res = e.do("POST", "/api/session", "", strings.NewReader("token="+tok), "Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, 415, res.status, "a cross-site form cannot sign in")
	res = e.do("POST", "/api/session", "", jsonBody(map[string]string{"token": tok}))
	require.Equal(t, 200, res.status)
	cookie := res.header.Get("Set-Cookie")
	assert.Contains(t, cookie, "HttpOnly")
	assert.Contains(t, cookie, "SameSite=Strict")
	session := strings.Split(cookie, ";")[0]

	create := func(headers ...string) response {
		return e.do("POST", "/api/albums", "", jsonBody(map[string]string{"id": "a1", "title": "A"}), append([]string{"Cookie", session}, headers...)...)
	}
	res = create()
	assert.Equal(t, 403, res.status)
	assert.Equal(t, webapp.CodeCSRF, res.code())
	assert.Equal(t, 403, create("X-CSRF-Token", "forged").status)
	// The page carries the token.
	page := e.do("GET", "/", "", nil, "Cookie", session)
	require.Equal(t, 200, page.status)
	csrf := between(string(page.body), `data-csrf="`, `"`)
	require.NotEmpty(t, csrf)
	assert.Equal(t, 201, create("X-CSRF-Token", csrf).status)
	assert.Equal(t, 409, create("X-CSRF-Token", csrf).status, "the id is taken")
	// GETs need no CSRF token; a bearer token needs none either.
	assert.Equal(t, 200, e.do("GET", "/api/albums/a1", "", nil, "Cookie", session).status)
	assert.Equal(t, 202, e.do("POST", "/api/albums/a1/process", "Bearer "+tok, nil).status)
	e.waitStatus(tok, "a1", "FAILED") // an album with no photo fails (AlbumNotFound or AlbumEmpty)
	// Security headers on every page.
	assert.Contains(t, page.header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Equal(t, "DENY", page.header.Get("X-Frame-Options"))
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

// Uploads: skipped when the same content is there, content sniffed, size
// and checksum enforced, nothing stored on a refusal.
func TestUploadEndpoints(t *testing.T) {
	e := newEnv(t, webapp.Options{})
	tok := e.token("Studio")
	c := e.client(tok)
	ctx := context.Background()
	require.NoError(t, c.CreateAlbum(ctx, "a1", ""))
	dir := albumDir(t, "Test1.jpg", "Test3.jpg")
	res, err := c.Upload(ctx, "a1", dir, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Uploaded)
	assert.NotEmpty(t, res.Execution)
	again, err := c.Upload(ctx, "a1", dir, nil)
	require.NoError(t, err)
	assert.Equal(t, 0, again.Uploaded)
	assert.Equal(t, 2, again.Skipped, "same content already there: skipped")
	assert.Equal(t, res.Execution, again.Execution, "the same batch names the same execution")
	e.waitProcessed(tok, "a1")

	plan := func(name string, body []byte) string {
		r := e.do("POST", "/api/albums/a1/uploads", "Bearer "+tok, jsonBody(map[string]any{
			"files": []map[string]any{{"name": name, "size": len(body), "md5": blob.ETagOf(body)}}}))
		require.Equal(t, 200, r.status, string(r.body))
		var p struct {
			Files []struct{ Action, URL, Reason string }
		}
		require.NoError(t, json.Unmarshal(r.body, &p))
		require.Equal(t, "put", p.Files[0].Action, p.Files[0].Reason)
		return p.Files[0].URL
	}
	// A text file named .jpg: refused by its content.
	text := []byte("this is not a photo at all, whatever the name says")
	r := e.do("PUT", plan("fake.jpg", text), "", bytes.NewReader(text))
	assert.Equal(t, 415, r.status)
	assert.Equal(t, webapp.CodeNotAnImage, r.code())
	// A body that is not what was announced.
	photo := readPhoto(t, "Test7.jpg")
	u := plan("t7.jpg", photo)
	changed := append([]byte{}, photo...)
	changed[len(changed)/2] ^= 0xff
	r = e.do("PUT", u, "", bytes.NewReader(changed))
	assert.Equal(t, 400, r.status)
	assert.Equal(t, webapp.CodeChecksum, r.code())
	r = e.do("PUT", u, "", bytes.NewReader(photo[:len(photo)-1]))
	assert.Equal(t, 400, r.status, "shorter than announced")
	_, err = e.p.Bucket.Head(ctx, "albums/a1/t7.jpg")
	assert.Error(t, err, "nothing stored after refusals")
	// A forged ticket.
	r = e.do("PUT", u[:len(u)-3]+"abc", "", bytes.NewReader(photo))
	assert.Equal(t, 403, r.status)
	assert.Equal(t, 200, e.do("PUT", u, "", bytes.NewReader(photo)).status)
	// Names that cannot be photos of the album.
	r = e.do("POST", "/api/albums/a1/uploads", "Bearer "+tok, jsonBody(map[string]any{"files": []map[string]any{
		{"name": "../../etc/passwd", "size": 10, "md5": blob.ETagOf(nil)}, {"name": "notes.txt", "size": 10, "md5": blob.ETagOf(nil)},
		{"name": "big.jpg", "size": 300 << 20, "md5": blob.ETagOf(nil)}}}))
	require.Equal(t, 200, r.status)
	assert.Equal(t, 3, strings.Count(string(r.body), `"refuse"`), string(r.body))
	// Malformed JSON: a clear message, no Go type names.
	r = e.do("POST", "/api/albums", "Bearer "+tok, strings.NewReader(`{"id": 5}`))
	assert.Equal(t, 400, r.status)
	assert.Contains(t, string(r.body), `field \"id\" has the wrong type`)
	r = e.do("POST", "/api/albums", "Bearer "+tok, strings.NewReader(`{"id":"`+strings.Repeat("x", 70<<10)+`"}`))
	assert.Equal(t, 413, r.status)
	assert.Equal(t, 404, e.do("GET", "/api/nothing", "Bearer "+tok, nil).status)
	r = e.do("GET", "/api/albums/a1/uploads", "Bearer "+tok, nil)
	assert.Equal(t, 405, r.status)
	assert.Equal(t, webapp.CodeMethod, r.code(), "a JSON error too")
}

// The album's photos, with their statuses, faces and reasons.
func TestAlbumPhotos(t *testing.T) {
	e := newEnv(t, webapp.Options{})
	tok := e.token("Studio")
	ctx := context.Background()
	require.NoError(t, e.client(tok).CreateAlbum(ctx, "a1", ""))
	// A photo that cannot be decoded, put straight into the store.
	_, err := e.p.Bucket.Put(ctx, "albums/a1/broken.jpg", []byte{0xff, 0xd8, 0xff, 0xe0, 1, 2, 3})
	require.NoError(t, err)
	e.uploadAndProcess(tok, "a1", "Test3.jpg", "view.jpg")
	r := e.do("GET", "/api/albums/a1/photos", "Bearer "+tok, nil)
	require.Equal(t, 200, r.status)
	var v struct {
		Photos []struct {
			ImageID, Name, Status, Reason string
			Faces                         int
		}
	}
	require.NoError(t, json.Unmarshal(r.body, &v))
	byName := map[string]int{}
	for i, p := range v.Photos {
		byName[p.Name] = i
	}
	require.Len(t, v.Photos, 3)
	assert.Equal(t, "done", v.Photos[byName["Test3.jpg"]].Status)
	assert.Equal(t, 3, v.Photos[byName["Test3.jpg"]].Faces)
	assert.Equal(t, "no_faces", v.Photos[byName["view.jpg"]].Status)
	broken := v.Photos[byName["broken.jpg"]]
	assert.Equal(t, "unreadable", broken.Status)
	assert.Contains(t, broken.Reason, "cannot be read")

	r = e.do("GET", "/api/albums/a1/photos/"+v.Photos[byName["Test3.jpg"]].ImageID, "Bearer "+tok, nil)
	require.Equal(t, 200, r.status)
	var ph struct{ Faces []struct{ Box [4]float32 } }
	require.NoError(t, json.Unmarshal(r.body, &ph))
	require.Len(t, ph.Faces, 3)
	for _, f := range ph.Faces {
		assert.True(t, f.Box[0] >= 0 && f.Box[2] <= 1 && f.Box[0] < f.Box[2], "boxes are fractions of the photo: %v", f.Box)
	}
	img := e.do("GET", "/api/albums/a1/photos/"+v.Photos[byName["Test3.jpg"]].ImageID+"/thumb", "Bearer "+tok, nil)
	require.Equal(t, 200, img.status)
	assert.Equal(t, "image/jpeg", img.header.Get("Content-Type"))
	assert.Equal(t, 404, e.do("GET", "/api/albums/a1/photos/000000000000000000000000/thumb", "Bearer "+tok, nil).status)
	assert.Equal(t, 404, e.do("GET", "/api/albums/a1/photos/../../x", "Bearer "+tok, nil).status)

	// Reprocess starts a new execution and redoes every photo.
	assert.Equal(t, 202, e.do("POST", "/api/albums/a1/process", "Bearer "+tok, jsonBody(map[string]bool{"reprocess": true})).status)
	e.waitProcessed(tok, "a1")
}

// A guest's selfie: no face, several faces, not an image, too large, and
// the rate limit, each with its own code.
func TestGuestSearchErrors(t *testing.T) {
	clock := time.Now()
	e := newEnv(t, webapp.Options{GuestSearchesPerMinute: 1, Now: func() time.Time { return clock }})
	tok := e.token("Studio")
	link := e.app.GuestLink("a1", clock.Add(time.Hour))
	search := func(body []byte) response {
		form, ct := selfieForm(t, body)
		return e.do("POST", "/api/g/"+link+"/search", "", form, "Content-Type", ct)
	}
	require.NoError(t, e.client(tok).CreateAlbum(context.Background(), "a1", ""))
	assert.Equal(t, webapp.CodeNotProcessed, search(readPhoto(t, "Rob_Lowe_0002.jpg")).code(), "before processing")
	e.uploadAndProcess(tok, "a1", "Rob_Lowe_0001.jpg")
	for _, c := range []struct {
		photo  []byte
		status int
		code   string
	}{
		{readPhoto(t, "view.jpg"), 422, webapp.CodeNoFace},
		{readPhoto(t, "Test1.jpg"), 200, ""}, // one face
		{readPhoto(t, "Test7.jpg"), 422, webapp.CodeSeveralFaces},
		{[]byte("GIF89a not really"), 415, webapp.CodeNotAnImage},
		{[]byte("plain text"), 415, webapp.CodeNotAnImage},
		{bytes.Repeat([]byte{0xff}, webapp.MaxSelfieBytes+1), 413, webapp.CodeTooLarge},
	} {
		clock = clock.Add(time.Minute) // one search a minute is allowed
		r := search(c.photo)
		assert.Equal(t, c.status, r.status, string(r.body))
		assert.Equal(t, c.code, r.code())
	}
	// The bucket holds 5 and one was spent a minute ago: 4 more now, then
	// the next search from this address waits.
	for range 4 {
		assert.Equal(t, 200, search(readPhoto(t, "Rob_Lowe_0002.jpg")).status)
	}
	r := search(readPhoto(t, "Rob_Lowe_0002.jpg"))
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, webapp.CodeRateLimited, r.code())
	assert.NotEmpty(t, r.header.Get("Retry-After"))
	// The selfie is not stored: nothing in the store but the album's own.
	var keys []string
	require.NoError(t, e.p.Bucket.List(context.Background(), "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }))
	for _, k := range keys {
		assert.False(t, strings.Contains(k, "selfie"), k)
		if strings.HasPrefix(k, names.AlbumsPrefix) {
			assert.Equal(t, "albums/a1/Rob_Lowe_0001.jpg", k)
		}
	}
}
