package face

import (
	"fmt"
	"math"

	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/onnx"
)

// session is what the detector and embedder need of an ONNX session.
type session interface {
	Input() onnx.Info
	Run(shape []int64, fill func([]float32) error, read func([]onnx.Output) error) error
}

var _ session = (*onnx.Session)(nil)

// DetectorParams are a detector's thresholds (from the pack, or overridden).
type DetectorParams struct {
	ScoreThreshold float32 // keep faces scoring at least this
	NMSThreshold   float32 // drop faces overlapping a better one by more than this IoU
	MinFaceSize    float32 // shorter box side, in original pixels; 0 keeps all
	MaxFaces       int     // keep at most this many, best first; 0: no limit
	// RotateBelow: when a photo's best face scores below this, try it turned
	// by quarter turns too (see Detect). 0 picks the family's default.
	RotateBelow float32
}

// Default RotateBelow per family: upright faces in ../shared/testdata score
// >= 0.88 with YuNet and a photo's best face >= 0.74 with SCRFD; faces
// turned 90/180/270 degrees score at most 0.87 and 0.68.
var defaultRotateBelow = map[string]float32{"yunet": 0.9, "scrfd": 0.75}

// Detector runs one face detector model. Its methods are safe for
// concurrent use (the session serialises Runs; buffers are per call).
type Detector struct {
	sess       session
	family     string // "yunet" or "scrfd"
	inW, inH   int    // the box a photo is fitted into (pack's InputWidth/Height)
	static     bool   // the model's input size is fixed at inW x inH
	norm       *norm
	params     DetectorParams
	rotations  bool
	multipleOf int
}

// NewDetector wraps an open session with the pack's detector description.
func NewDetector(sess session, d modelpack.Detector, p DetectorParams, retryRotations bool) (*Detector, error) {
	fam := family(d.Family)
	if fam != "yunet" && fam != "scrfd" {
		return nil, fmt.Errorf("detector %s: unknown family %q (want yunet or scrfd)", d.File, d.Family)
	}
	in := sess.Input().Shape
	if len(in) != 4 || (in[1] != 3 && in[1] != -1) {
		return nil, fmt.Errorf("detector %s: input shape %v, want [N,3,H,W]", d.File, in)
	}
	det := &Detector{
		sess: sess, family: fam, inW: d.InputWidth, inH: d.InputHeight,
		norm: newNorm(d.ColorOrder, d.Mean, d.Std), params: p, rotations: retryRotations, multipleOf: 32,
	}
	if det.params.RotateBelow == 0 {
		det.params.RotateBelow = defaultRotateBelow[fam]
	}
	if in[2] > 0 && in[3] > 0 {
		det.static, det.inH, det.inW = true, int(in[2]), int(in[3])
	}
	if det.inW <= 0 || det.inH <= 0 {
		det.inW, det.inH = 640, 640
	}
	return det, nil
}

// Params are the thresholds in use.
func (d *Detector) Params() DetectorParams { return d.params }

// Geometry says how a photo becomes the detector's input: resized to W x H
// (aspect kept), padded right and below to TW x TH.
type Geometry struct {
	W, H   int // the resized photo
	TW, TH int // the tensor
}

// Plan fits a w x h image into the detector's input box (never enlarging a
// photo for a dynamic-input model) and pads to a multiple of 32, or to the
// model's fixed size.
func (d *Detector) Plan(w, h int) Geometry {
	r := math.Min(float64(d.inW)/float64(w), float64(d.inH)/float64(h))
	if !d.static {
		r = math.Min(r, 1)
	}
	g := Geometry{W: max(1, int(math.Round(float64(w)*r))), H: max(1, int(math.Round(float64(h)*r)))}
	if d.static {
		g.TW, g.TH = d.inW, d.inH
		g.W, g.H = min(g.W, g.TW), min(g.H, g.TH)
	} else {
		m := d.multipleOf
		g.TW, g.TH = (g.W+m-1)/m*m, (g.H+m-1)/m*m
	}
	return g
}

// Prepared is a photo planned for the detector: the geometry of its input
// and the mapping back to the original photo. The resize happens while the
// input tensor is filled (resizeTensor: resize and normalisation in one
// pass).
type Prepared struct {
	Geometry
	src *imaging.RGB
	// to maps detector-input pixels to the original upright photo.
	to           affine
	origW, origH float32
}

// Prepare plans img for the detector (cheap: no pixels are touched).
func (d *Detector) Prepare(img *imaging.RGB) *Prepared {
	g := d.Plan(img.W, img.H)
	p := &Prepared{Geometry: g, src: img}
	scale := img.Scale
	if scale == 0 {
		scale = 1
	}
	p.to = affine{
		sx: float32(float64(img.W) / float64(g.W) * scale),
		sy: float32(float64(img.H) / float64(g.H) * scale),
	}
	p.origW, p.origH = float32(img.OrigW), float32(img.OrigH)
	if p.origW == 0 || p.origH == 0 {
		p.origW, p.origH = float32(float64(img.W)*scale), float32(float64(img.H)*scale)
	}
	return p
}

// fill writes the prepared photo into a detector input tensor.
func (p *Prepared) fill(in []float32, n *norm) {
	resizeTensor(in, p.TW, p.TH, p.src, p.W, p.H, n)
}

// Detect finds the faces in img, best first, in original photo coordinates.
//
// Rotation retry (on unless the engine's NoRotationRetry): detectors find
// faces that lie sideways or upside down in their pixels (photos rotated
// without an EXIF tag), but with less confidence and with landmarks placed
// as if upright, which makes their embeddings worthless. So when the best
// face of a photo scores below Params().RotateBelow (no face at all
// included), Detect runs the photo turned by 90, 180 and 270 degrees too and
// keeps the turn whose best face scores highest, mapping its faces back to
// the photo as it is. Confident photos (most of them) cost one Run; the
// others four.
func (d *Detector) Detect(img *imaging.RGB) ([]Face, error) {
	if img == nil || img.W <= 0 || img.H <= 0 {
		return nil, fmt.Errorf("detect: empty image")
	}
	return d.DetectPrepared(d.Prepare(img))
}

// DetectPrepared is Detect after Prepare.
func (d *Detector) DetectPrepared(p *Prepared) ([]Face, error) {
	faces, err := d.detectOnce(p.Geometry, func(in []float32) { p.fill(in, d.norm) })
	if err != nil {
		return nil, err
	}
	best, bestQuarter := bestScore(faces), 0
	if !d.rotations || best >= d.params.RotateBelow {
		return d.finish(faces, p, 0), nil
	}
	pix := make([]uint8, p.W*p.H*3)
	resizeInto(pix, p.W, p.H, p.src)
	buf := make([]uint8, len(pix))
	for _, quarter := range []int{1, 2, 3} {
		g := rotateInto(buf, pix, p.W, p.H, quarter)
		g.TW, g.TH = d.padded(g.W, g.H)
		turned, err := d.detectOnce(g, func(in []float32) { fillTensor(in, g.TW, g.TH, buf, g.W, g.H, d.norm) })
		if err != nil {
			return nil, err
		}
		if s := bestScore(turned); s > best {
			faces, best, bestQuarter = turned, s, quarter
		}
	}
	return d.finish(faces, p, bestQuarter), nil
}

func bestScore(faces []Face) float32 {
	var b float32
	for _, f := range faces {
		b = max(b, f.Score)
	}
	return b
}

func (d *Detector) padded(w, h int) (int, int) {
	if d.static {
		return d.inW, d.inH
	}
	m := d.multipleOf
	return (w + m - 1) / m * m, (h + m - 1) / m * m
}

// detectOnce runs the model on an input of geometry g written by fill and
// returns thresholded faces in tensor coordinates, before NMS.
func (d *Detector) detectOnce(g Geometry, fill func(in []float32)) ([]Face, error) {
	if d.static && (g.W > d.inW || g.H > d.inH) {
		// a turned photo that no longer fits a fixed-size input is not
		// retried (only the rotation retry of a fixed-size model gets here)
		return nil, nil
	}
	var faces []Face
	shape := []int64{1, 3, int64(g.TH), int64(g.TW)}
	err := d.sess.Run(shape, func(in []float32) error {
		fill(in)
		return nil
	}, func(outs []onnx.Output) error {
		var err error
		if d.family == "yunet" {
			faces, err = decodeYuNet(outs, g.TW, g.TH, d.params.ScoreThreshold, nil)
		} else {
			faces, err = decodeSCRFD(outs, g.TW, g.TH, d.params.ScoreThreshold, nil)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	return faces, nil
}

// finish undoes a rotation (quarter turns clockwise that were applied to the
// prepared image), applies NMS, maps to original coordinates and filters.
func (d *Detector) finish(faces []Face, p *Prepared, quarter int) []Face {
	if len(faces) == 0 {
		return nil
	}
	if quarter != 0 {
		for i := range faces {
			unrotate(&faces[i], p.W, p.H, quarter)
		}
	}
	faces = nms(faces, d.params.NMSThreshold)
	for i := range faces {
		p.to.apply(&faces[i], p.origW, p.origH)
	}
	return filterFaces(faces, d.params.MinFaceSize, d.params.MaxFaces)
}
