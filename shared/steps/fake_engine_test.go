package steps

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/modelpack"
)

// fakeEngine is a hand-written FaceEngine for the handlers' logic tests
// (the real engine, on real photos, is tested in shared/face and
// shared/embedded). Detect finds the faces it is given; Align makes chip i
// all bytes i+1; Embed turns a chip of byte b into the unit vector along
// dimension b. An error set for a call is returned by it. Every call is
// recorded.
type fakeEngine struct {
	faces                         []face.Face
	detectErr, alignErr, embedErr error

	mu    sync.Mutex
	calls []engineCall
}

// engineCall is one recorded call: the operation, the size of the image
// (Detect, Align) and how many faces or chips it was given (Align, Embed).
type engineCall struct {
	Op            string
	Width, Height int
	N             int
}

var _ FaceEngine = (*fakeEngine)(nil)

func (f *fakeEngine) record(c engineCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// Calls returns the calls so far.
func (f *fakeEngine) Calls() []engineCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]engineCall(nil), f.calls...)
}

func (f *fakeEngine) Detect(img *imaging.RGB) ([]face.Face, error) {
	f.record(engineCall{Op: "detect", Width: img.OrigW, Height: img.OrigH})
	if f.detectErr != nil {
		return nil, f.detectErr
	}
	return append([]face.Face(nil), f.faces...), nil
}

func (f *fakeEngine) Align(img *imaging.RGB, faces []face.Face) ([]face.Chip, error) {
	f.record(engineCall{Op: "align", Width: img.OrigW, Height: img.OrigH, N: len(faces)})
	if f.alignErr != nil {
		return nil, f.alignErr
	}
	chips := make([]face.Chip, len(faces))
	for i := range chips {
		chips[i] = bytes.Repeat([]byte{byte(i + 1)}, face.ChipBytes)
	}
	return chips, nil
}

func (f *fakeEngine) Embed(chips []face.Chip) ([][]float32, error) {
	f.record(engineCall{Op: "embed", N: len(chips)})
	if f.embedErr != nil {
		return nil, f.embedErr
	}
	out := make([][]float32, len(chips))
	for i, c := range chips {
		out[i] = unit(int(c[0]))
	}
	return out, nil
}

// unit is the 512-dimensional unit vector along dimension d.
func unit(d int) []float32 {
	v := make([]float32, 512)
	v[d] = 1
	return v
}

// fakeEngines hands out one fakeEngine for every pack (or fails with err),
// recording the packs asked for.
type fakeEngines struct {
	engine *fakeEngine
	err    error

	mu    sync.Mutex
	packs []string
}

var _ Engines = (*fakeEngines)(nil)

func (e *fakeEngines) Engine(ctx context.Context, pack *modelpack.Pack) (FaceEngine, error) {
	e.mu.Lock()
	e.packs = append(e.packs, pack.Name)
	e.mu.Unlock()
	if e.err != nil {
		return nil, e.err
	}
	return e.engine, nil
}

// engineSteps is testSteps with a fake engine that finds faces.
func engineSteps(t *testing.T, faces ...face.Face) (*Steps, *fakeEngines) {
	t.Helper()
	s, _ := testSteps(t)
	engines := &fakeEngines{engine: &fakeEngine{faces: faces}}
	s.Engines = engines
	return s, engines
}

// pngPhoto is a real, decodable w x h PNG.
func pngPhoto(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 99, A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// faceAt is a detected face with a box of the given corner and size.
func faceAt(x, y, size, score float32) face.Face {
	return face.Face{Box: [4]float32{x, y, x + size, y + size}, Score: score,
		Landmarks: [5][2]float32{{x + 1, y + 1}, {x + 2, y + 1}, {x + 1.5, y + 2}, {x + 1, y + 3}, {x + 2, y + 3}}}
}
