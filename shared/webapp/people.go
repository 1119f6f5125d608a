package webapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"strconv"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
)

// The album page's people section.
const (
	maxPagePeople  = 60 // persons shown, most faces first
	maxPersonFaces = 8  // faces shown of each, best first (the others are counted)
	cropPixels     = 160
)

// personView is one person on the album page.
type personView struct {
	ID    string
	Count int
	Faces []faceRef // best first; the first is the representative
}

// faceRef names a face for its crop's URL: /faces/{Image}/{N}.
type faceRef struct {
	ID    string // names.FaceID
	Image string
	N     int
}

// peopleView is the album's people for its page.
type peopleView struct {
	People  []personView // persons of two faces or more, then single faces, at most maxPagePeople
	Grouped int          // persons of two faces or more
	Alone   int          // faces that are nobody else's
	Hidden  int          // persons not shown
}

// albumPeople reads the album's people record (nil when not grouped yet).
func (a *App) albumPeople(ctx context.Context, albumID string) (*peopleView, error) {
	body, _, err := a.bucket.Get(ctx, names.PeopleKey(albumID, a.pack.Version))
	if isMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec domain.PeopleRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, fmt.Errorf("people of album %s: %w", albumID, err)
	}
	v := &peopleView{}
	for _, p := range rec.People {
		if len(p.Faces) > 1 {
			v.Grouped++
		} else {
			v.Alone++
		}
		if len(v.People) == maxPagePeople {
			v.Hidden++
			continue
		}
		pv := personView{ID: p.ID, Count: len(p.Faces)}
		for _, f := range p.Faces[:min(len(p.Faces), maxPersonFaces)] {
			if ref, ok := parseFaceID(f); ok {
				pv.Faces = append(pv.Faces, ref)
			}
		}
		if len(pv.Faces) > 0 {
			v.People = append(v.People, pv)
		}
	}
	return v, nil
}

// parseFaceID splits a names.FaceID into its photo and face index.
func parseFaceID(id string) (faceRef, bool) {
	img := names.ImageOfFaceID(id)
	n, err := strconv.Atoi(id[min(len(id), len(img)+1):])
	if err != nil || n < 0 || names.FaceID(img, n) != id {
		return faceRef{}, false
	}
	return faceRef{ID: id, Image: img, N: n}, true
}

// faceCrop serves a square JPEG of one face of an album's photo, cut from
// the photo by the face's box (with a margin) and scaled to cropPixels.
func (a *App) faceCrop(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	ctx := r.Context()
	imageID := r.PathValue("image")
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || strconv.Itoa(n) != r.PathValue("n") {
		writeError(w, errNotFound)
		return
	}
	key, err := a.photoKey(ctx, al.ID, imageID)
	if err != nil {
		writeError(w, err)
		return
	}
	body, _, err := a.bucket.Get(ctx, names.RecordKey(al.ID, a.pack.Version, imageID))
	if isMissing(err) {
		writeError(w, errNotFound)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	var rec domain.FaceRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		writeError(w, fmt.Errorf("face record %s: %w", imageID, err))
		return
	}
	if n >= len(rec.Faces) {
		writeError(w, errNotFound)
		return
	}
	photo, _, err := a.bucket.Get(ctx, key)
	if isMissing(err) {
		writeError(w, errNotFound)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	img, err := imaging.Decode(photo, imaging.Options{MinLongSide: 1024})
	if err != nil {
		writeError(w, errorf(http.StatusUnprocessableEntity, CodeNotAnImage, "this photo cannot be read any more"))
		return
	}
	out, err := cropFace(img, rec.Faces[n].Box)
	if err != nil {
		writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Cache-Control", "private, max-age=3600")
	w.Write(out)
}

// cropFace cuts the square around box (original pixels; half the face's
// size again as margin) out of img and encodes it as a cropPixels JPEG.
func cropFace(img *imaging.RGB, box [4]float32) ([]byte, error) {
	s := float32(img.Scale)
	if s <= 0 {
		s = 1
	}
	cx, cy := (box[0]+box[2])/2/s, (box[1]+box[3])/2/s
	half := max(box[2]-box[0], box[3]-box[1]) / s * 0.75
	x0, y0 := max(0, int(cx-half)), max(0, int(cy-half))
	x1, y1 := min(img.W, int(cx+half)), min(img.H, int(cy+half))
	if x1-x0 < 2 || y1-y0 < 2 {
		return nil, errNotFound
	}
	sub := &imaging.RGB{W: x1 - x0, H: y1 - y0, Scale: 1}
	sub.Pix = make([]uint8, sub.W*sub.H*3)
	for y := 0; y < sub.H; y++ {
		copy(sub.Pix[y*sub.W*3:(y+1)*sub.W*3], img.Pix[((y0+y)*img.W+x0)*3:((y0+y)*img.W+x1)*3])
	}
	side := cropPixels
	sw, sh := side, side*sub.H/sub.W
	if sub.H > sub.W {
		sw, sh = side*sub.W/sub.H, side
	}
	small := imaging.ResizeBilinear(sub, max(1, sw), max(1, sh))
	rgba := image.NewRGBA(image.Rect(0, 0, small.W, small.H))
	for i := 0; i < small.W*small.H; i++ {
		copy(rgba.Pix[i*4:i*4+3], small.Pix[i*3:i*3+3])
		rgba.Pix[i*4+3] = 255
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type mergeRequest struct {
	People [2]string `json:"people"` // two person ids
}

type splitRequest struct {
	Face string `json:"face"` // a face id: not its person's
}

// mergePeople makes two persons one (steps.CorrectPeople: the correction
// is stored by face id and holds on every later run).
func (a *App) mergePeople(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	var req mergeRequest
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	a.correctPeople(w, r, steps.PeopleCorrection{AlbumID: al.ID, Merge: req.People})
}

// splitPeople takes a face out of its person.
func (a *App) splitPeople(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	var req splitRequest
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Face == "" {
		writeError(w, errorf(http.StatusBadRequest, CodeBadRequest, "face: the face to take out of its person"))
		return
	}
	a.correctPeople(w, r, steps.PeopleCorrection{AlbumID: al.ID, Split: req.Face})
}

func (a *App) correctPeople(w http.ResponseWriter, r *http.Request, c steps.PeopleCorrection) {
	if c.Merge == [2]string{} && c.Split == "" {
		writeError(w, errorf(http.StatusBadRequest, CodeBadRequest, "people: the two persons to merge"))
		return
	}
	out, err := a.opt.Steps.CorrectPeople(r.Context(), c)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": out.People, "grouped": out.Grouped})
}
