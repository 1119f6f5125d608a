package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/vectors"
)

// FaceEngine is what the steps need of a loaded model pack (face.Engine).
type FaceEngine interface {
	Detect(img *imaging.RGB) ([]face.Face, error)
	Align(img *imaging.RGB, faces []face.Face) ([]face.Chip, error)
	Embed(chips []face.Chip) ([][]float32, error)
}

var _ FaceEngine = (*face.Engine)(nil)

// Engines hands out a loaded engine per model pack (face.Pool, wired by
// shared/wiring).
type Engines interface {
	Engine(ctx context.Context, pack *modelpack.Pack) (FaceEngine, error)
}

// Steps is the dependencies every handler shares. Build it once per process
// (a Lambda's cold start, or the local engine) and call its methods many
// times from any number of goroutines.
type Steps struct {
	Blobs   blob.Buckets
	Vectors vectors.Store
	Packs   *modelpack.Manifest
	Engines Engines
	// Executions starts album executions (the reprocess step only).
	Executions Executions

	Bucket      string          // the bucket when the input names none
	DefaultPack string          // the pack when the input names none
	Decode      imaging.Options // decoding limits (pixel budget)
	// Quality is the quality filter's level: which faces EmbedFaces marks
	// as not worth indexing ("": face.DefaultQuality).
	Quality face.QualityLevel
	Now     func() time.Time
}

func (s *Steps) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Steps) pack(name string) (*modelpack.Pack, error) {
	if name == "" {
		name = s.DefaultPack
	}
	p, err := s.Packs.Pack(name)
	if err != nil {
		return nil, &domain.InvalidInput{Field: "pack", Reason: err.Error()}
	}
	return p, nil
}

func (s *Steps) bucket(name string) (blob.Store, error) {
	if name == "" {
		name = s.Bucket
	}
	b, err := s.Blobs.Bucket(name)
	if err != nil {
		return nil, &domain.InvalidInput{Field: "bucket", Reason: err.Error()}
	}
	return b, nil
}

// getJSON reads a JSON object; a missing one is *domain.ObjectMissing.
func getJSON(ctx context.Context, b blob.Store, key string, v any) error {
	body, _, err := b.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	return nil
}

func putJSON(ctx context.Context, b blob.Store, key string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	_, err = b.Put(ctx, key, body)
	return err
}

func isMissing(err error) bool {
	var m *domain.ObjectMissing
	return errors.As(err, &m)
}
