package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
)

// twins writes a photo of two look-alikes side by side: a portrait and its
// mirror image (the closest two faces can be: identical twins, a
// reflection).
func twins(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	require.NoError(t, err)
	defer f.Close()
	img, err := jpeg.Decode(f)
	require.NoError(t, err)
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, 2*b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			out.Set(x, y, c)
			out.Set(2*b.Dx()-1-x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, out, &jpeg.Options{Quality: 92}))
	require.NoError(t, os.WriteFile(dst, buf.Bytes(), 0o644))
}

// peopleOf reads the album's people record and checks it against the face
// records: every indexed face is in exactly one person, no filtered face
// is, and no person holds two faces of one photo. It returns the person of
// each face.
func peopleOf(t *testing.T, p *Pipeline, album string) (domain.PeopleRecord, map[string]string) {
	t.Helper()
	ctx := context.Background()
	body, _, err := p.Bucket.Get(ctx, names.PeopleKey(album, "default-1"))
	require.NoError(t, err)
	var rec domain.PeopleRecord
	require.NoError(t, json.Unmarshal(body, &rec))
	recs, err := p.Faces(ctx, album, "default-1")
	require.NoError(t, err)
	want := map[string]bool{}
	for _, r := range recs {
		for i, f := range r.Faces {
			if f.Filtered == "" {
				want[names.FaceID(r.ImageID, i)] = true
			}
		}
	}
	of := map[string]string{}
	for _, person := range rec.People {
		photos := map[string]bool{}
		for _, f := range person.Faces {
			assert.True(t, want[f], "face %s of person %s is an indexed face", f, person.ID)
			assert.NotContains(t, of, f, "face %s is in one person only", f)
			of[f] = person.ID
			img := names.ImageOfFaceID(f)
			assert.False(t, photos[img], "person %s holds two faces of photo %s", person.ID, img)
			photos[img] = true
		}
	}
	assert.Len(t, of, len(want), "every indexed face is in a person")
	assert.Equal(t, len(want), rec.Faces)
	return rec, of
}

// The People step runs after Aggregate; its record stays consistent when
// a rerun removes and adds photos, person ids stay, look-alikes in one
// photo stay apart, and search through people lists a photo stored twice
// once.
func TestPeopleAcrossReruns(t *testing.T) {
	src, _ := loadTruth(t)
	dir := makeAlbum(t, src, []string{"faces/Rob_Lowe_0001.jpg", "faces/Rob_Lowe_0002.jpg", "faces/Nathalie_Baye_0002.jpg",
		"faces/Test3.jpg", "pairs/16_fn_0.jpg"})
	twins(t, filepath.Join(src, "faces/Rob_Lowe_0001.jpg"), filepath.Join(dir, "twins.jpg"))
	p := open(t, t.TempDir(), Options{})
	ctx := context.Background()
	_, err := p.Import(ctx, "ppl", dir)
	require.NoError(t, err)
	_, x, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "ppl"})
	require.NoError(t, err)
	assert.Equal(t, []string{"ListImages", "AnyWork?", "ProcessImages", "CollectFailures", "AnyFailed?", "Aggregate", "People", "Done"}, x.Path())
	var out steps.PeopleOutput
	require.NoError(t, json.Unmarshal(x.Output(), &out))
	assert.True(t, out.Regrouped, "the first run groups from scratch")
	assert.Equal(t, names.PeopleKey("ppl", "default-1"), out.PeopleKey)

	_, of := peopleOf(t, p, "ppl")
	id := func(file string) string { return names.ImageID(names.AlbumPrefix("ppl") + file) }
	rob1, rob2 := names.FaceID(id("faces/Rob_Lowe_0001.jpg"), 0), names.FaceID(id("faces/Rob_Lowe_0002.jpg"), 0)
	twinA, twinB := names.FaceID(id("twins.jpg"), 0), names.FaceID(id("twins.jpg"), 1)
	require.Contains(t, of, twinA)
	require.Contains(t, of, twinB)
	assert.Equal(t, of[rob1], of[rob2], "Rob Lowe's two photos are one person")
	assert.NotEqual(t, of[twinA], of[twinB], "the look-alikes of one photo are two people")
	assert.Contains(t, []string{of[twinA], of[twinB]}, of[rob1], "one of them is Rob Lowe")
	robID, twins := of[rob1], []string{of[twinA], of[twinB]}

	// Rerun: Rob_Lowe_0002 and Nathalie leave; Rob_Lowe_0001 arrives again
	// under another name, and Mary arrives.
	require.NoError(t, os.Remove(filepath.Join(dir, "faces/Rob_Lowe_0002.jpg")))
	require.NoError(t, os.Remove(filepath.Join(dir, "faces/Nathalie_Baye_0002.jpg")))
	copyFile(t, filepath.Join(src, "faces/Rob_Lowe_0001.jpg"), filepath.Join(dir, "rob-again.jpg"))
	copyFile(t, filepath.Join(src, "faces/Mary_Katherine_Smart_0001_5k.jpg"), filepath.Join(dir, "mary.jpg"))
	_, err = p.Import(ctx, "ppl", dir)
	require.NoError(t, err)
	_, x, err = p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "ppl"})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(x.Output(), &out))
	assert.False(t, out.Regrouped, "a rerun is incremental")
	_, of = peopleOf(t, p, "ppl")
	assert.NotContains(t, of, rob2, "the removed photo's face left")
	again := names.FaceID(id("rob-again.jpg"), 0)
	assert.Equal(t, robID, of[rob1], "Rob Lowe's person keeps its id")
	assert.Equal(t, twins, []string{of[twinA], of[twinB]}, "so do the twins'")
	assert.Contains(t, twins, of[again], "the new photo (Rob Lowe's first again) joined the twin it is closest to")
	assert.Contains(t, of, names.FaceID(id("mary.jpg"), 0))

	// Search with Rob Lowe's other portrait: his photos through his
	// person, the twin photo once, and Rob_Lowe_0001 once although it is
	// stored under two names.
	selfie, err := os.ReadFile(filepath.Join(src, "faces/Rob_Lowe_0002.jpg"))
	require.NoError(t, err)
	res, err := p.Steps.Search(ctx, steps.SearchInput{AlbumID: "ppl", Image: selfie})
	require.NoError(t, err)
	seen := map[string]int{}
	for _, m := range res.Photos {
		seen[m.Key]++
	}
	robs := seen[names.AlbumPrefix("ppl")+"faces/Rob_Lowe_0001.jpg"] + seen[names.AlbumPrefix("ppl")+"rob-again.jpg"]
	assert.Equal(t, 1, robs, "one photo, two names, listed once: %v", seen)
	assert.Equal(t, 1, seen[names.AlbumPrefix("ppl")+"twins.jpg"])
	for k, n := range seen {
		assert.Equal(t, 1, n, k)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, b, 0o644))
}
