package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/names"
)

// MaxPhotoBytes is the largest file taken as a photo (a camera's largest
// JPEG or HEIC is a few tens of MB); a larger one is refused unread.
const MaxPhotoBytes = 200 << 20

// A photo's thumbnail (for an album's page): the long side in pixels and
// the JPEG quality.
const (
	ThumbnailLongSide = 512
	ThumbnailQuality  = 80
)

// Detect is DetectFaces: decode and orient the photo, detect its faces, and
// write them with their aligned 112x112 chips to one work object. A photo
// with no face gets its (empty) face record here, since EmbedFaces will not
// run for it. The photo is decoded once: the detector's input, the source
// of the aligned chips and the thumbnail (ThumbnailKey) all come from the
// same reduced-scale decode.
func (s *Steps) Detect(ctx context.Context, in DetectInput) (DetectOutput, error) {
	if err := names.ValidateAlbumID(in.AlbumID); err != nil {
		return DetectOutput{}, err
	}
	if err := names.ValidateAlbumKey(in.AlbumID, "image.key", in.Image.Key); err != nil {
		return DetectOutput{}, err
	}
	pack, err := s.pack(in.Pack)
	if err != nil {
		return DetectOutput{}, err
	}
	b, err := s.bucket(in.Bucket)
	if err != nil {
		return DetectOutput{}, err
	}
	if in.Image.Size > MaxPhotoBytes {
		return DetectOutput{}, &domain.ImageUnreadable{Key: in.Image.Key,
			Reason: fmt.Sprintf("file too large: %d MB, the limit is %d MB", in.Image.Size>>20, MaxPhotoBytes>>20)}
	}
	imageID := names.ImageID(in.Image.Key)
	if done, ok, err := s.doneThisRun(ctx, b, in, pack.Version); err != nil || ok {
		return done, err
	}
	body, info, err := b.Get(ctx, in.Image.Key)
	if err != nil {
		return DetectOutput{}, err
	}
	img, err := s.decode(in.Image.Key, body)
	if err != nil {
		return DetectOutput{}, err
	}
	body = nil // the decoded image is all that is needed from here on
	thumb, err := Thumbnail(img)
	if err != nil {
		return DetectOutput{}, err
	}
	if _, err := b.Put(ctx, names.ThumbnailKey(in.AlbumID, imageID), thumb); err != nil {
		return DetectOutput{}, err
	}
	eng, err := s.Engines.Engine(ctx, pack)
	if err != nil {
		return DetectOutput{}, &domain.EngineUnavailable{Pack: pack.Name, Err: err}
	}
	faces, err := eng.Detect(img)
	if err != nil {
		return DetectOutput{}, &domain.EngineError{Op: "detect " + in.Image.Key, Err: err}
	}
	out := DetectOutput{FaceCount: len(faces), Width: img.OrigW, Height: img.OrigH, ETag: info.ETag}
	if len(faces) == 0 {
		rec := domain.FaceRecord{AlbumID: in.AlbumID, ImageID: imageID, Key: in.Image.Key, ETag: info.ETag,
			Pack: pack.Name, PackVersion: pack.Version, Width: img.OrigW, Height: img.OrigH, Faces: []domain.Face{}}
		return out, putJSON(ctx, b, names.RecordKey(in.AlbumID, pack.Version, imageID), rec)
	}
	chips, err := eng.Align(img, faces)
	if err != nil {
		return DetectOutput{}, &domain.EngineError{Op: "align " + in.Image.Key, Err: err}
	}
	det := domain.Detections{Faces: make([]domain.Face, len(faces)), Width: img.OrigW, Height: img.OrigH, ETag: info.ETag}
	for i, f := range faces {
		det.Faces[i] = domain.Face{Box: f.Box, Score: f.Score, Landmarks: f.Landmarks}
	}
	obj, err := encodeDetections(det, chips)
	if err != nil {
		return DetectOutput{}, err
	}
	out.DetectionsKey = names.DetectionsKey(in.AlbumID, pack.Version, imageID, info.ETag)
	if _, err := b.Put(ctx, out.DetectionsKey, obj); err != nil {
		return DetectOutput{}, err
	}
	return out, nil
}

// encodeDetections lays out a detections object: a line of JSON, then the
// chips.
func encodeDetections(det domain.Detections, chips []face.Chip) ([]byte, error) {
	head, err := json.Marshal(det)
	if err != nil {
		return nil, err
	}
	obj := make([]byte, 0, len(head)+1+len(chips)*face.ChipBytes)
	obj = append(append(obj, head...), '\n')
	for _, c := range chips {
		if err := c.Valid(); err != nil {
			return nil, err
		}
		obj = append(obj, c...)
	}
	return obj, nil
}

// decodeDetections reads a detections object back.
func decodeDetections(key string, obj []byte) (domain.Detections, []face.Chip, error) {
	var det domain.Detections
	head, rest, ok := bytes.Cut(obj, []byte{'\n'})
	if !ok {
		return det, nil, &domain.InvalidInput{Field: "detectionsKey", Reason: key + ": no header line"}
	}
	if err := json.Unmarshal(head, &det); err != nil {
		return det, nil, &domain.InvalidInput{Field: "detectionsKey", Reason: key + ": " + err.Error()}
	}
	n := len(det.Faces)
	if len(rest) != n*face.ChipBytes {
		return det, nil, &domain.InvalidInput{Field: "detectionsKey",
			Reason: fmt.Sprintf("%s holds %d bytes of chips, want %d faces x %d", key, len(rest), n, face.ChipBytes)}
	}
	chips := make([]face.Chip, n)
	for i := range chips {
		chips[i] = face.Chip(rest[i*face.ChipBytes : (i+1)*face.ChipBytes])
	}
	return det, chips, nil
}

// Thumbnail is the JPEG thumbnail of a decoded photo: ThumbnailLongSide
// pixels on its long side (a smaller photo keeps its size), upright.
func Thumbnail(img *imaging.RGB) ([]byte, error) {
	w, h := img.W, img.H
	if long := max(w, h); long > ThumbnailLongSide {
		w = max(1, (w*ThumbnailLongSide+long/2)/long)
		h = max(1, (h*ThumbnailLongSide+long/2)/long)
	}
	return imaging.EncodeJPEG(imaging.ResizeBilinear(img, w, h), ThumbnailQuality, imaging.Subsampling420)
}

// decode turns the photo's bytes into an upright image large enough for
// alignment; anything undecodable is *domain.ImageUnreadable naming the key,
// or *domain.ImageUnsupported when only this deployment's limits stop it.
func (s *Steps) decode(key string, body []byte) (*imaging.RGB, error) {
	opt := s.Decode
	if opt.MinLongSide == 0 {
		opt.MinLongSide = face.DecodeLongSide
	}
	img, err := imaging.Decode(body, opt)
	if err != nil {
		var bad *domain.ImageUnreadable
		if errors.As(err, &bad) {
			bad.Key = key
			return nil, bad
		}
		var limit *domain.ImageUnsupported
		if errors.As(err, &limit) {
			limit.Key = key
			return nil, limit
		}
		return nil, &domain.ImageUnreadable{Key: key, Reason: "cannot decode", Err: err}
	}
	return img, nil
}

// doneThisRun reports a photo whose face record this run already wrote (a
// batch that a crash or a redrive runs again), so that it is not processed
// twice. It costs one GET per photo of a run's batches; a photo with no
// record yet is the usual case.
func (s *Steps) doneThisRun(ctx context.Context, b blob.Store, in DetectInput, packVersion string) (DetectOutput, bool, error) {
	rec, ok, err := recordSince(ctx, b, in.AlbumID, packVersion, in.Image.Key, in.Image.ETag, in.StartedAt)
	if err != nil || !ok {
		return DetectOutput{}, false, err
	}
	return DetectOutput{Done: true, FaceCount: len(rec.Faces), Width: rec.Width, Height: rec.Height, ETag: rec.ETag}, true, nil
}

// recordSince returns the photo's face record when it was written since
// the run started (since: its ListImages), for this pack version and, when
// etag is known, this content: the photo is done in this run. A zero since
// finds none. S3 rounds LastModified down to the second, which errs
// towards processing a photo again, never towards skipping one.
func recordSince(ctx context.Context, b blob.Store, albumID, packVersion, key, etag string, since time.Time) (*domain.FaceRecord, bool, error) {
	if since.IsZero() {
		return nil, false, nil
	}
	body, info, err := b.Get(ctx, names.RecordKey(albumID, packVersion, names.ImageID(key)))
	if isMissing(err) || errors.Is(err, blob.ErrAccessDenied) {
		// No record yet. On AWS detect may read records but not list the
		// bucket, so S3 answers a missing one with AccessDenied.
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var rec domain.FaceRecord
	if json.Unmarshal(body, &rec) != nil || info.LastModified.Before(since) ||
		rec.PackVersion != packVersion || (etag != "" && rec.ETag != etag) {
		return nil, false, nil // an older run's record (or a damaged one): not done in this run
	}
	return &rec, true, nil
}
