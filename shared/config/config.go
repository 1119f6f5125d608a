// Package config turns configuration (environment variables, or the CLI's
// flags) into the pipeline's dependencies: the blob store, the vector store,
// the model packs and the face engines, assembled into a steps.Steps. It is
// the one place the Lambda mains and the local pipeline share their wiring.
//
// It returns errors and never exits: a Lambda's main decides what to do.
package config

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/vectors"
)

// DefaultBucket is the bucket name of the embedded mode.
const DefaultBucket = "divinepic"

// Config is everything needed to build the dependencies.
type Config struct {
	Blobs           string // blob store URL
	Vectors         string // vector store URL
	Bucket          string
	Pack            string
	MaxPixels       int64
	StateMachineARN string // the reprocess step's state machine
	SFNEndpoint     string
	Threads         int // ONNX intra-op threads per session
	Workers         int // face engines per model pack (concurrent photos); 0 means 1
}

// DefaultDataDir is where the embedded mode keeps its state: $DIVINEPIC_DATA,
// else <cache>/data.
func DefaultDataDir() string {
	if d := os.Getenv(names.EnvData); d != "" {
		return d
	}
	return filepath.Join(locate.CacheDir(), "data")
}

// Embedded is the configuration of the embedded mode over a data directory:
// blobs in <data>/blobs, vectors in <data>/vectors.
func Embedded(dataDir, pack string) Config {
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	return Config{
		Blobs:   (&url.URL{Scheme: "file", Path: filepath.Join(dataDir, "blobs")}).String(),
		Vectors: (&url.URL{Scheme: "file", Path: filepath.Join(dataDir, "vectors")}).String(),
		Bucket:  DefaultBucket,
		Pack:    pack,
	}
}

// FromEnv reads the environment; unset values fall back to the embedded mode
// over DefaultDataDir.
func FromEnv() (Config, error) {
	c := Embedded(DefaultDataDir(), os.Getenv(names.EnvPack))
	if v := os.Getenv(names.EnvBlobs); v != "" {
		c.Blobs = v
	}
	if v := os.Getenv(names.EnvVectors); v != "" {
		c.Vectors = v
	}
	if v := os.Getenv(names.EnvBucket); v != "" {
		c.Bucket = v
	}
	c.StateMachineARN = os.Getenv(names.EnvStateMachineARN)
	c.SFNEndpoint = os.Getenv(names.EnvSFNEndpoint)
	if v := os.Getenv(names.EnvMaxPixels); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return Config{}, fmt.Errorf("%s=%q: want a positive number of pixels", names.EnvMaxPixels, v)
		}
		c.MaxPixels = n
	}
	return c, nil
}

// Deps are the built dependencies; Close releases them.
type Deps struct {
	Steps   *steps.Steps
	Blobs   blob.Buckets
	Vectors vectors.Store
	engines *steps.EngineCache
	closers []func() error
}

// Close releases the face engines and the vector store.
func (d *Deps) Close() error {
	var first error
	for i := len(d.closers) - 1; i >= 0; i-- {
		if err := d.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Build opens the stores and prepares (lazily loaded) face engines.
func Build(ctx context.Context, c Config) (*Deps, error) {
	packs, err := modelpack.Default()
	if err != nil {
		return nil, err
	}
	if c.Pack == "" {
		c.Pack = modelpack.DefaultPack
	}
	if _, err := packs.Pack(c.Pack); err != nil {
		return nil, err
	}
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	blobs, err := blob.Open(ctx, c.Blobs)
	if err != nil {
		return nil, err
	}
	d := &Deps{Blobs: blobs}
	vs, closeVS, err := openVectors(ctx, c.Vectors)
	if err != nil {
		return nil, err
	}
	d.Vectors = vs
	if closeVS != nil {
		d.closers = append(d.closers, closeVS)
	}
	d.engines = &steps.EngineCache{Resolver: modelpack.NewResolver(packs), Options: face.Options{IntraOpThreads: c.Threads}, Workers: c.Workers}
	d.closers = append(d.closers, d.engines.Close)
	d.Steps = &steps.Steps{
		Blobs: blobs, Vectors: vs, Packs: packs, Engines: d.engines,
		Bucket: c.Bucket, DefaultPack: c.Pack, Decode: imaging.Options{MaxPixels: c.MaxPixels},
	}
	if c.StateMachineARN != "" {
		ex, err := NewStepFunctions(ctx, c.StateMachineARN, c.SFNEndpoint)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.Steps.Executions = ex
	}
	return d, nil
}

// openVectors opens the vector store a URL names.
func openVectors(ctx context.Context, raw string) (vectors.Store, func() error, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("vector store %q: %w", raw, err)
	}
	switch u.Scheme {
	case "file", "":
		if u.Path == "" {
			return nil, nil, fmt.Errorf("vector store %q: no directory", raw)
		}
		l, err := vectors.OpenLocal(u.Path)
		if err != nil {
			return nil, nil, err
		}
		return l, l.Close, nil
	case "mem":
		return vectors.NewMemory(), nil, nil
	case "s3vectors":
		return openS3Vectors(ctx, u)
	}
	return nil, nil, fmt.Errorf("vector store %q: unknown scheme %q (want file:///dir, mem:// or s3vectors://bucket)", raw, u.Scheme)
}
