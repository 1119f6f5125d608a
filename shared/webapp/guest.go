package webapp

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/steps"
)

// guestTopK is how many photos a guest search returns at most.
const guestTopK = 60

// guestMatch is one photo a guest may see: its URLs carry a grant for it.
type guestMatch struct {
	Thumb    string  `json:"thumb"`
	Original string  `json:"original"`
	Download string  `json:"download"`
	Score    float32 `json:"score"`
}

// guestSearch searches the link's album with a selfie: a multipart form
// with a "selfie" file, or the image itself as the body. The selfie is
// read into memory, searched and dropped; it is never stored.
func (a *App) guestSearch(w http.ResponseWriter, r *http.Request) {
	albumID, err := a.guestAlbum(r.PathValue("link"))
	if err != nil {
		writeError(w, err)
		return
	}
	if !a.limiter.allow(clientAddress(r)) {
		writeError(w, errorf(http.StatusTooManyRequests, CodeRateLimited, "too many searches from here: wait a minute and try again"))
		return
	}
	selfie, err := readSelfie(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx := r.Context()
	idx, err := a.albumIndex(ctx, albumID)
	if isMissing(err) {
		writeError(w, errorf(http.StatusConflict, CodeNotProcessed, "this album's photos are not ready yet: try again later"))
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := a.opt.Steps.Search(ctx, steps.SearchInput{AlbumID: albumID, Image: selfie, TopK: guestTopK, OneFace: true, Index: idx})
	if err != nil {
		writeError(w, err)
		return
	}
	exp := a.now().Add(grantTTL)
	base := "/api/g/" + url.PathEscape(r.PathValue("link")) + "/photos/"
	out := make([]guestMatch, 0, len(res.Photos))
	for _, p := range res.Photos {
		u := base + a.grant(albumID, p.ImageID, exp)
		out = append(out, guestMatch{Thumb: u + "?size=thumb", Original: u, Download: u + "?download=1", Score: p.Score})
	}
	writeJSON(w, http.StatusOK, map[string]any{"photos": out})
}

// readSelfie reads the selfie of a request, refusing what is too large or
// is not an image by its content.
func readSelfie(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxSelfieBytes+64<<10)
	var src io.Reader = r.Body
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, errorf(http.StatusBadRequest, CodeBadRequest, "the form cannot be read: send the photo as the \"selfie\" field")
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				return nil, errorf(http.StatusBadRequest, CodeBadRequest, "no \"selfie\" field in the form: choose a photo")
			}
			if part.FormName() == "selfie" {
				src = part
				break
			}
		}
	}
	body, err := io.ReadAll(io.LimitReader(src, MaxSelfieBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxSelfieBytes {
		return nil, errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the selfie is over %d MB: take a smaller one", MaxSelfieBytes>>20))
	}
	if len(body) == 0 {
		return nil, errorf(http.StatusBadRequest, CodeBadRequest, "the selfie is empty: choose a photo")
	}
	if _, ok := imaging.Sniff(body[:min(len(body), imaging.SniffLen)]); !ok {
		return nil, errorf(http.StatusUnsupportedMediaType, CodeNotAnImage, "this file is not a photo: take a selfie or choose a JPEG, PNG, WebP or HEIC photo")
	}
	return body, nil
}

// guestPhoto serves one photo a guest's search returned (the grant names
// it): its thumbnail (size=thumb), the original, or the original as a
// download (download=1).
func (a *App) guestPhoto(w http.ResponseWriter, r *http.Request) {
	albumID, err := a.guestAlbum(r.PathValue("link"))
	if err != nil {
		writeError(w, err)
		return
	}
	imageID, err := a.checkGrant(albumID, r.PathValue("grant"))
	if err != nil {
		writeError(w, err)
		return
	}
	idx, err := a.albumIndex(r.Context(), albumID)
	if isMissing(err) {
		writeError(w, errNotFound)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	e, ok := idx.Images[imageID]
	if !ok {
		writeError(w, errNotFound)
		return
	}
	size := "original"
	if r.URL.Query().Get("size") == "thumb" {
		size = "thumb"
	}
	a.servePhoto(w, r, albumID, e.Key, size, r.URL.Query().Get("download") == "1")
}
