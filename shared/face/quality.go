package face

import (
	"fmt"
	"math"
	"strings"

	"github.com/divinepic/pipeline/shared/domain"
)

// Quality is a face's quality measures (domain.FaceQuality).
type Quality = domain.FaceQuality

// Measure returns a detected face's quality measures; chip is its aligned
// chip (AlignFace).
func Measure(f Face, c Chip) Quality {
	yaw, pitch, roll := Pose(f.Landmarks)
	sharp, flat := texture(c)
	return Quality{
		SizePx:    min(f.Width(), f.Height()),
		Sharpness: sharp, Flatness: flat,
		Yaw: yaw, Pitch: pitch, Roll: roll,
		Score:    f.Score,
		Geometry: GeometryResidual(f.Landmarks),
	}
}

// The part of the chip Sharpness looks at: the ArcFace template puts the
// eyes at y=51 and the mouth at y=92, between x=38 and x=74, so this box
// holds eyes, nose and mouth and little hair or background.
const (
	sharpX0, sharpX1 = 28, 84
	sharpY0, sharpY1 = 36, 100
)

// Sharpness is the variance of the Laplacian (4-neighbour) of the chip's
// grey levels over the box of its eyes, nose and mouth (Pech-Pacheco et al.
// 2000, the usual "is this photo blurred" measure). Pixels within two of a
// pure black one are left out: that is where the chip reaches past the
// photo's edge, whose border (sharp however blurred the face) says nothing
// of the face. A sharp face scores in the hundreds; blurred or upsampled
// from a few pixels, tens or less. An invalid chip, or one with nothing to
// measure, scores 0.
func Sharpness(c Chip) float32 {
	s, _ := texture(c)
	return s
}

// Flatness is the share of the pixels Sharpness measures that equal all
// four of their neighbours exactly: near 0 for a photographed face (sensor
// noise, skin, JPEG), large for a drawing, a logo or an emoji, whose areas
// are of one flat colour.
func Flatness(c Chip) float32 {
	_, f := texture(c)
	return f
}

// texture is Sharpness and Flatness, in one pass.
func texture(c Chip) (sharpness, flatness float32) {
	if c.Valid() != nil {
		return 0, 0
	}
	const pad = 3 // the Laplacian's reach plus two
	var black [sharpY1 - sharpY0 + 2*pad][sharpX1 - sharpX0 + 2*pad]bool
	for y := range black {
		for x := range black[y] {
			i := ((sharpY0-pad+y)*ChipSize + sharpX0 - pad + x) * 3
			black[y][x] = c[i]|c[i+1]|c[i+2] == 0
		}
	}
	nearBlack := func(x, y int) bool { // chip coordinates
		for dy := -pad; dy <= pad; dy++ {
			for dx := -pad; dx <= pad; dx++ {
				if black[y-sharpY0+pad+dy][x-sharpX0+pad+dx] {
					return true
				}
			}
		}
		return false
	}
	grey := func(x, y int) float64 {
		i := (y*ChipSize + x) * 3
		return 0.299*float64(c[i]) + 0.587*float64(c[i+1]) + 0.114*float64(c[i+2])
	}
	var sum, sum2 float64
	n, flat := 0, 0
	for y := sharpY0; y < sharpY1; y++ {
		for x := sharpX0; x < sharpX1; x++ {
			if nearBlack(x, y) {
				continue
			}
			g := grey(x, y)
			l, w, e, s := grey(x-1, y), grey(x+1, y), grey(x, y-1), grey(x, y+1)
			if l == g && w == g && e == g && s == g {
				flat++
			}
			lap := l + w + e + s - 4*g
			sum += lap
			sum2 += lap * lap
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	mean := sum / float64(n)
	return float32(sum2/float64(n) - mean*mean), float32(flat) / float32(n)
}

// The face proportions Pose assumes (an average adult's, roughly): how far
// the nose tip stands in front of the eyes, per half the distance between
// the eyes and per the distance from the eyes down to the mouth.
const (
	noseDepthPerHalfEyes = 0.8
	noseDepthPerEyeMouth = 0.35
)

// frontalNoseRatio is where the nose tip sits between the eyes' line and the
// mouth's in the ArcFace template (a frontal face): 0.49 of the way down.
var frontalNoseRatio = (arcfaceTemplate[2][1] - (arcfaceTemplate[0][1]+arcfaceTemplate[1][1])/2) /
	((arcfaceTemplate[3][1]+arcfaceTemplate[4][1])/2 - (arcfaceTemplate[0][1]+arcfaceTemplate[1][1])/2)

// uprightLandmarks are the five landmarks turned so the eye line is
// horizontal, with the eyes' midpoint at the origin.
type uprightLandmarks struct {
	le, re, nose, ml, mr [2]float64
	eyes                 float64 // distance between the eyes
}

func upright(lm [5][2]float32) (u uprightLandmarks, roll float64) {
	ex, ey := float64(lm[1][0]-lm[0][0]), float64(lm[1][1]-lm[0][1])
	roll = math.Atan2(ey, ex)
	cx, cy := float64(lm[0][0]+lm[1][0])/2, float64(lm[0][1]+lm[1][1])/2
	cos, sin := math.Cos(-roll), math.Sin(-roll)
	turn := func(p [2]float32) [2]float64 {
		x, y := float64(p[0])-cx, float64(p[1])-cy
		return [2]float64{x*cos - y*sin, x*sin + y*cos}
	}
	u = uprightLandmarks{le: turn(lm[0]), re: turn(lm[1]), nose: turn(lm[2]), ml: turn(lm[3]), mr: turn(lm[4]),
		eyes: math.Hypot(ex, ey)}
	return u, roll
}

// Pose estimates a face's yaw, pitch and roll in degrees from its five
// landmarks alone (a weak-perspective model with the average proportions
// above: a few degrees' accuracy near frontal, coarser past 45 degrees).
// Roll is the eye line's angle; yaw comes from how far the nose tip is off
// the face's midline, per half the eye distance (nose offset = depth x
// tan(yaw)); pitch from where the nose tip sits between the eyes and the
// mouth compared with a frontal face.
func Pose(lm [5][2]float32) (yaw, pitch, roll float32) {
	u, r := upright(lm)
	if u.eyes < 1e-6 {
		return 0, 0, float32(deg(r))
	}
	mouthX, mouthY := (u.ml[0]+u.mr[0])/2, (u.ml[1]+u.mr[1])/2
	midX := mouthX / 2 // the midline at the nose: halfway from the eyes' midpoint (0) to the mouth's
	off := (u.nose[0] - midX) / (u.eyes / 2)
	yaw = float32(deg(math.Atan(off / noseDepthPerHalfEyes)))
	if mouthY > 1e-6 {
		ratio := u.nose[1] / mouthY
		pitch = float32(deg(math.Atan((frontalNoseRatio - ratio) / noseDepthPerEyeMouth)))
	}
	return yaw, pitch, float32(deg(r))
}

func deg(rad float64) float64 { return rad * 180 / math.Pi }

// GeometryResidual is how far five landmarks are from a human face's
// layout: the RMS distance, in ArcFace template pixels, between the
// template and the landmarks mapped onto it by their best similarity (the
// alignment's own fit). A frontal human face fits within a few pixels; a
// turned one by more (its nose is off the midline); points that no face
// has (an animal's, a pattern's) fit badly. Coincident points give +Inf.
func GeometryResidual(lm [5][2]float32) float32 {
	src := make([][2]float64, 5)
	for i, p := range lm {
		src[i] = [2]float64{float64(p[0]), float64(p[1])}
	}
	m, err := estimateSimilarity(src, arcfaceTemplate[:])
	if err != nil {
		return float32(math.Inf(1))
	}
	var ss float64
	for i, p := range src {
		x, y := m.apply(p[0], p[1])
		dx, dy := x-arcfaceTemplate[i][0], y-arcfaceTemplate[i][1]
		ss += dx*dx + dy*dy
	}
	return float32(math.Sqrt(ss / 5))
}

// LandmarkProblem says what is wrong with a face's five landmarks for a
// human face, or "" when nothing is: with the eye line turned horizontal,
// the mouth must be below the eyes, the nose tip between them vertically,
// the mouth corners in the eyes' order, and the mouth as far below the eyes
// as a human face's, per the box's height (measured on the test photos at
// every pose: 0.25 to 0.55; the limits are 0.15 and 0.7).
func LandmarkProblem(f Face) string {
	u, _ := upright(f.Landmarks)
	if u.eyes < 1 {
		return "landmarks: the eyes coincide"
	}
	mouthY := (u.ml[1] + u.mr[1]) / 2
	h := float64(f.Height())
	switch {
	case mouthY <= 0:
		return "landmarks: mouth not below the eyes"
	case u.nose[1] <= -0.1*mouthY || u.nose[1] >= 1.1*mouthY:
		return "landmarks: nose not between the eyes and the mouth"
	case u.ml[0] >= u.mr[0]:
		return "landmarks: mouth corners in the wrong order"
	case h > 0 && (mouthY < 0.15*h || mouthY > 0.7*h):
		return fmt.Sprintf("landmarks: mouth %.2f of the box's height below the eyes, a face's is 0.15 to 0.7", mouthY/h)
	}
	return ""
}

// mouthDrop is how far the mouth is below the eyes, per the box's height
// (what LandmarkProblem's last limit judges).
func mouthDrop(f Face) float64 {
	u, _ := upright(f.Landmarks)
	return (u.ml[1] + u.mr[1]) / 2 / float64(f.Height())
}

// QualityLevel is how strict the quality filter is, named after
// Rekognition's IndexFaces QualityFilter: NONE indexes every detected face,
// LOW drops only what is not a face or cannot be recognised at all, MEDIUM
// (the default) also faces too small, blurred or turned to be matched
// reliably, HIGH keeps only clear, near-frontal faces.
type QualityLevel string

// The quality levels.
const (
	QualityNone   QualityLevel = "NONE"
	QualityLow    QualityLevel = "LOW"
	QualityMedium QualityLevel = "MEDIUM"
	QualityHigh   QualityLevel = "HIGH"
)

// DefaultQuality is the level used when none is configured.
const DefaultQuality = QualityMedium

// QualityThresholds are one level's limits. A face is indexed when it meets
// every one.
type QualityThresholds struct {
	MinSizePx    float32 // the box's shorter side, original pixels
	MinSharpness float32 // Sharpness
	MaxYaw       float32 // |yaw| in degrees
	MaxPitch     float32 // |pitch| in degrees
	MinScore     float32 // the detector's score
	MaxGeometry  float32 // GeometryResidual
	MaxFlatness  float32 // Flatness
	Landmarks    bool    // LandmarkProblem must find nothing
}

// qualityLevels are each level's thresholds. How they were chosen, from
// measurements on ../shared/testdata and on generated blurred, shrunk and
// non-face images, is in README.md ("Face quality").
var qualityLevels = map[QualityLevel]QualityThresholds{
	QualityNone:   {},
	QualityLow:    {MinSizePx: 16, MinSharpness: 8, MaxYaw: 80, MaxPitch: 60, MinScore: 0.5, MaxGeometry: 14, MaxFlatness: 0.5, Landmarks: true},
	QualityMedium: {MinSizePx: 32, MinSharpness: 30, MaxYaw: 65, MaxPitch: 45, MinScore: 0.6, MaxGeometry: 10, MaxFlatness: 0.3, Landmarks: true},
	QualityHigh:   {MinSizePx: 64, MinSharpness: 80, MaxYaw: 35, MaxPitch: 30, MinScore: 0.8, MaxGeometry: 7, MaxFlatness: 0.2, Landmarks: true},
}

// ParseQualityLevel reads a level's name (any case); "" is DefaultQuality.
func ParseQualityLevel(s string) (QualityLevel, error) {
	if s == "" {
		return DefaultQuality, nil
	}
	l := QualityLevel(strings.ToUpper(strings.TrimSpace(s)))
	if _, ok := qualityLevels[l]; !ok {
		return "", fmt.Errorf("quality level %q: want NONE, LOW, MEDIUM or HIGH", s)
	}
	return l, nil
}

// Thresholds returns the level's limits (an unknown level is the default's).
func (l QualityLevel) Thresholds() QualityThresholds {
	t, ok := qualityLevels[l]
	if !ok {
		return qualityLevels[DefaultQuality]
	}
	return t
}

// Reason says why a face is not indexed at this level, or "" when it is,
// judging by f.Quality (a face with none, from before quality was measured,
// is indexed) and its landmarks. The first failed limit is named, in the
// order: landmarks, flatness, score, size, sharpness, yaw, pitch, geometry
// (a turned face's landmarks fit the template worse: its yaw is the reason).
func (l QualityLevel) Reason(f Face) string {
	t := l.Thresholds()
	if l == QualityNone || f.Quality == nil {
		return ""
	}
	q := *f.Quality
	if t.Landmarks {
		if p := LandmarkProblem(f); p != "" {
			return "not a face: " + p
		}
	}
	abs := func(v float32) float32 { return float32(math.Abs(float64(v))) }
	switch {
	case q.Flatness > t.MaxFlatness:
		return fmt.Sprintf("not a face: a drawing (%.0f%% flat colour, %s allows %.0f%%)", 100*q.Flatness, l, 100*t.MaxFlatness)
	case q.Score < t.MinScore:
		return fmt.Sprintf("detector score %.2f under %s's %.2f", q.Score, l, t.MinScore)
	case q.SizePx < t.MinSizePx:
		return fmt.Sprintf("too small: %.0f px under %s's %.0f", q.SizePx, l, t.MinSizePx)
	case q.Sharpness < t.MinSharpness:
		return fmt.Sprintf("blurred: sharpness %.1f under %s's %.0f", q.Sharpness, l, t.MinSharpness)
	case abs(q.Yaw) > t.MaxYaw:
		return fmt.Sprintf("turned away: yaw %.0f degrees over %s's %.0f", q.Yaw, l, t.MaxYaw)
	case abs(q.Pitch) > t.MaxPitch:
		return fmt.Sprintf("tilted: pitch %.0f degrees over %s's %.0f", q.Pitch, l, t.MaxPitch)
	case !(q.Geometry <= t.MaxGeometry):
		return fmt.Sprintf("not a face: landmark layout %.1f from a face's, %s allows %.1f", q.Geometry, l, t.MaxGeometry)
	}
	return ""
}
