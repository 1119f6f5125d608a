package face

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/cameraphoto"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/onnx"
)

// Per-stage benchmarks on Test3.jpg (1024x1024) and a camera-sized photo
// (shared/cameraphoto: 24 MP, 9 MB, the t1 scene with six faces), for the
// default pack (YuNet + faceplugin) and SCRFD-500m:
//
//	go test -run '^$' -bench . -benchtime 20x ./shared/face/
//
// decode+orient: bytes -> upright RGB at >= 1280 long side (DCT downscale).
// resize+preprocess: that image -> the detector's normalised CHW input
// tensor, in one pass (resize-only and preprocess-only time the two halves
// done separately, for reference). run: one ONNX Run of the detector. postprocess: outputs ->
// faces (decode, threshold, NMS, map to original, filter). align: one 112x112
// chip per face from the decoded image. embed: all faces' chips through the
// recognizer. (The thumbnail's share is measured with the whole photo, by
// BenchmarkCameraAlbum in shared/embedded.)
func BenchmarkStages(b *testing.B) {
	test3, err := os.ReadFile(filepath.Join(testdata(b), "faces/Test3.jpg"))
	require.NoError(b, err)
	camera := cameraPhoto(b)
	for _, pack := range []string{"default", "scrfd-500m"} {
		benchStages(b, pack, "Test3.jpg", test3)
		benchStages(b, pack, "camera_24MP.jpg", camera)
	}
}

// cameraPhoto is a camera-sized JPEG of the t1 scene (six faces).
func cameraPhoto(b *testing.B) []byte {
	b.Helper()
	src, err := os.ReadFile(filepath.Join(testdata(b), "faces/t1.jpg"))
	require.NoError(b, err)
	scene, err := imaging.Decode(src, imaging.Options{})
	require.NoError(b, err)
	body, err := cameraphoto.Make(scene, cameraphoto.Options{Seed: 1})
	require.NoError(b, err)
	return body
}

func benchStages(b *testing.B, pack, file string, data []byte) {
	e := engine(b, pack, Options{})
	d := e.Detector
	name := pack + "/" + file

	img, err := imaging.Decode(data, imaging.Options{MinLongSide: DecodeLongSide})
	require.NoError(b, err)
	p := d.Prepare(img)
	g := p.Geometry
	shape := []int64{1, 3, int64(g.TH), int64(g.TW)}
	tensor := make([]float32, 3*g.TW*g.TH)
	p.fill(tensor, d.norm)
	pix := make([]uint8, g.W*g.H*3)
	resizeInto(pix, g.W, g.H, img)
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

	b.Run(name+"/decode+orient", func(b *testing.B) {
		for b.Loop() {
			if _, err := imaging.Decode(data, imaging.Options{MinLongSide: DecodeLongSide}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(name+"/resize+preprocess", func(b *testing.B) {
		// what runs before each detector Run: resize and normalise in one pass
		for b.Loop() {
			d.Prepare(img).fill(tensor, d.norm)
		}
	})
	b.Run(name+"/resize-only", func(b *testing.B) {
		// for reference: the resize alone, into 8-bit RGB
		for b.Loop() {
			resizeInto(pix, g.W, g.H, img)
		}
	})
	b.Run(name+"/preprocess-only", func(b *testing.B) {
		// for reference: normalising an already resized image (a separate pass)
		for b.Loop() {
			fillTensor(tensor, g.TW, g.TH, pix, g.W, g.H, d.norm)
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

// BenchmarkPrePostShare times the work around the detector's ONNX Run
// alternately with the Run itself, in the same iterations, so that load from
// other processes hits all of them alike. It reports:
//
//	prepost-%: (preprocessing + postprocessing) / Run, as the issue counts
//	  stages: preprocessing is normalising the resized photo into the CHW
//	  tensor (timed as a separate pass on an already resized image), the
//	  resize belongs to decode+orient+resize. Target <= 10.
//	all-around-%: (resize + normalise as the detector really does them, in
//	  one pass, + postprocessing) / Run: everything the detector adds.
func BenchmarkPrePostShare(b *testing.B) {
	for _, pack := range []string{"default", "scrfd-500m"} {
		for _, file := range []string{"faces/Test3.jpg", "formats/large_t1_5779x4000.jpg"} {
			b.Run(pack+"/"+filepath.Base(file), func(b *testing.B) {
				d := engine(b, pack, Options{}).Detector
				p := d.Prepare(decodeFile(b, file))
				g := p.Geometry
				shape := []int64{1, 3, int64(g.TH), int64(g.TW)}
				pix := make([]uint8, g.W*g.H*3)
				resizeInto(pix, g.W, g.H, p.src)
				tensor := make([]float32, 3*g.TW*g.TH)
				var norm, fused, run, post time.Duration
				for b.Loop() {
					t := time.Now()
					fillTensor(tensor, g.TW, g.TH, pix, g.W, g.H, d.norm)
					norm += time.Since(t)

					var t1, t2 time.Time
					t0 := time.Now()
					err := d.sess.Run(shape, func(in []float32) error {
						p.fill(in, d.norm)
						t1 = time.Now()
						return nil
					}, func(outs []onnx.Output) error {
						t2 = time.Now()
						var faces []Face
						var err error
						if d.family == "yunet" {
							faces, err = decodeYuNet(outs, g.TW, g.TH, d.params.ScoreThreshold, nil)
						} else {
							faces, err = decodeSCRFD(outs, g.TW, g.TH, d.params.ScoreThreshold, nil)
						}
						d.finish(faces, p, 0)
						return err
					})
					t3 := time.Now()
					if err != nil {
						b.Fatal(err)
					}
					fused += t1.Sub(t0)
					run += t2.Sub(t1)
					post += t3.Sub(t2)
				}
				n := float64(b.N)
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / n / 1e3 }
				b.ReportMetric(ms(norm), "normalise-ms")
				b.ReportMetric(ms(fused), "resize+normalise-ms")
				b.ReportMetric(ms(run), "run-ms")
				b.ReportMetric(ms(post), "post-ms")
				b.ReportMetric(100*float64(norm+post)/float64(run), "prepost-%")
				b.ReportMetric(100*float64(fused+post)/float64(run), "all-around-%")
			})
		}
	}
}

// BenchmarkResizeTensor is the detector's resize+normalise alone, 1024x1024
// to 640x640 (Test3's geometry).
func BenchmarkResizeTensor(b *testing.B) {
	src := gradient(1024, 1024)
	for i := range src.Pix {
		src.Pix[i] ^= uint8(i * 31)
	}
	n := newNorm("BGR", [3]float32{}, [3]float32{1, 1, 1})
	dst := make([]float32, 3*640*640)
	for b.Loop() {
		resizeTensor(dst, 640, 640, src, 640, 640, n)
	}
}
