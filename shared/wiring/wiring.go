// Package wiring is the pipeline's composition root: the one place that
// turns a config.Config into the running dependencies (the blob store, the
// vector store, the model packs, the pool of face engines, the starter of
// album executions) and assembles them into a steps.Steps. The Lambda mains
// (through shared/lambdamain), the embedded pipeline (shared/embedded) and
// the CLI build everything through it, so no other package opens a store
// or loads an engine for the pipeline.
//
// It returns errors and never exits: a Lambda's main decides what to do.
package wiring

import (
	"context"
	"fmt"
	"log"
	"net/url"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sfnclient"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/vectors"
)

// Deps are the built dependencies; Close releases them.
type Deps struct {
	Steps   *steps.Steps
	Blobs   blob.Buckets
	Vectors vectors.Store
	Engines *face.Pool
	// OnRepair, when set, hears of every repair of the local vector store
	// (a damaged, lost or incomplete index rebuilt from the face records,
	// steps.FaceRecords); when nil, repairs are logged (package log).
	OnRepair func(vectors.Repair)
	closers  []func() error
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
func Build(ctx context.Context, c config.Config) (*Deps, error) {
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
		c.Bucket = config.DefaultBucket
	}
	quality, err := face.ParseQualityLevel(c.Quality)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", names.EnvQuality, err)
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
	d.Engines = face.NewPool(packs, face.Options{IntraOpThreads: c.Threads}, c.Workers)
	d.closers = append(d.closers, d.Engines.Close)
	d.Steps = &steps.Steps{
		Blobs: blobs, Vectors: vs, Packs: packs, Engines: stepEngines{d.Engines},
		Bucket: c.Bucket, DefaultPack: c.Pack, Decode: imaging.Options{MaxPixels: c.MaxPixels, MaxBytes: c.MaxDecodeBytes}, Quality: quality,
	}
	if l, ok := vs.(*vectors.Local); ok {
		l.SetSource(steps.FaceRecords{Steps: d.Steps}, func(r vectors.Repair) {
			if d.OnRepair != nil {
				d.OnRepair(r)
				return
			}
			log.Print(r)
		})
	}
	if c.StateMachineARN != "" {
		ex, err := sfnclient.NewStarter(ctx, c.StateMachineARN, c.SFNEndpoint)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.Steps.Executions = ex
	}
	return d, nil
}

// stepEngines hands the steps a pack's engines from the pool.
type stepEngines struct{ pool *face.Pool }

func (e stepEngines) Engine(ctx context.Context, pack *modelpack.Pack) (steps.FaceEngine, error) {
	es, err := e.pool.Engines(ctx, pack)
	if err != nil {
		return nil, err
	}
	return es, nil
}

// FaceEngines loads one model pack's engine for a tool outside the
// pipeline (divinepic faces, compare): the default pack when pack is "".
// Close the pool when done.
func FaceEngines(ctx context.Context, pack string, opts face.Options) (*face.Engines, *face.Pool, error) {
	m, err := modelpack.Default()
	if err != nil {
		return nil, nil, err
	}
	p, err := m.Pack(pack)
	if err != nil {
		return nil, nil, err
	}
	pool := face.NewPool(m, opts, 1)
	es, err := pool.Engines(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	return es, pool, nil
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
