package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// ownAlbum runs h for the photographer who owns the album of the path;
// anyone else's album is "not found", so ids are not probed.
func (a *App) ownAlbum(h func(http.ResponseWriter, *http.Request, caller, *domain.Album)) http.HandlerFunc {
	return a.photographerOnly(func(w http.ResponseWriter, r *http.Request, c caller) {
		al, err := a.ownedAlbum(r.Context(), c, r.PathValue("album"))
		if err != nil {
			writeError(w, err)
			return
		}
		h(w, r, c, al)
	})
}

func (a *App) ownedAlbum(ctx context.Context, c caller, id string) (*domain.Album, error) {
	if names.ValidateAlbumID(id) != nil {
		return nil, errNotFound
	}
	al, err := a.album(ctx, id)
	if err != nil {
		return nil, err
	}
	if al == nil || al.Owner != c.photographer.ID {
		return nil, errNotFound
	}
	return al, nil
}

// album reads an album's record; nil when there is none.
func (a *App) album(ctx context.Context, id string) (*domain.Album, error) {
	body, _, err := a.bucket.Get(ctx, names.AlbumRecordKey(id))
	if isMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var al domain.Album
	if err := json.Unmarshal(body, &al); err != nil {
		return nil, fmt.Errorf("album record %s: %w", id, err)
	}
	return &al, nil
}

func (a *App) putAlbum(ctx context.Context, al *domain.Album) error {
	body, err := json.Marshal(al)
	if err != nil {
		return err
	}
	_, err = a.bucket.Put(ctx, names.AlbumRecordKey(al.ID), body)
	return err
}

// readJSON decodes a small JSON body; unknown fields are refused.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return readJSONLimit(w, r, v, maxJSONBytes)
}

// readJSONLimit is readJSON for a body of up to limit bytes.
func readJSONLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return errorf(http.StatusUnsupportedMediaType, CodeBadRequest, "send JSON with Content-Type: application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return errorf(http.StatusBadRequest, CodeBadRequest, "the JSON body cannot be read: "+jsonProblem(err))
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, CodeBadRequest, "one JSON object, please")
	}
	return nil
}

// jsonProblem words a JSON decoding error without Go type names.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.Is(err, io.EOF):
		return "empty body"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed JSON"
}

// cleanText keeps printable characters of a title or name, at most n runes.
func cleanText(s string, n int) string {
	var b strings.Builder
	i := 0
	for _, r := range strings.TrimSpace(s) {
		if i == n {
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			i++
		}
	}
	return b.String()
}

// albumView is an album as the API shows it.
type albumView struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"createdAt"`
	Photos    int       `json:"photos"`
	Faces     int       `json:"faces"`
	Processed bool      `json:"processed"`
}

func (a *App) listAlbums(w http.ResponseWriter, r *http.Request, c caller) {
	als, err := a.albumsOf(r.Context(), c.photographer.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]albumView, 0, len(als))
	for _, al := range als {
		out = append(out, albumView{ID: al.ID, Title: al.Title, CreatedAt: al.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"albums": out})
}

// albumsOf lists a photographer's albums, newest first.
func (a *App) albumsOf(ctx context.Context, owner string) ([]*domain.Album, error) {
	var keys []string
	if err := a.bucket.List(ctx, names.AlbumRecsPrefix, func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		return nil, err
	}
	var out []*domain.Album
	for _, k := range keys {
		id := strings.TrimSuffix(strings.TrimPrefix(k, names.AlbumRecsPrefix), ".json")
		al, err := a.album(ctx, id)
		if err != nil {
			return nil, err
		}
		if al != nil && al.Owner == owner {
			out = append(out, al)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

type createAlbumRequest struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func (a *App) createAlbum(w http.ResponseWriter, r *http.Request, c caller) {
	var req createAlbumRequest
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := names.ValidateAlbumID(req.ID); err != nil {
		writeError(w, errorf(http.StatusBadRequest, CodeBadRequest, "album id: 1 to 64 letters, digits, '_' or '-', starting with a letter or digit"))
		return
	}
	title := cleanText(req.Title, 200)
	if title == "" {
		title = req.ID
	}
	ctx := r.Context()
	prev, err := a.album(ctx, req.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	if prev != nil {
		writeError(w, errorf(http.StatusConflict, CodeAlbumExists, "an album with this id exists: choose another id"))
		return
	}
	al := &domain.Album{ID: req.ID, Title: title, Owner: c.photographer.ID, CreatedAt: a.now().UTC()}
	if err := a.putAlbum(ctx, al); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, albumView{ID: al.ID, Title: al.Title, CreatedAt: al.CreatedAt})
}

func (a *App) getAlbum(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	st, err := a.albumState(r.Context(), al.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	v := albumView{ID: al.ID, Title: al.Title, CreatedAt: al.CreatedAt, Photos: len(st.photos), Processed: st.index != nil}
	for _, p := range st.photos {
		v.Faces += p.Faces
	}
	writeJSON(w, http.StatusOK, v)
}

// photoView is one photo of an album as its photographer sees it.
type photoView struct {
	ImageID string `json:"imageId"`
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	// Status: pending (not processed in its current version), done,
	// no_faces, failed (retried by the nightly job) or unreadable.
	Status string `json:"status"`
	Faces  int    `json:"faces"`
	Reason string `json:"reason,omitempty"` // why it failed
}

// albumState is what the store says about an album's photos.
type albumState struct {
	photos  []photoView
	index   *domain.AlbumIndex
	summary *domain.Summary
}

func (a *App) albumState(ctx context.Context, albumID string) (*albumState, error) {
	st := &albumState{}
	var idx domain.AlbumIndex
	if body, _, err := a.bucket.Get(ctx, names.IndexKey(albumID, a.pack.Version)); err == nil {
		if err := json.Unmarshal(body, &idx); err != nil {
			return nil, fmt.Errorf("album index %s: %w", albumID, err)
		}
		st.index = &idx
	} else if !isMissing(err) {
		return nil, err
	}
	var sum domain.Summary
	if body, _, err := a.bucket.Get(ctx, names.SummaryKey(albumID, a.pack.Version)); err == nil {
		if json.Unmarshal(body, &sum) == nil {
			st.summary = &sum
		}
	} else if !isMissing(err) {
		return nil, err
	}
	prefix := names.AlbumPrefix(albumID)
	err := a.bucket.List(ctx, prefix, func(i blob.Info) error {
		if !names.IsPhotoKey(i.Key) {
			return nil
		}
		id := names.ImageID(i.Key)
		p := photoView{ImageID: id, Name: strings.TrimPrefix(i.Key, prefix), Size: i.Size, Status: "pending"}
		if e, ok := idx.Images[id]; ok && e.ETag == i.ETag {
			p.Status, p.Faces = string(e.Status), e.Faces
			if e.Status == domain.StatusFailed || e.Status == domain.StatusUnreadable {
				p.Reason = photoReason(e.Error, e.Cause)
			}
		}
		st.photos = append(st.photos, p)
		return nil
	})
	return st, err
}

// photoReason words why a photo failed, for its photographer.
func photoReason(errName, cause string) string {
	switch errName {
	case domain.ErrImageUnreadable:
		return "cannot be read as a photo (empty, truncated or not an image)"
	case domain.ErrImageUnsupported:
		return "not supported here (too large, or a format this deployment cannot decode)"
	}
	if errName == "" {
		return "failed"
	}
	return "failed (" + errName + "): processing will be retried tonight"
}

func (a *App) listPhotos(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	st, err := a.albumState(r.Context(), al.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	out := map[string]any{"photos": nonNil(st.photos)}
	if st.summary != nil {
		out["summary"] = map[string]any{"skipped": st.summary.Skipped, "processed": st.summary.Processed,
			"failed": len(st.summary.Failed), "faces": st.summary.Faces, "finishedAt": st.summary.FinishedAt}
	}
	writeJSON(w, http.StatusOK, out)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// photoKey finds the key of an album's photo by its image id, from the
// album's listing (a photographer may ask for a photo not processed yet).
func (a *App) photoKey(ctx context.Context, albumID, imageID string) (string, error) {
	if len(imageID) != 24 || strings.Trim(imageID, "0123456789abcdef") != "" {
		return "", errNotFound
	}
	found := ""
	stop := errors.New("found")
	err := a.bucket.List(ctx, names.AlbumPrefix(albumID), func(i blob.Info) error {
		if names.ImageID(i.Key) == imageID {
			found = i.Key
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return "", err
	}
	if found == "" {
		return "", errNotFound
	}
	return found, nil
}

// faceView is a face's box as a fraction of the photo (0..1), for drawing.
type faceView struct {
	Box   [4]float32 `json:"box"`
	Score float32    `json:"score"`
}

func (a *App) getPhoto(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	ctx := r.Context()
	imageID := r.PathValue("image")
	key, err := a.photoKey(ctx, al.ID, imageID)
	if err != nil {
		writeError(w, err)
		return
	}
	out := map[string]any{"imageId": imageID, "name": strings.TrimPrefix(key, names.AlbumPrefix(al.ID)), "faces": []faceView{}}
	body, _, err := a.bucket.Get(ctx, names.RecordKey(al.ID, a.pack.Version, imageID))
	if err == nil {
		var rec domain.FaceRecord
		if err := json.Unmarshal(body, &rec); err != nil {
			writeError(w, fmt.Errorf("face record %s: %w", imageID, err))
			return
		}
		faces := make([]faceView, 0, len(rec.Faces))
		for _, f := range rec.Faces {
			if rec.Width > 0 && rec.Height > 0 {
				ww, hh := float32(rec.Width), float32(rec.Height)
				faces = append(faces, faceView{Box: [4]float32{f.Box[0] / ww, f.Box[1] / hh, f.Box[2] / ww, f.Box[3] / hh}, Score: f.Score})
			}
		}
		out["faces"], out["width"], out["height"] = faces, rec.Width, rec.Height
	} else if !isMissing(err) {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// photoBytes serves a photo's thumbnail or original to its photographer.
func (a *App) photoBytes(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	size := r.PathValue("size")
	if size != "thumb" && size != "original" {
		writeError(w, errNotFound)
		return
	}
	key, err := a.photoKey(r.Context(), al.ID, r.PathValue("image"))
	if err != nil {
		writeError(w, err)
		return
	}
	a.servePhoto(w, r, al.ID, key, size, r.URL.Query().Get("download") == "1")
}

// servePhoto sends a photo (or its thumbnail, when one was written; else
// the original, which the page scales): a redirect to a presigned URL
// where the store has them, the bytes otherwise.
func (a *App) servePhoto(w http.ResponseWriter, r *http.Request, albumID, key, size string, download bool) {
	ctx := r.Context()
	if size == "thumb" {
		tk := names.ThumbnailKey(albumID, names.ImageID(key))
		if _, err := a.bucket.Head(ctx, tk); err == nil {
			key = tk
		} else if !isMissing(err) {
			writeError(w, err)
			return
		}
	}
	name := ""
	if download {
		name = path.Base(key)
	}
	if u, err := a.urls.GetURL(ctx, key, name); err != nil {
		writeError(w, err)
		return
	} else if u != "" {
		w.Header().Set("Cache-Control", "private, no-store")
		http.Redirect(w, r, u, http.StatusFound)
		return
	}
	body, info, err := a.bucket.Get(ctx, key)
	if isMissing(err) {
		writeError(w, errNotFound)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", http.DetectContentType(body))
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("ETag", `"`+info.ETag+`"`)
	if download {
		h.Set("Content-Disposition", contentDisposition(name))
	}
	w.Write(body)
}

// contentDisposition is an attachment header with a safe file name.
func contentDisposition(name string) string {
	safe := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + safe + `"`
}

type guestLinkRequest struct {
	Days int `json:"days"`
}

func (a *App) newGuestLink(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	req := guestLinkRequest{Days: DefaultGuestLinkDays}
	if r.ContentLength != 0 {
		if err := readJSON(w, r, &req); err != nil {
			writeError(w, err)
			return
		}
	}
	if req.Days < 1 || req.Days > 365 {
		writeError(w, errorf(http.StatusBadRequest, CodeBadRequest, "days: 1 to 365"))
		return
	}
	exp := a.now().Add(time.Duration(req.Days) * 24 * time.Hour).UTC().Truncate(time.Second)
	writeJSON(w, http.StatusOK, map[string]any{"url": a.baseURL(r) + "/g/" + a.GuestLink(al.ID, exp), "expiresAt": exp})
}
