package face

import (
	"fmt"
	"math"

	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/onnx"
)

// MaxBatch is the most chips an embedder puts in one Run (for models with a
// dynamic batch dimension).
const MaxBatch = 32

// Embedder runs an ArcFace-style recognizer on aligned chips. Models whose
// batch dimension is dynamic get up to MaxBatch chips per Run; models fixed
// at batch 1 (faceplugin, MobileFaceNet) get one Run per chip.
type Embedder struct {
	sess  session
	norm  *norm
	dim   int
	batch int  // most chips per Run
	fixed bool // the model's batch dimension is fixed at batch: pad the last Run
	file  string
}

// NewEmbedder wraps an open session with the pack's recognizer description.
func NewEmbedder(sess session, r modelpack.Recognizer) (*Embedder, error) {
	in := sess.Input().Shape
	if r.InputSize != 0 && r.InputSize != ChipSize {
		return nil, fmt.Errorf("recognizer %s: input size %d, only %d is supported", r.File, r.InputSize, ChipSize)
	}
	if len(in) != 4 || (in[2] != ChipSize && in[2] != -1) || (in[3] != ChipSize && in[3] != -1) {
		return nil, fmt.Errorf("recognizer %s: input shape %v, want [N,3,112,112]", r.File, in)
	}
	e := &Embedder{sess: sess, norm: newNorm(r.ColorOrder, r.Mean, r.Std), dim: r.EmbeddingDim, batch: 1, file: r.File}
	if in[0] <= 0 {
		e.batch = MaxBatch
	} else {
		e.batch, e.fixed = int(in[0]), true
	}
	return e, nil
}

// BatchSize is the most chips per Run.
func (e *Embedder) BatchSize() int { return e.batch }

// Embed returns one L2-normalised embedding per chip, in order.
func (e *Embedder) Embed(chips []Chip) ([][]float32, error) {
	for i, c := range chips {
		if err := c.Valid(); err != nil {
			return nil, fmt.Errorf("embed chip %d: %w", i, err)
		}
	}
	out := make([][]float32, 0, len(chips))
	for start := 0; start < len(chips); start += e.batch {
		part := chips[start:min(start+e.batch, len(chips))]
		n := len(part)
		runN := n
		if e.fixed {
			runN = e.batch
		}
		shape := []int64{int64(runN), 3, ChipSize, ChipSize}
		err := e.sess.Run(shape, func(in []float32) error {
			per := 3 * ChipSize * ChipSize
			for i := 0; i < runN; i++ {
				if i < n {
					fillTensor(in[i*per:(i+1)*per], ChipSize, ChipSize, part[i], ChipSize, ChipSize, e.norm)
				} else {
					clear(in[i*per : (i+1)*per])
				}
			}
			return nil
		}, func(outs []onnx.Output) error {
			data := outs[0].Data
			if len(data)%runN != 0 {
				return fmt.Errorf("output has %d values for %d chips", len(data), runN)
			}
			dim := len(data) / runN
			if e.dim != 0 && dim != e.dim {
				return fmt.Errorf("output dimension %d, the pack says %d", dim, e.dim)
			}
			for i := 0; i < n; i++ {
				out = append(out, l2normalise(data[i*dim:(i+1)*dim]))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("embed with %s: %w", e.file, err)
		}
	}
	return out, nil
}

// l2normalise returns a unit-length copy of v (v itself if it is zero).
func l2normalise(v []float32) []float32 {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	r := make([]float32, len(v))
	if ss == 0 {
		copy(r, v)
		return r
	}
	inv := float32(1 / math.Sqrt(ss))
	for i, x := range v {
		r[i] = x * inv
	}
	return r
}

// Cosine is the cosine similarity of two embeddings (their dot product when
// both are L2-normalised, as Embed's are).
func Cosine(a, b []float32) float32 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return float32(dot / math.Sqrt(na*nb))
}
