package face

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packs whose detectors run on the models in ../shared/models.
var localPacks = []string{"default", "scrfd-500m", "scrfd-2.5g"}

func TestFaceCountsMatchTruth(t *testing.T) {
	tr := loadTruth(t)
	files := make([]string, 0, len(tr.Faces))
	for f := range tr.Faces {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, pack := range localPacks {
		e := engine(t, pack, Options{})
		for _, f := range files {
			t.Run(pack+"/"+f, func(t *testing.T) {
				faces, err := e.Detect(decodeFile(t, f))
				if !assert.NoError(t, err) {
					return
				}
				var s []string
				for _, x := range faces {
					s = append(s, fmt.Sprintf("%.2f@%.0fx%.0f", x.Score, x.Width(), x.Height()))
				}
				assert.Equal(t, tr.Faces[f], len(faces), "faces: %v", s)
			})
		}
	}
}

func TestOrientedPhotosGiveUprightBoxes(t *testing.T) {
	for _, pack := range localPacks {
		e := engine(t, pack, Options{})
		ref, err := e.Detect(decodeFile(t, "faces/Test3.jpg"))
		require.NoError(t, err)
		require.Len(t, ref, 3)
		for _, f := range []string{"formats/orient3.jpg", "formats/orient6.jpg", "formats/orient8.jpg"} {
			t.Run(pack+"/"+f, func(t *testing.T) {
				img := decodeFile(t, f)
				tol := 0.02 * float32(max(img.OrigW, img.OrigH))
				got, err := e.Detect(img)
				require.NoError(t, err)
				require.Len(t, got, 3)
				for _, r := range ref {
					// the face of got nearest to r
					best := got[0]
					for _, g := range got[1:] {
						if boxDist(g.Box, r.Box) < boxDist(best.Box, r.Box) {
							best = g
						}
					}
					assert.InDeltaSlice(t, r.Box[:], best.Box[:], float64(tol), "box of %v", r.Box)
					for i := range r.Landmarks {
						assert.InDeltaSlice(t, r.Landmarks[i][:], best.Landmarks[i][:], float64(tol))
					}
				}
			})
		}
	}
}

func boxDist(a, b [4]float32) float32 {
	var d float32
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
	}
	return d
}

// largestEmbedding analyzes a photo and returns its largest face's embedding.
func largestEmbedding(t *testing.T, e *Engine, rel string) []float32 {
	t.Helper()
	faces, err := e.Analyze(decodeFile(t, rel))
	require.NoError(t, err, rel)
	require.NotEmpty(t, faces, rel)
	return Largest(faces).Embedding
}

func TestSamePersonScoresAboveEveryDifferentPair(t *testing.T) {
	tr := loadTruth(t)
	for _, pack := range localPacks {
		t.Run(pack, func(t *testing.T) {
			e := engine(t, pack, Options{})
			var worstSame, bestDiff float32 = 2, -2
			for _, p := range tr.Same {
				worstSame = min(worstSame, Cosine(largestEmbedding(t, e, p[0]), largestEmbedding(t, e, p[1])))
			}
			for _, p := range tr.Different {
				bestDiff = max(bestDiff, Cosine(largestEmbedding(t, e, p[0]), largestEmbedding(t, e, p[1])))
			}
			t.Logf("%s: lowest same-person cosine %.3f, highest different-person %.3f", pack, worstSame, bestDiff)
			assert.Greater(t, worstSame, bestDiff)
		})
	}
}

func TestRotatedWithoutEXIFEmbedLikeUpright(t *testing.T) {
	tr := loadTruth(t)
	for _, pack := range localPacks {
		e := engine(t, pack, Options{})
		up := largestEmbedding(t, e, "rotate/rot_0.jpg")
		for _, f := range tr.RotatedWithoutEXIF {
			t.Run(pack+"/"+f, func(t *testing.T) {
				faces, err := e.Analyze(decodeFile(t, f))
				require.NoError(t, err)
				require.Len(t, faces, 1)
				assert.Greater(t, Cosine(up, faces[0].Embedding), float32(0.9))
			})
		}
	}
	t.Run("off: upside-down face keeps upright landmarks", func(t *testing.T) {
		e := engine(t, "default", Options{NoRotationRetry: true})
		up := largestEmbedding(t, e, "rotate/rot_0.jpg")
		faces, err := e.Analyze(decodeFile(t, "rotate/rot_180.jpg"))
		require.NoError(t, err)
		require.Len(t, faces, 1, "YuNet finds the upside-down face at 0.87")
		assert.Less(t, Cosine(up, faces[0].Embedding), float32(0.5), "and its embedding is worthless: why the retry exists")
	})
}

func TestAlreadyAlignedFaceEmbedsWithoutDetection(t *testing.T) {
	img := decodeFile(t, "faces/Tom_Hanks_54745.png")
	require.Equal(t, ChipSize, img.W)
	chip, err := ChipFromRGB(img)
	require.NoError(t, err)
	for _, pack := range localPacks {
		t.Run(pack, func(t *testing.T) {
			e := engine(t, pack, Options{})
			embs, err := e.Embed([]Chip{chip})
			require.NoError(t, err)
			require.Len(t, embs, 1)
			require.Len(t, embs[0], e.Pack.Recognizer.EmbeddingDim)
			assert.InDelta(t, 1, Cosine(embs[0], embs[0]), 1e-5)
			var norm float64
			for _, v := range embs[0] {
				norm += float64(v) * float64(v)
			}
			assert.InDelta(t, 1, norm, 1e-4, "L2-normalised")
			// the chip really is ArcFace-aligned: re-detecting and re-aligning
			// it gives nearly the same embedding
			faces, err := e.Analyze(img)
			require.NoError(t, err)
			if assert.NotEmpty(t, faces) {
				assert.Greater(t, Cosine(embs[0], Largest(faces).Embedding), float32(0.8))
			}
		})
	}
}

func TestEmbedBatchEqualsOneByOne(t *testing.T) {
	e := engine(t, "default", Options{})
	img := decodeFile(t, "faces/Test7.jpg")
	faces, err := e.Detect(img)
	require.NoError(t, err)
	chips, err := e.Align(img, faces)
	require.NoError(t, err)
	all, err := e.Embed(chips)
	require.NoError(t, err)
	require.Len(t, all, len(chips))
	for i, c := range chips {
		one, err := e.Embed([]Chip{c})
		require.NoError(t, err)
		assert.InDelta(t, 1, Cosine(all[i], one[0]), 1e-5)
	}
	_, err = e.Embed([]Chip{make(Chip, 5)})
	assert.ErrorContains(t, err, "chip 0")
}

func TestConcurrentAnalyzeIsDeterministic(t *testing.T) {
	e := engine(t, "default", Options{})
	files := []string{"faces/Test3.jpg", "faces/t1.jpg", "faces/Test7.jpg"}
	want := map[string][]Face{}
	for _, f := range files {
		faces, err := e.Analyze(decodeFile(t, f))
		require.NoError(t, err)
		want[f] = faces
	}
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := files[g%len(files)]
			faces, err := e.Analyze(decodeFile(t, f))
			if assert.NoError(t, err) && assert.Len(t, faces, len(want[f])) {
				for i := range faces {
					assert.Equal(t, want[f][i].Box, faces[i].Box)
					assert.InDelta(t, 1, Cosine(want[f][i].Embedding, faces[i].Embedding), 1e-6)
				}
			}
		}()
	}
	wg.Wait()
}
