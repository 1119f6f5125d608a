package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
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

// Engines hands out a loaded engine per model pack.
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
	Now         func() time.Time
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

// EngineCache loads each model pack's face engines once, on first use, and
// keeps them for the life of the process. With Workers > 1 it loads that
// many engines per pack (each with its own ONNX sessions) and hands each
// call to a free one, so concurrent photos use every core; a Lambda, which
// runs one invocation at a time, needs one.
type EngineCache struct {
	Resolver *modelpack.Resolver
	Options  face.Options
	Workers  int // engines per pack; 0 means 1

	mu    sync.Mutex
	packs map[string]*enginePool
}

var _ Engines = (*EngineCache)(nil)

// Engine returns the pack's engine(s), loading them the first time.
func (c *EngineCache) Engine(ctx context.Context, pack *modelpack.Pack) (FaceEngine, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.packs[pack.Name]; ok {
		return p, nil
	}
	n := max(c.Workers, 1)
	p := &enginePool{free: make(chan *face.Engine, n)}
	for i := 0; i < n; i++ {
		e, err := face.NewEngine(ctx, pack, c.Resolver, c.Options)
		if err != nil {
			p.close()
			return nil, err
		}
		p.all = append(p.all, e)
		p.free <- e
	}
	if c.packs == nil {
		c.packs = map[string]*enginePool{}
	}
	c.packs[pack.Name] = p
	return p, nil
}

// Close releases every loaded engine.
func (c *EngineCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, p := range c.packs {
		errs = append(errs, p.close())
	}
	c.packs = nil
	return errors.Join(errs...)
}

// enginePool runs each call on a free engine of the pack.
type enginePool struct {
	all  []*face.Engine
	free chan *face.Engine
}

var _ FaceEngine = (*enginePool)(nil)

func (p *enginePool) Detect(img *imaging.RGB) ([]face.Face, error) {
	e := <-p.free
	defer func() { p.free <- e }()
	return e.Detect(img)
}

func (p *enginePool) Align(img *imaging.RGB, faces []face.Face) ([]face.Chip, error) {
	e := <-p.free
	defer func() { p.free <- e }()
	return e.Align(img, faces)
}

func (p *enginePool) Embed(chips []face.Chip) ([][]float32, error) {
	e := <-p.free
	defer func() { p.free <- e }()
	return e.Embed(chips)
}

func (p *enginePool) close() error {
	var errs []error
	for _, e := range p.all {
		errs = append(errs, e.Close())
	}
	return errors.Join(errs...)
}
