package face

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/imaging"
)

// templateFace is a face whose landmarks are the ArcFace template's, scaled
// k times and moved by (dx, dy), with a box around them.
func templateFace(k, dx, dy float32) Face {
	var f Face
	for i, p := range arcfaceTemplate {
		f.Landmarks[i] = [2]float32{float32(p[0])*k + dx, float32(p[1])*k + dy}
	}
	f.Box = [4]float32{dx + 8*k, dy + 20*k, dx + 104*k, dy + 112*k}
	f.Score = 0.9
	return f
}

// rotated turns f's landmarks by deg degrees about (cx, cy).
func rotated(f Face, deg, cx, cy float64) Face {
	s, c := math.Sincos(deg * math.Pi / 180)
	for i, p := range f.Landmarks {
		x, y := float64(p[0])-cx, float64(p[1])-cy
		f.Landmarks[i] = [2]float32{float32(x*c - y*s + cx), float32(x*s + y*c + cy)}
	}
	return f
}

func TestPoseOfTheTemplateIsFrontal(t *testing.T) {
	yaw, pitch, roll := Pose(templateFace(2, 30, 40).Landmarks)
	assert.InDelta(t, 0, yaw, 1)
	assert.InDelta(t, 0, pitch, 0.01, "the template defines pitch 0")
	assert.InDelta(t, 0, roll, 0.5)
}

func TestPoseRollYawPitch(t *testing.T) {
	f := templateFace(2, 0, 0)
	_, _, roll0 := Pose(f.Landmarks)
	_, _, roll := Pose(rotated(f, 30, 112, 112).Landmarks)
	assert.InDelta(t, 30, roll-roll0, 0.01)
	yaw0, pitch0, _ := Pose(rotated(f, 30, 112, 112).Landmarks)
	assert.InDelta(t, 0, yaw0, 1, "roll does not read as yaw")
	assert.InDelta(t, 0, pitch0, 1, "roll does not read as pitch")

	right := f
	right.Landmarks[2][0] += 20 // nose tip towards the viewer's right: face turned right
	yaw, _, _ := Pose(right.Landmarks)
	assert.Greater(t, yaw, float32(20))
	left := f
	left.Landmarks[2][0] -= 20
	yawL, _, _ := Pose(left.Landmarks)
	assert.InDelta(t, -yaw, yawL, 1, "symmetric")

	up := f
	up.Landmarks[2][1] -= 10 // nose tip nearer the eyes: tilted up
	_, pitch, _ := Pose(up.Landmarks)
	assert.Greater(t, pitch, float32(15))
}

func TestGeometryResidual(t *testing.T) {
	assert.InDelta(t, 0, GeometryResidual(templateFace(3, 10, 10).Landmarks), 1e-3, "the template fits itself at any scale")
	assert.InDelta(t, 0, GeometryResidual(rotated(templateFace(1, 0, 0), 70, 50, 50).Landmarks), 1e-3, "and at any roll")
	scrambled := templateFace(1, 0, 0)
	scrambled.Landmarks[0], scrambled.Landmarks[3] = scrambled.Landmarks[3], scrambled.Landmarks[0]
	assert.Greater(t, GeometryResidual(scrambled.Landmarks), float32(10))
	var same [5][2]float32
	assert.True(t, math.IsInf(float64(GeometryResidual(same)), 1))
}

func TestLandmarkProblem(t *testing.T) {
	f := templateFace(2, 0, 0)
	assert.Empty(t, LandmarkProblem(f))
	assert.Empty(t, LandmarkProblem(rotated(f, 90, 100, 100)), "a face lying on its side is a face")
	assert.Empty(t, LandmarkProblem(rotated(f, 180, 100, 100)), "and upside down")

	cases := map[string]func(f *Face){
		"mouth not below":      func(f *Face) { f.Landmarks[3][1], f.Landmarks[4][1] = 10, 10 },
		"nose not between":     func(f *Face) { f.Landmarks[2][1] = 300 },
		"mouth corners":        func(f *Face) { f.Landmarks[3], f.Landmarks[4] = f.Landmarks[4], f.Landmarks[3] },
		"of the box's height":  func(f *Face) { f.Box[3] = f.Box[1] + 1000 },
		"the eyes coincide":    func(f *Face) { f.Landmarks[1] = f.Landmarks[0] },
		"mouth far below eyes": func(f *Face) { f.Landmarks[3][1], f.Landmarks[4][1] = 400, 400 },
	}
	for name, spoil := range cases {
		g := f
		spoil(&g)
		assert.NotEmpty(t, LandmarkProblem(g), name)
	}
}

func TestSharpnessAndFlatness(t *testing.T) {
	flat := make(Chip, ChipBytes)
	for i := range flat {
		flat[i] = 128
	}
	assert.Zero(t, Sharpness(flat))
	assert.Equal(t, float32(1), Flatness(flat))

	checks := make(Chip, ChipBytes)
	for y := 0; y < ChipSize; y++ {
		for x := 0; x < ChipSize; x++ {
			v := uint8(60)
			if (x/2+y/2)%2 == 0 {
				v = 200
			}
			i := (y*ChipSize + x) * 3
			checks[i], checks[i+1], checks[i+2] = v, v, v
		}
	}
	assert.Greater(t, Sharpness(checks), float32(1000))

	black := make(Chip, ChipBytes) // all outside the photo: nothing to measure
	assert.Zero(t, Sharpness(black))
	assert.Zero(t, Sharpness(Chip{1, 2, 3}), "an invalid chip")
}

func TestQualityLevels(t *testing.T) {
	for _, s := range []string{"none", "Low", "MEDIUM", " high "} {
		_, err := ParseQualityLevel(s)
		assert.NoError(t, err, s)
	}
	l, err := ParseQualityLevel("")
	require.NoError(t, err)
	assert.Equal(t, DefaultQuality, l)
	_, err = ParseQualityLevel("AUTO")
	assert.ErrorContains(t, err, "NONE, LOW, MEDIUM or HIGH")

	// Each level is at least as strict as the one before.
	levels := []QualityLevel{QualityLow, QualityMedium, QualityHigh}
	for i := 1; i < len(levels); i++ {
		a, b := levels[i-1].Thresholds(), levels[i].Thresholds()
		assert.GreaterOrEqual(t, b.MinSizePx, a.MinSizePx)
		assert.GreaterOrEqual(t, b.MinSharpness, a.MinSharpness)
		assert.GreaterOrEqual(t, b.MinScore, a.MinScore)
		assert.LessOrEqual(t, b.MaxYaw, a.MaxYaw)
		assert.LessOrEqual(t, b.MaxPitch, a.MaxPitch)
		assert.LessOrEqual(t, b.MaxGeometry, a.MaxGeometry)
		assert.LessOrEqual(t, b.MaxFlatness, a.MaxFlatness)
	}

	good := templateFace(1, 0, 0)
	good.Quality = &Quality{SizePx: 100, Sharpness: 500, Flatness: 0.01, Score: 0.9, Geometry: 2}
	for _, l := range append(levels, QualityNone) {
		assert.Empty(t, l.Reason(good), l)
	}
	bad := map[string]Quality{
		"too small":   {SizePx: 10, Sharpness: 500, Score: 0.9},
		"blurred":     {SizePx: 100, Sharpness: 3, Score: 0.9},
		"turned away": {SizePx: 100, Sharpness: 500, Score: 0.9, Yaw: -85},
		"tilted":      {SizePx: 100, Sharpness: 500, Score: 0.9, Pitch: 70},
		"score":       {SizePx: 100, Sharpness: 500, Score: 0.3},
		"a drawing":   {SizePx: 100, Sharpness: 500, Score: 0.9, Flatness: 0.9},
		"layout":      {SizePx: 100, Sharpness: 500, Score: 0.9, Geometry: 20},
	}
	for want, q := range bad {
		f := good
		f.Quality = &q
		assert.Contains(t, QualityLow.Reason(f), want)
		assert.Empty(t, QualityNone.Reason(f), "NONE indexes everything")
	}
	f := good
	f.Quality = nil
	assert.Empty(t, QualityHigh.Reason(f), "a face measured before quality was is indexed")
}

// measured detects, aligns and measures a photo's faces with the default
// pack.
func measured(t *testing.T, e *Engine, rel string) []Face {
	t.Helper()
	img := decodeFile(t, rel)
	faces, err := e.Detect(img)
	require.NoError(t, err)
	chips, err := e.Align(img, faces)
	require.NoError(t, err)
	for i := range faces {
		q := Measure(faces[i], chips[i])
		faces[i].Quality = &q
	}
	return faces
}

// Every face truth.json counts is indexed at the default level, in every
// pack.
func TestEveryTruthFacePassesTheDefaultQuality(t *testing.T) {
	tr := loadTruth(t)
	files := make([]string, 0, len(tr.Faces))
	for f := range tr.Faces {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, pack := range localPacks {
		e := engine(t, pack, Options{})
		for _, rel := range files {
			faces := measured(t, e, rel)
			require.Len(t, faces, tr.Faces[rel], rel)
			for i, f := range faces {
				assert.Empty(t, DefaultQuality.Reason(f), "%s %s face %d: %+v", pack, rel, i, *f.Quality)
			}
		}
	}
}

// A blurred copy and a tiny copy of each truth face fall below MEDIUM,
// for the reason they were made.
func TestBlurredAndTinyCopiesFallBelowMedium(t *testing.T) {
	e := engine(t, "default", Options{})
	for _, rel := range []string{"faces/Test3.jpg", "faces/t1.jpg", "faces/Test7.jpg", "faces/woman_search.jpeg"} {
		img := decodeFile(t, rel)
		faces, err := e.Detect(img)
		require.NoError(t, err)
		require.NotEmpty(t, faces)
		for i, f := range faces {
			own, pf := inPhotoPixels(img, f)
			// Blur of sigma about 3% of the face's width: a face out of
			// focus, or shaken.
			b := blurred(own, max(2, int(pf.Width())*3/100))
			c, err := AlignFace(b, pf)
			require.NoError(t, err)
			q := Measure(pf, c)
			pf.Quality = &q
			assert.Contains(t, QualityMedium.Reason(pf), "blurred", "%s face %d blurred: %+v", rel, i, q)

			// The photo shrunk until the face is 20 pixels wide: a face far
			// away in a crowd.
			k := 20 / pf.Width()
			small := shrunk(own, int(float32(max(own.W, own.H))*k))
			sf := scaledFace(pf, float32(small.W)/float32(own.W))
			c, err = AlignFace(small, sf)
			require.NoError(t, err)
			q = Measure(sf, c)
			sf.Quality = &q
			assert.Contains(t, QualityMedium.Reason(sf), "too small", "%s face %d tiny: %+v", rel, i, q)
		}
	}
}

// Generated images with no human face (drawings, a cartoon animal,
// patterns, noise) give no face the default level indexes.
func TestNonFacesAreNotIndexed(t *testing.T) {
	for _, pack := range localPacks {
		e := engine(t, pack, Options{})
		for name, img := range nonFaceImages() {
			faces, err := e.Detect(img)
			require.NoError(t, err)
			chips, err := e.Align(img, faces)
			require.NoError(t, err)
			for i, f := range faces {
				q := Measure(f, chips[i])
				f.Quality = &q
				assert.Contains(t, DefaultQuality.Reason(f), "not a face", "%s %s detection %d: %+v", pack, name, i, q)
			}
		}
	}
}

// Real photos with no human face (a cat face on, a coffee cup, a brick
// wall, a horse's silhouette, a rocket launch: testdata/nonfaces, each
// with its source and licence in the README there) give no face the
// default level indexes, whatever the reason it gives.
func TestRealNonFacesAreNotIndexed(t *testing.T) {
	dir := filepath.Join("testdata", "nonfaces")
	files, err := filepath.Glob(filepath.Join(dir, "*.*g"))
	require.NoError(t, err)
	require.Len(t, files, 5)
	for _, pack := range localPacks {
		e := engine(t, pack, Options{})
		for _, file := range files {
			b, err := os.ReadFile(file)
			require.NoError(t, err)
			img, err := imaging.Decode(b, imaging.Options{MinLongSide: DecodeLongSide})
			require.NoError(t, err, file)
			faces, err := e.Detect(img)
			require.NoError(t, err)
			chips, err := e.Align(img, faces)
			require.NoError(t, err)
			for i, f := range faces {
				q := Measure(f, chips[i])
				f.Quality = &q
				reason := DefaultQuality.Reason(f)
				assert.NotEmpty(t, reason, "%s %s detection %d would be indexed: %+v", pack, file, i, q)
				t.Logf("%s %s detection %d (score %.2f): %s", pack, filepath.Base(file), i, f.Score, reason)
			}
		}
	}
}
