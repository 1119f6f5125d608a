package face

import (
	"context"
	"fmt"

	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/onnx"
)

// resolver finds a model file's verified local path.
type resolver interface {
	Path(ctx context.Context, file string) (string, error)
}

var _ resolver = (*modelpack.Resolver)(nil)

// Options tune an Engine. The zero value uses the pack's thresholds, one
// ONNX thread and the rotation retry.
type Options struct {
	IntraOpThreads int // ONNX intra-op threads per session; 0 means 1
	// Overrides of the pack's detector thresholds (0 keeps the pack's).
	ScoreThreshold float32
	NMSThreshold   float32
	MinFaceSize    float32
	MaxFaces       int
	// NoRotationRetry turns off retrying a photo that yields no face turned
	// by 90/180/270 degrees.
	NoRotationRetry bool
}

// Engine is a model pack loaded and ready: Load once (NewEngine), then
// Detect/Align/Embed or Analyze many times, from any number of goroutines
// (each ONNX session serialises its own Runs).
type Engine struct {
	Pack     *modelpack.Pack
	Detector *Detector
	Embedder *Embedder
	sessions []*onnx.Session
}

// NewEngine resolves the pack's model files and opens both sessions.
func NewEngine(ctx context.Context, pack *modelpack.Pack, r resolver, opts Options) (*Engine, error) {
	if pack == nil {
		return nil, fmt.Errorf("face engine: no model pack")
	}
	e := &Engine{Pack: pack}
	open := func(file string) (*onnx.Session, error) {
		p, err := r.Path(ctx, file)
		if err != nil {
			return nil, fmt.Errorf("face engine pack %s: %w", pack.Name, err)
		}
		s, err := onnx.Open(p, onnx.Options{IntraOpThreads: opts.IntraOpThreads})
		if err != nil {
			return nil, fmt.Errorf("face engine pack %s: %w", pack.Name, err)
		}
		e.sessions = append(e.sessions, s)
		return s, nil
	}
	det, err := open(pack.Detector.File)
	if err != nil {
		return nil, err
	}
	rec, err := open(pack.Recognizer.File)
	if err != nil {
		e.Close()
		return nil, err
	}
	d := pack.Detector
	p := DetectorParams{ScoreThreshold: d.ScoreThreshold, NMSThreshold: d.NMSThreshold, MinFaceSize: d.MinFaceSize, MaxFaces: d.MaxFaces}
	if opts.ScoreThreshold > 0 {
		p.ScoreThreshold = opts.ScoreThreshold
	}
	if opts.NMSThreshold > 0 {
		p.NMSThreshold = opts.NMSThreshold
	}
	if opts.MinFaceSize > 0 {
		p.MinFaceSize = opts.MinFaceSize
	}
	if opts.MaxFaces > 0 {
		p.MaxFaces = opts.MaxFaces
	}
	if e.Detector, err = NewDetector(det, d, p, !opts.NoRotationRetry); err != nil {
		e.Close()
		return nil, fmt.Errorf("face engine pack %s: %w", pack.Name, err)
	}
	if e.Embedder, err = NewEmbedder(rec, pack.Recognizer); err != nil {
		e.Close()
		return nil, fmt.Errorf("face engine pack %s: %w", pack.Name, err)
	}
	return e, nil
}

// Close releases the ONNX sessions.
func (e *Engine) Close() error {
	var first error
	for _, s := range e.sessions {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	e.sessions = nil
	return first
}

// Detect finds faces (no embeddings), best first, in original coordinates.
func (e *Engine) Detect(img *imaging.RGB) ([]Face, error) { return e.Detector.Detect(img) }

// Align cuts one 112x112 chip per face from img (the decoded photo, at the
// resolution it was decoded: not the detector's input).
func (e *Engine) Align(img *imaging.RGB, faces []Face) ([]Chip, error) {
	chips := make([]Chip, len(faces))
	for i, f := range faces {
		c, err := AlignFace(img, f)
		if err != nil {
			return nil, err
		}
		chips[i] = c
	}
	return chips, nil
}

// Embed embeds aligned chips (from Align, from storage, or ChipFromRGB).
func (e *Engine) Embed(chips []Chip) ([][]float32, error) { return e.Embedder.Embed(chips) }

// Analyze detects, aligns and embeds every face of img.
func (e *Engine) Analyze(img *imaging.RGB) ([]Face, error) {
	faces, err := e.Detect(img)
	if err != nil || len(faces) == 0 {
		return faces, err
	}
	chips, err := e.Align(img, faces)
	if err != nil {
		return nil, err
	}
	embs, err := e.Embed(chips)
	if err != nil {
		return nil, err
	}
	for i := range faces {
		faces[i].Embedding = embs[i]
	}
	return faces, nil
}

// Largest is the face with the largest box (nil if none): the one a selfie
// or a portrait is about.
func Largest(faces []Face) *Face {
	var best *Face
	for i := range faces {
		if best == nil || faces[i].Area() > best.Area() {
			best = &faces[i]
		}
	}
	return best
}
