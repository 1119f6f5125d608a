package steps

import (
	"context"
	"fmt"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
)

// Embed is EmbedFaces: read the photo's chips, embed them in one batch, and
// write the photo's face record under RecordKey (a pure function of album,
// pack version and photo, so a retry overwrites instead of duplicating).
func (s *Steps) Embed(ctx context.Context, in EmbedInput) (ItemResult, error) {
	if err := ValidateAlbumID(in.AlbumID); err != nil {
		return ItemResult{}, err
	}
	pack, err := s.pack(in.Pack)
	if err != nil {
		return ItemResult{}, err
	}
	b, err := s.bucket(in.Bucket)
	if err != nil {
		return ItemResult{}, err
	}
	n := len(in.Detect.Faces)
	if n == 0 || in.Detect.ChipsKey == "" {
		return ItemResult{}, &domain.InvalidInput{Field: "detect", Reason: "no faces or no chips key to embed"}
	}
	body, _, err := b.Get(ctx, in.Detect.ChipsKey)
	if err != nil {
		return ItemResult{}, err
	}
	if len(body) != n*face.ChipBytes {
		return ItemResult{}, &domain.InvalidInput{Field: "detect.chipsKey",
			Reason: fmt.Sprintf("%s holds %d bytes, want %d faces x %d", in.Detect.ChipsKey, len(body), n, face.ChipBytes)}
	}
	chips := make([]face.Chip, n)
	for i := range chips {
		chips[i] = face.Chip(body[i*face.ChipBytes : (i+1)*face.ChipBytes])
	}
	eng, err := s.Engines.Engine(ctx, pack)
	if err != nil {
		return ItemResult{}, &domain.EngineError{Op: "load pack " + pack.Name, Err: err}
	}
	embs, err := eng.Embed(chips)
	if err != nil {
		return ItemResult{}, &domain.EngineError{Op: "embed " + in.Image.Key, Err: err}
	}
	imageID := ImageID(in.Image.Key)
	etag := in.Detect.ETag
	if etag == "" {
		etag = in.Image.ETag
	}
	rec := FaceRecord{AlbumID: in.AlbumID, ImageID: imageID, Key: in.Image.Key, ETag: etag,
		Pack: pack.Name, PackVersion: pack.Version, Width: in.Detect.Width, Height: in.Detect.Height,
		Faces: make([]RecordFace, n)}
	for i, f := range in.Detect.Faces {
		rec.Faces[i] = RecordFace{Box: f.Box, Score: f.Score, Landmarks: f.Landmarks, Embedding: embs[i]}
	}
	if err := putJSON(ctx, b, RecordKey(in.AlbumID, pack.Version, imageID), rec); err != nil {
		return ItemResult{}, err
	}
	return ItemResult{Image: in.Image.Key, Status: StatusDone, Faces: n}, nil
}
