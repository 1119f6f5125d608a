package steps

import (
	"context"
	"errors"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
)

// Detect is DetectFaces: decode and orient the photo, detect its faces,
// write their aligned 112x112 chips (one object, the chips one after the
// other). A photo with no face gets its (empty) face record here, since
// EmbedFaces will not run for it.
func (s *Steps) Detect(ctx context.Context, in DetectInput) (DetectOutput, error) {
	if err := ValidateAlbumID(in.AlbumID); err != nil {
		return DetectOutput{}, err
	}
	if in.Image.Key == "" {
		return DetectOutput{}, &domain.InvalidInput{Field: "image.key", Reason: "empty"}
	}
	pack, err := s.pack(in.Pack)
	if err != nil {
		return DetectOutput{}, err
	}
	b, err := s.bucket(in.Bucket)
	if err != nil {
		return DetectOutput{}, err
	}
	imageID := ImageID(in.Image.Key)
	body, info, err := b.Get(ctx, in.Image.Key)
	if err != nil {
		return DetectOutput{}, err
	}
	img, err := s.decode(in.Image.Key, body)
	if err != nil {
		return DetectOutput{}, err
	}
	eng, err := s.Engines.Engine(ctx, pack)
	if err != nil {
		return DetectOutput{}, &domain.EngineError{Op: "load pack " + pack.Name, Err: err}
	}
	faces, err := eng.Detect(img)
	if err != nil {
		return DetectOutput{}, &domain.EngineError{Op: "detect " + in.Image.Key, Err: err}
	}
	out := DetectOutput{FaceCount: len(faces), Faces: make([]DetectedFace, len(faces)), Width: img.OrigW, Height: img.OrigH, ETag: info.ETag}
	for i, f := range faces {
		out.Faces[i] = DetectedFace{Box: f.Box, Score: f.Score, Landmarks: f.Landmarks}
	}
	if len(faces) == 0 {
		rec := FaceRecord{AlbumID: in.AlbumID, ImageID: imageID, Key: in.Image.Key, ETag: info.ETag,
			Pack: pack.Name, PackVersion: pack.Version, Width: img.OrigW, Height: img.OrigH, Faces: []RecordFace{}}
		return out, putJSON(ctx, b, RecordKey(in.AlbumID, pack.Version, imageID), rec)
	}
	chips, err := eng.Align(img, faces)
	if err != nil {
		return DetectOutput{}, &domain.EngineError{Op: "align " + in.Image.Key, Err: err}
	}
	all := make([]byte, 0, len(chips)*face.ChipBytes)
	for _, c := range chips {
		all = append(all, c...)
	}
	out.ChipsKey = ChipsKey(in.AlbumID, pack.Version, imageID)
	if _, err := b.Put(ctx, out.ChipsKey, all); err != nil {
		return DetectOutput{}, err
	}
	return out, nil
}

// decode turns the photo's bytes into an upright image large enough for
// alignment; anything undecodable is *domain.ImageUnreadable naming the key.
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
		return nil, &domain.ImageUnreadable{Key: key, Reason: "cannot decode", Err: err}
	}
	return img, nil
}
