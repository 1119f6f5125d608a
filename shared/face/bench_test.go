package face

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/onnx"
)

// Per-stage benchmarks on Test3.jpg (1024x1024) and large_t1_5779x4000.jpg,
// for the default pack (YuNet + faceplugin) and SCRFD-500m:
//
//	go test -run '^$' -bench . -benchtime 20x ./shared/face/
//
// decode+orient+resize: bytes -> upright RGB at >= 1280 long side (DCT
// downscale) -> the detector's input size. preprocess: input RGB -> CHW
// float tensor. run: one ONNX Run of the detector. postprocess: outputs ->
// faces (decode, threshold, NMS, map to original, filter). align: one 112x112
// chip per face from the decoded image. embed: all faces' chips through the
// recognizer.
func BenchmarkStages(b *testing.B) {
	for _, pack := range []string{"default", "scrfd-500m"} {
		for _, file := range []string{"faces/Test3.jpg", "formats/large_t1_5779x4000.jpg"} {
			benchStages(b, pack, file)
		}
	}
}

func benchStages(b *testing.B, pack, file string) {
	e := engine(b, pack, Options{})
	d := e.Detector
	data, err := os.ReadFile(filepath.Join(testdata(b), file))
	require.NoError(b, err)
	name := pack + "/" + filepath.Base(file)

	img, err := imaging.Decode(data, imaging.Options{MinLongSide: DecodeLongSide})
	require.NoError(b, err)
	p := d.Prepare(img)
	g := p.Geometry
	shape := []int64{1, 3, int64(g.TH), int64(g.TW)}
	tensor := make([]float32, 3*g.TW*g.TH)
	fillTensor(tensor, g.TW, g.TH, p.Pix, g.W, g.H, d.norm)
	// keep a copy of one Run's outputs for the postprocessing benchmark
	var outs []onnx.Output
	require.NoError(b, d.sess.Run(shape, func(in []float32) error { copy(in, tensor); return nil },
		func(o []onnx.Output) error {
			for _, x := range o {
				outs = append(outs, onnx.Output{Name: x.Name, Shape: x.Shape, Data: append([]float32(nil), x.Data...)})
			}
			return nil
		}))
	faces, err := d.DetectPrepared(p)
	require.NoError(b, err)
	require.NotEmpty(b, faces)
	chips, err := e.Align(img, faces)
	require.NoError(b, err)

	b.Run(name+"/decode+orient+resize", func(b *testing.B) {
		for b.Loop() {
			img, err := imaging.Decode(data, imaging.Options{MinLongSide: DecodeLongSide})
			if err != nil {
				b.Fatal(err)
			}
			d.Prepare(img)
		}
	})
	b.Run(name+"/preprocess", func(b *testing.B) {
		for b.Loop() {
			fillTensor(tensor, g.TW, g.TH, p.Pix, g.W, g.H, d.norm)
		}
	})
	b.Run(name+"/run", func(b *testing.B) {
		for b.Loop() {
			err := d.sess.Run(shape, func([]float32) error { return nil }, func([]onnx.Output) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(name+"/postprocess", func(b *testing.B) {
		var buf []Face
		for b.Loop() {
			if d.family == "yunet" {
				buf, err = decodeYuNet(outs, g.TW, g.TH, d.params.ScoreThreshold, buf[:0])
			} else {
				buf, err = decodeSCRFD(outs, g.TW, g.TH, d.params.ScoreThreshold, buf[:0])
			}
			if err != nil {
				b.Fatal(err)
			}
			d.finish(buf, p, 0)
		}
	})
	b.Run(name+"/align", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Align(img, faces); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(faces)), "faces")
	})
	b.Run(name+"/embed", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Embed(chips); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(chips)), "faces")
	})
}

// BenchmarkDetectEndToEnd is Detect (resize + the three detector stages) on
// an already decoded photo.
func BenchmarkDetectEndToEnd(b *testing.B) {
	e := engine(b, "default", Options{})
	img := decodeFile(b, "faces/Test3.jpg")
	for b.Loop() {
		if _, err := e.Detect(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFillTensor is the detector's preprocessing alone on a 640x640 input.
func BenchmarkFillTensor(b *testing.B) {
	img := gradient(640, 640)
	n := newNorm("BGR", [3]float32{}, [3]float32{1, 1, 1})
	dst := make([]float32, 3*640*640)
	for b.Loop() {
		fillTensor(dst, 640, 640, img.Pix, 640, 640, n)
	}
}

// BenchmarkNewEngine is the cold start of a worker after the process has
// initialised ONNX Runtime: resolving (sha256-checking) and loading both
// models of the default pack.
func BenchmarkNewEngine(b *testing.B) {
	engine(b, "default", Options{}) // initialises the runtime once
	m, err := modelpack.Default()
	require.NoError(b, err)
	p, err := m.Pack("default")
	require.NoError(b, err)
	r := modelpack.NewResolver(m)
	for b.Loop() {
		e, err := NewEngine(context.Background(), p, r, Options{})
		if err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
}
