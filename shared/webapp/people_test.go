package webapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/jpeg"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/webapp"
)

// peopleRecord reads the album's people as the People step stored them.
func (e *env) peopleRecord(album string) domain.PeopleRecord {
	e.t.Helper()
	pack, err := e.p.Steps.Packs.Pack(e.p.Steps.DefaultPack)
	require.NoError(e.t, err)
	body, _, err := e.p.Bucket.Get(context.Background(), names.PeopleKey(album, pack.Version))
	require.NoError(e.t, err)
	var rec domain.PeopleRecord
	require.NoError(e.t, json.Unmarshal(body, &rec))
	return rec
}

// facePath is the crop route of a face id (names.FaceID).
func facePath(album, faceID string) string {
	return "/api/albums/" + album + "/faces/" + faceID
}

// People on the album page: face crops, merge and split, by the owner
// only; the corrections are the step's (they hold on a full regroup).
func TestAlbumPeople(t *testing.T) {
	e := newEnv(t, webapp.Options{})
	owner, other := e.token("Owner Studio"), e.token("Other Studio")
	// Rob Lowe twice (one person of two faces), a portrait and a group of three.
	e.uploadAndProcess(owner, "wedding", "Rob_Lowe_0001.jpg", "Rob_Lowe_0002.jpg", "Test1.jpg", "Test3.jpg")
	e.uploadAndProcess(other, "party", "Test7.jpg")
	rec := e.peopleRecord("wedding")
	require.GreaterOrEqual(t, len(rec.People), 3)
	rob := rec.People[0]
	require.Len(t, rob.Faces, 2, "Rob Lowe's two photos are one person")
	single := rec.People[1:]

	// The page shows every person with a crop and a count.
	page := e.do("GET", "/albums/wedding", "", nil, "Cookie", e.session(owner))
	require.Equal(t, 200, page.status)
	html := string(page.body)
	assert.Contains(t, html, `id="people"`)
	assert.Equal(t, len(rec.People), strings.Count(html, `class="person"`))
	assert.Contains(t, html, `<b>2</b> faces`)
	assert.Contains(t, html, facePath("wedding", rob.Faces[0]))
	assert.NotContains(t, html, e.dataDir)

	// A crop is a small JPEG of the face.
	crop := e.do("GET", facePath("wedding", rob.Faces[0]), "Bearer "+owner, nil)
	require.Equal(t, 200, crop.status, string(crop.body))
	assert.Equal(t, "image/jpeg", crop.header.Get("Content-Type"))
	img, err := jpeg.Decode(bytes.NewReader(crop.body))
	require.NoError(t, err)
	assert.Equal(t, 160, max(img.Bounds().Dx(), img.Bounds().Dy()))
	for _, bad := range []string{rob.Faces[0] + "0", names.ImageOfFaceID(rob.Faces[0]) + "/99", names.ImageOfFaceID(rob.Faces[0]) + "/-1", "../../x/0", "zzzz/0"} {
		res := e.do("GET", facePath("wedding", bad), "Bearer "+owner, nil)
		assert.Equal(t, 404, res.status, bad)
	}

	// Nobody but the owner: no token, another photographer, a guest link,
	// the owner's session without the CSRF token.
	link := e.app.GuestLink("wedding", time.Now().Add(time.Hour))
	mergeBody := `{"people":["` + single[0].ID + `","` + single[1].ID + `"]}`
	splitBody := `{"face":"` + rob.Faces[1] + `"}`
	routes := []struct{ method, path, body string }{
		{"GET", facePath("wedding", rob.Faces[0]), ""},
		{"POST", "/api/albums/wedding/people/merge", mergeBody},
		{"POST", "/api/albums/wedding/people/split", splitBody},
	}
	for _, rt := range routes {
		for _, c := range []struct {
			name, auth string
			status     int
			headers    []string
		}{
			{"no token", "", 401, nil},
			{"another photographer", "Bearer " + other, 404, nil},
			{"guest link", "Bearer " + link, 401, nil},
			{"guest link in the path of the other album", "Bearer " + e.app.GuestLink("party", time.Now().Add(time.Hour)), 401, nil},
		} {
			res := e.do(rt.method, rt.path, c.auth, bodyOf(rt.body), c.headers...)
			assert.Equal(t, c.status, res.status, "%s %s / %s: %s", rt.method, rt.path, c.name, res.body)
			assert.NotEmpty(t, res.code())
		}
		if rt.method == "POST" {
			res := e.do(rt.method, rt.path, "", bodyOf(rt.body), "Cookie", e.session(owner))
			assert.Equal(t, 403, res.status, "a session without the CSRF token")
			assert.Equal(t, webapp.CodeCSRF, res.code())
		}
	}
	assert.Equal(t, rec.People, e.peopleRecord("wedding").People, "no refused call changed anything")
	// Another photographer's face through their own album is still theirs only.
	assert.Equal(t, 404, e.do("GET", facePath("party", rob.Faces[0]), "Bearer "+other, nil).status)

	// Bad corrections are the step's clear errors.
	for _, body := range []string{`{"people":["` + rob.ID + `","nobody"]}`, `{"people":["` + rob.ID + `","` + rob.ID + `"]}`, `{}`, `{"people":`} {
		res := e.do("POST", "/api/albums/wedding/people/merge", "Bearer "+owner, strings.NewReader(body))
		assert.Equal(t, 400, res.status, body)
		assert.NotContains(t, string(res.body), "domain.")
	}
	assert.Equal(t, 400, e.do("POST", "/api/albums/wedding/people/split", "Bearer "+owner, strings.NewReader(`{"face":"nope/0"}`)).status)

	// The owner, in the browser's way (session and CSRF token): split Rob
	// Lowe's second face out, then merge it back with a bearer token.
	csrf := between(html, `data-csrf="`, `"`)
	res := e.do("POST", "/api/albums/wedding/people/split", "", strings.NewReader(splitBody), "Cookie", e.session(owner), "X-CSRF-Token", csrf)
	require.Equal(t, 200, res.status, string(res.body))
	after := personOf(e.peopleRecord("wedding").People)
	assert.NotEqual(t, after[rob.Faces[0]], after[rob.Faces[1]], "split")
	merge := `{"people":["` + after[rob.Faces[0]] + `","` + after[rob.Faces[1]] + `"]}`
	res = e.do("POST", "/api/albums/wedding/people/merge", "Bearer "+owner, strings.NewReader(merge))
	require.Equal(t, 200, res.status, string(res.body))
	after = personOf(e.peopleRecord("wedding").People)
	assert.Equal(t, after[rob.Faces[0]], after[rob.Faces[1]], "merged back")
	// Merge two people of different photos: it holds on a full regroup, as
	// `divinepic people --merge` does.
	a, b := single[0], single[1]
	if names.ImageOfFaceID(a.Faces[0]) == names.ImageOfFaceID(b.Faces[0]) {
		res = e.do("POST", "/api/albums/wedding/people/merge", "Bearer "+owner, strings.NewReader(`{"people":["`+a.ID+`","`+b.ID+`"]}`))
		assert.Equal(t, 400, res.status, "two faces of one photo are never one person")
		b = rob
	}
	res = e.do("POST", "/api/albums/wedding/people/merge", "Bearer "+owner, strings.NewReader(`{"people":["`+a.ID+`","`+b.ID+`"]}`))
	require.Equal(t, 200, res.status, string(res.body))
	_, err = e.p.Steps.People(context.Background(), steps.PeopleInput{AlbumInput: domain.AlbumInput{AlbumID: "wedding", Regroup: true}})
	require.NoError(t, err)
	after = personOf(e.peopleRecord("wedding").People)
	assert.Equal(t, after[a.Faces[0]], after[b.Faces[0]], "the merge survives a regroup")
	page = e.do("GET", "/albums/wedding", "", nil, "Cookie", e.session(owner))
	assert.Equal(t, len(e.peopleRecord("wedding").People), strings.Count(string(page.body), `class="person"`))
}

func bodyOf(s string) io.Reader {
	if s == "" {
		return nil
	}
	return strings.NewReader(s)
}

// personOf maps each face id to its person's id.
func personOf(ps []domain.Person) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		for _, f := range p.Faces {
			m[f] = p.ID
		}
	}
	return m
}

// session signs in with a token and returns the session cookie.
func (e *env) session(token string) string {
	e.t.Helper()
	res := e.do("POST", "/api/session", "", jsonBody(map[string]string{"token": token}))
	require.Equal(e.t, 200, res.status)
	return strings.Split(res.header.Get("Set-Cookie"), ";")[0]
}
