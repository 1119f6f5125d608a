package face

import (
	"context"
	"errors"
	"sync"

	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/modelpack"
)

// Pool loads each model pack's engines once, on first use, and keeps them
// for the life of the process. With Workers > 1 it loads that many engines
// per pack (each with its own ONNX sessions) and runs each call on a free
// one, so concurrent photos use every core; a Lambda, which runs one
// invocation at a time, and the CLI's faces and compare need one. The
// pipeline's step handlers get their engines from a Pool (wired by
// shared/wiring); it is safe for concurrent use.
type Pool struct {
	Resolver *modelpack.Resolver
	Options  Options
	Workers  int // engines per pack; 0 means 1

	mu    sync.Mutex
	packs map[string]*Engines
}

// NewPool is a pool over the manifest's packs, resolving model files with
// modelpack's resolver.
func NewPool(packs *modelpack.Manifest, opts Options, workers int) *Pool {
	return &Pool{Resolver: modelpack.NewResolver(packs), Options: opts, Workers: workers}
}

// Engines returns the pack's engines, loading them the first time. A pack
// that fails to load is not kept: the next call tries again.
func (p *Pool) Engines(ctx context.Context, pack *modelpack.Pack) (*Engines, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.packs[pack.Name]; ok {
		return e, nil
	}
	n := max(p.Workers, 1)
	e := &Engines{free: make(chan *Engine, n)}
	for i := 0; i < n; i++ {
		one, err := NewEngine(ctx, pack, p.Resolver, p.Options)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.all = append(e.all, one)
		e.free <- one
	}
	if p.packs == nil {
		p.packs = map[string]*Engines{}
	}
	p.packs[pack.Name] = e
	return e, nil
}

// Close releases every loaded engine.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, e := range p.packs {
		errs = append(errs, e.Close())
	}
	p.packs = nil
	return errors.Join(errs...)
}

// Engines are the loaded engines of one pack: each call runs on a free one.
type Engines struct {
	all  []*Engine
	free chan *Engine
}

func (e *Engines) take() (*Engine, func()) {
	one := <-e.free
	return one, func() { e.free <- one }
}

// Detect is Engine.Detect on a free engine.
func (e *Engines) Detect(img *imaging.RGB) ([]Face, error) {
	one, done := e.take()
	defer done()
	return one.Detect(img)
}

// Align is Engine.Align on a free engine.
func (e *Engines) Align(img *imaging.RGB, faces []Face) ([]Chip, error) {
	one, done := e.take()
	defer done()
	return one.Align(img, faces)
}

// Embed is Engine.Embed on a free engine.
func (e *Engines) Embed(chips []Chip) ([][]float32, error) {
	one, done := e.take()
	defer done()
	return one.Embed(chips)
}

// Analyze is Engine.Analyze on a free engine.
func (e *Engines) Analyze(img *imaging.RGB) ([]Face, error) {
	one, done := e.take()
	defer done()
	return one.Analyze(img)
}

// Close releases the engines' ONNX sessions.
func (e *Engines) Close() error {
	var errs []error
	for _, one := range e.all {
		errs = append(errs, one.Close())
	}
	return errors.Join(errs...)
}
