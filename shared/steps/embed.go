package steps

import (
	"context"
	"fmt"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/names"
)

// Embed is EmbedFaces: read the photo's detections, embed the chips,
// measure each face's quality and judge it at s.Quality (face.Measure,
// QualityLevel.Reason: a face not worth indexing keeps the reason in
// Filtered), and write the photo's face record under RecordKey (a pure
// function of album, pack version and photo, so a retry overwrites instead
// of duplicating). Its result counts the faces worth indexing.
func (s *Steps) Embed(ctx context.Context, in EmbedInput) (domain.ItemResult, error) {
	if err := names.ValidateAlbumID(in.AlbumID); err != nil {
		return domain.ItemResult{}, err
	}
	pack, err := s.pack(in.Pack)
	if err != nil {
		return domain.ItemResult{}, err
	}
	b, err := s.bucket(in.Bucket)
	if err != nil {
		return domain.ItemResult{}, err
	}
	if in.Detect.FaceCount == 0 || in.Detect.DetectionsKey == "" {
		return domain.ItemResult{}, &domain.InvalidInput{Field: "detect", Reason: "no faces or no detections key to embed"}
	}
	if err := names.ValidateAlbumKey(in.AlbumID, "image.key", in.Image.Key); err != nil {
		return domain.ItemResult{}, err
	}
	// The detections are the ones DetectFaces wrote for this photo of this
	// album, never another key the state names.
	if want := names.DetectionsKey(in.AlbumID, pack.Version, names.ImageID(in.Image.Key), in.Detect.ETag); in.Detect.DetectionsKey != want {
		return domain.ItemResult{}, &domain.InvalidInput{Field: "detect.detectionsKey", Reason: fmt.Sprintf("%q is not the detections of %s (%s)", in.Detect.DetectionsKey, in.Image.Key, want)}
	}
	obj, _, err := b.Get(ctx, in.Detect.DetectionsKey)
	if err != nil {
		return domain.ItemResult{}, err
	}
	det, chips, err := decodeDetections(in.Detect.DetectionsKey, obj)
	if err != nil {
		return domain.ItemResult{}, err
	}
	eng, err := s.Engines.Engine(ctx, pack)
	if err != nil {
		return domain.ItemResult{}, &domain.EngineUnavailable{Pack: pack.Name, Err: err}
	}
	embs, err := eng.Embed(chips)
	if err != nil {
		return domain.ItemResult{}, &domain.EngineError{Op: "embed " + in.Image.Key, Err: err}
	}
	imageID := names.ImageID(in.Image.Key)
	rec := domain.FaceRecord{AlbumID: in.AlbumID, ImageID: imageID, Key: in.Image.Key, ETag: det.ETag,
		Pack: pack.Name, PackVersion: pack.Version, Width: det.Width, Height: det.Height,
		Faces: make([]domain.Face, len(det.Faces))}
	level := s.Quality
	if level == "" {
		level = face.DefaultQuality
	}
	indexed := 0
	for i, f := range det.Faces {
		q := face.Measure(f, chips[i])
		rec.Faces[i] = domain.Face{Box: f.Box, Score: f.Score, Landmarks: f.Landmarks, Embedding: embs[i], Quality: &q}
		rec.Faces[i].Filtered = level.Reason(rec.Faces[i])
		if rec.Faces[i].Filtered == "" {
			indexed++
		}
	}
	if err := putJSON(ctx, b, names.RecordKey(in.AlbumID, pack.Version, imageID), rec); err != nil {
		return domain.ItemResult{}, err
	}
	return domain.ItemResult{Image: in.Image.Key, ETag: det.ETag, Status: domain.StatusDone, Faces: indexed}, nil
}
