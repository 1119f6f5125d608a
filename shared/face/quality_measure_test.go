package face

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/imaging"
)

// blurred is img after three passes of a box blur of radius r (close to a
// Gaussian of sigma r): an out-of-focus or shaken copy.
func blurred(img *imaging.RGB, r int) *imaging.RGB {
	out := &imaging.RGB{W: img.W, H: img.H, Pix: append([]uint8(nil), img.Pix...), Scale: img.Scale, OrigW: img.OrigW, OrigH: img.OrigH}
	tmp := make([]uint8, len(out.Pix))
	for range 3 {
		boxPass(tmp, out.Pix, img.W, img.H, r, 3, img.W*3) // horizontal
		boxPass(out.Pix, tmp, img.H, img.W, r, img.W*3, 3) // vertical
	}
	return out
}

// boxPass averages along lines of n pixels (step between pixels), lines
// `lines` apart; m lines.
func boxPass(dst, src []uint8, n, m, r, step, lines int) {
	for l := 0; l < m; l++ {
		base := l * lines
		for c := 0; c < 3; c++ {
			var sum, cnt int
			for i := 0; i <= r && i < n; i++ {
				sum += int(src[base+i*step+c])
				cnt++
			}
			for i := 0; i < n; i++ {
				dst[base+i*step+c] = uint8(sum / cnt)
				if j := i + r + 1; j < n {
					sum += int(src[base+j*step+c])
					cnt++
				}
				if j := i - r; j >= 0 {
					sum -= int(src[base+j*step+c])
					cnt--
				}
			}
		}
	}
}

// shrunk is img resized so its long side is long pixels (a thumbnail, or a
// face far away), as the original photo: Scale 1.
func shrunk(img *imaging.RGB, long int) *imaging.RGB {
	w, h := long, img.H*long/img.W
	if img.H > img.W {
		w, h = img.W*long/img.H, long
	}
	out := imaging.ResizeBilinear(img, w, h)
	out.Scale, out.OrigW, out.OrigH = 1, w, h
	return out
}

// scaledFace is f in the coordinates of a copy of its photo k times the size.
func scaledFace(f Face, k float32) Face {
	for i := range f.Box {
		f.Box[i] *= k
	}
	for i := range f.Landmarks {
		f.Landmarks[i][0] *= k
		f.Landmarks[i][1] *= k
	}
	return f
}

// inPhotoPixels is img with Scale 1 (its own pixels are the photo's), and
// f mapped to them.
func inPhotoPixels(img *imaging.RGB, f Face) (*imaging.RGB, Face) {
	s := float32(img.Scale)
	if s == 0 {
		s = 1
	}
	own := &imaging.RGB{W: img.W, H: img.H, Pix: img.Pix, Scale: 1, OrigW: img.W, OrigH: img.H}
	return own, scaledFace(f, 1/s)
}

// Generated images with no human face: drawings a detector may take for
// faces (smileys, emoji-like faces, a cartoon animal), patterns, noise.
func nonFaceImages() map[string]*imaging.RGB {
	out := map[string]*imaging.RGB{}
	const W, H = 640, 480
	canvas := func(r, g, b uint8) *imaging.RGB {
		img := &imaging.RGB{W: W, H: H, Pix: make([]uint8, W*H*3), Scale: 1, OrigW: W, OrigH: H}
		for i := 0; i < len(img.Pix); i += 3 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2] = r, g, b
		}
		return img
	}
	disc := func(img *imaging.RGB, cx, cy, rx, ry float64, r, g, b uint8) {
		for y := max(0, int(cy-ry)); y < min(img.H, int(cy+ry)+1); y++ {
			for x := max(0, int(cx-rx)); x < min(img.W, int(cx+rx)+1); x++ {
				dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
				if dx*dx+dy*dy <= 1 {
					i := (y*img.W + x) * 3
					img.Pix[i], img.Pix[i+1], img.Pix[i+2] = r, g, b
				}
			}
		}
	}
	// A yellow smiley.
	s := canvas(255, 255, 255)
	disc(s, 320, 240, 150, 150, 250, 210, 40)
	disc(s, 270, 200, 18, 28, 40, 30, 20)
	disc(s, 370, 200, 18, 28, 40, 30, 20)
	disc(s, 320, 310, 70, 30, 120, 30, 30)
	disc(s, 320, 295, 72, 22, 250, 210, 40)
	out["smiley"] = s
	// A skin-coloured oval with two eyes, a nose and a mouth: a face drawing.
	d := canvas(200, 220, 240)
	disc(d, 320, 240, 110, 150, 225, 180, 150)
	disc(d, 280, 205, 20, 10, 250, 250, 250)
	disc(d, 360, 205, 20, 10, 250, 250, 250)
	disc(d, 280, 205, 8, 8, 60, 40, 30)
	disc(d, 360, 205, 8, 8, 60, 40, 30)
	disc(d, 320, 255, 10, 18, 200, 150, 120)
	disc(d, 320, 310, 40, 10, 170, 70, 70)
	out["face drawing"] = d
	// A cartoon animal: wide-set eyes, a big snout low on the head, ears.
	a := canvas(90, 140, 60)
	disc(a, 200, 110, 50, 70, 140, 100, 60)
	disc(a, 440, 110, 50, 70, 140, 100, 60)
	disc(a, 320, 250, 170, 150, 170, 120, 70)
	disc(a, 230, 200, 20, 20, 20, 20, 20)
	disc(a, 410, 200, 20, 20, 20, 20, 20)
	disc(a, 320, 330, 70, 55, 210, 180, 140)
	disc(a, 320, 300, 25, 18, 30, 20, 20)
	out["cartoon animal"] = a
	// A checkerboard.
	c := canvas(0, 0, 0)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			if (x/40+y/40)%2 == 0 {
				i := (y*W + x) * 3
				c.Pix[i], c.Pix[i+1], c.Pix[i+2] = 255, 255, 255
			}
		}
	}
	out["checkerboard"] = c
	// Polka dots in pairs (eye-like).
	p := canvas(240, 230, 210)
	for y := 60.0; y < H; y += 120 {
		for x := 60.0; x < W; x += 160 {
			disc(p, x, y, 15, 15, 30, 30, 30)
			disc(p, x+60, y, 15, 15, 30, 30, 30)
			disc(p, x+30, y+50, 25, 8, 160, 40, 40)
		}
	}
	out["dot pairs"] = p
	// Noise.
	n := canvas(0, 0, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n.Pix {
		n.Pix[i] = uint8(rng.IntN(256))
	}
	out["noise"] = n
	// Concentric rings.
	g := canvas(0, 0, 0)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			v := uint8(128 + 127*math.Sin(math.Hypot(float64(x-320), float64(y-240))/8))
			i := (y*W + x) * 3
			g.Pix[i], g.Pix[i+1], g.Pix[i+2] = v, v, v
		}
	}
	out["rings"] = g
	return out
}

// photosWithFaces is every test photo the detector should find faces in,
// relative to the testdata directory.
func photosWithFaces(t testing.TB) []string {
	tr := loadTruth(t)
	var files []string
	for f, n := range tr.Faces {
		if n > 0 {
			files = append(files, f)
		}
	}
	pairs, err := filepath.Glob(filepath.Join(testdata(t), "pairs", "*.jpg"))
	require.NoError(t, err)
	for _, p := range pairs {
		files = append(files, filepath.Join("pairs", filepath.Base(p)))
	}
	files = append(files, "faces/Rob_Lowe_0001.jpg", "faces/Rob_Lowe_0002.jpg", "faces/Nathalie_Baye_0002.jpg",
		"faces/Mary_Katherine_Smart_0001_5k.jpg", "faces/Teresa_Williams_0001_1k.jpg", "faces/Tom_Hanks_54745.png")
	sort.Strings(files)
	return files
}

// TestMeasureQualityTable prints every measure behind README.md's "Face
// quality" table: run with DIVINEPIC_MEASURE=1 -v. It asserts only that
// every measure is a number.
func TestMeasureQualityTable(t *testing.T) {
	if os.Getenv("DIVINEPIC_MEASURE") == "" {
		t.Skip("measurement table: DIVINEPIC_MEASURE=1")
	}
	e := engine(t, "default", Options{})
	row := func(name string, f Face, q Quality) {
		require.False(t, math.IsNaN(float64(q.Sharpness+q.Yaw+q.Pitch+q.Geometry)), name)
		f.Quality = &q
		fmt.Printf("%-44s score %.2f size %5.0f sharp %7.1f yaw %6.1f pitch %6.1f roll %6.1f geom %5.2f drop %.2f flat %.3f | %s\n",
			name, q.Score, q.SizePx, q.Sharpness, q.Yaw, q.Pitch, q.Roll, q.Geometry, mouthDrop(f), q.Flatness,
			strings.Join([]string{reasonOr(QualityLow, f), reasonOr(QualityMedium, f), reasonOr(QualityHigh, f)}, " / "))
	}
	for _, rel := range photosWithFaces(t) {
		img := decodeFile(t, rel)
		faces, err := e.Detect(img)
		require.NoError(t, err)
		chips, err := e.Align(img, faces)
		require.NoError(t, err)
		for i, f := range faces {
			row(fmt.Sprintf("%s#%d", rel, i), f, Measure(f, chips[i]))
			own, pf := inPhotoPixels(img, f)
			for _, r := range []int{3, 6} {
				k := max(2, int(pf.Width())*r/100)
				b := blurred(own, k)
				c, err := AlignFace(b, pf)
				require.NoError(t, err)
				row(fmt.Sprintf("  blur %d%% (r=%d)", r, k), pf, Measure(pf, c))
			}
			for _, px := range []float32{16, 24, 32} {
				k := px / pf.Width()
				if k >= 1 {
					continue
				}
				long := int(float32(max(own.W, own.H)) * k)
				small := shrunk(own, long)
				sf := scaledFace(pf, float32(small.W)/float32(own.W))
				c, err := AlignFace(small, sf)
				require.NoError(t, err)
				row(fmt.Sprintf("  tiny %.0fpx", px), sf, Measure(sf, c))
			}
		}
	}
	for name, img := range nonFaceImages() {
		faces, err := e.Detect(img)
		require.NoError(t, err)
		chips, err := e.Align(img, faces)
		require.NoError(t, err)
		fmt.Printf("%s: %d detections\n", name, len(faces))
		for i, f := range faces {
			row(fmt.Sprintf("%s#%d", name, i), f, Measure(f, chips[i]))
		}
	}
}

func reasonOr(l QualityLevel, f Face) string {
	if r := l.Reason(f); r != "" {
		return r
	}
	return "ok"
}
