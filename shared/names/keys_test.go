package names_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

func TestValidateAlbumID(t *testing.T) {
	for id, ok := range map[string]bool{
		"wedding-2026": true, "a": true, "A_b-9": true, strings.Repeat("x", 64): true,
		"": false, "-a": false, "_a": false, "a/b": false, "../a": false, "a b": false, "é": false, strings.Repeat("x", 65): false,
	} {
		err := names.ValidateAlbumID(id)
		if ok {
			assert.NoError(t, err, "%q", id)
		} else {
			var bad *domain.InvalidInput
			assert.ErrorAs(t, err, &bad, "%q", id)
		}
	}
}

func TestIsPhotoKey(t *testing.T) {
	for key, want := range map[string]bool{
		"albums/a/IMG_1.JPG": true, "albums/a/x": true, "albums/a/scan.heic": true, "albums/a/not_an_image.jpg": true,
		"albums/a/": false, "albums/a/.DS_Store": false, "albums/a/IMG_1.xmp": false, "albums/a/notes.TXT": false, "albums/a/truth.json": false, "": false,
	} {
		assert.Equal(t, want, names.IsPhotoKey(key), key)
	}
}

func TestKeysArePureFunctionsOfTheirInputs(t *testing.T) {
	id := names.ImageID("albums/a/x.jpg")
	assert.Len(t, id, 24)
	assert.Equal(t, id, names.ImageID("albums/a/x.jpg"))
	assert.NotEqual(t, id, names.ImageID("albums/a/y.jpg"))
	assert.Equal(t, "a/"+id+"/3", names.VectorKey("a", id, 3))
	assert.Equal(t, "faces/a/default-1/"+id+".json", names.RecordKey("a", "default-1", id))
	// The detections of two versions of a photo never share a key; S3's
	// quotes and multipart suffixes are kept out of keys.
	k1 := names.DetectionsKey("a", "default-1", id, `"0123abcd"`)
	k2 := names.DetectionsKey("a", "default-1", id, `"0123abce-2"`)
	assert.NotEqual(t, k1, k2)
	assert.NotContains(t, k1, `"`)
	assert.NoError(t, blob.ValidateKey(k1))
}

func TestNightlyName(t *testing.T) {
	day := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	assert.Equal(t, "wedding-default-20261128", names.NightlyExecutionName("wedding", "default", day))
	long := strings.Repeat("a", 64)
	n := names.NightlyExecutionName(long, "buffalo_l", day)
	assert.LessOrEqual(t, len(n), 80, "Step Functions names are at most 80 characters")
	assert.True(t, strings.HasSuffix(n, "-buffalo_l-20261128"))
	assert.NotEqual(t, n, names.NightlyExecutionName(long[:63]+"b", "buffalo_l", day), "shortened names stay distinct")
}

func TestStartExecutionNameLong(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 30, 5, 0, time.UTC)
	assert.Equal(t, "party-20250601T123005Z", names.StartExecutionName("party", at))
	long := names.StartExecutionName(strings.Repeat("a", 64), at)
	assert.Len(t, long, 80)
	assert.True(t, strings.HasSuffix(long, "-20250601T123005Z"))
}

func TestStartExecutionName(t *testing.T) {
	at := time.Date(2026, 12, 1, 15, 4, 5, 0, time.UTC)
	assert.Equal(t, "wedding-20261201T150405Z", names.StartExecutionName("wedding", at))
	long := strings.Repeat("b", 64)
	n := names.StartExecutionName(long, at)
	assert.LessOrEqual(t, len(n), names.MaxExecutionName)
	assert.True(t, names.ValidExecutionName(n), n)
	assert.NotEqual(t, n, names.StartExecutionName(long[:63]+"c", at), "shortened names stay distinct")
}

func TestValidExecutionName(t *testing.T) {
	for name, ok := range map[string]bool{
		"wedding-default-20261128": true, "a": true, strings.Repeat("x", 80): true, "ünïcode": true,
		"": false, strings.Repeat("x", 81): false, "a b": false, "a/b": false, "a:b": false, "a\x01": false, "a\u0085": false, "x$y": false,
	} {
		assert.Equal(t, ok, names.ValidExecutionName(name), "%q", name)
	}
}

func TestAlbumAndPackOfKeys(t *testing.T) {
	id, ok := names.AlbumOfPhotoKey(names.AlbumPrefix("wedding") + "IMG_1.jpg")
	assert.True(t, ok)
	assert.Equal(t, "wedding", id)
	for _, k := range []string{"albums/", "albums//x.jpg", "faces/wedding/x.json", "albums/wedding"} {
		_, ok := names.AlbumOfPhotoKey(k)
		assert.False(t, ok, k)
	}
	v, ok := names.PackVersionOfIndexKey("wedding", names.IndexKey("wedding", "default-1"))
	assert.True(t, ok)
	assert.Equal(t, "default-1", v)
	_, ok = names.PackVersionOfIndexKey("wedding", names.SummaryKey("wedding", "default-1"))
	assert.False(t, ok)
	_, ok = names.PackVersionOfIndexKey("wedding", names.IndexKey("wedding2", "default-1"))
	assert.False(t, ok, "another album's index")
}

func TestManifestKeyIsSafeForAnyExecutionName(t *testing.T) {
	k := names.ManifestKey("a", "default-1", "../../x y:z")
	assert.Equal(t, "work/a/default-1/manifests/-x-y-z.json", k)
	assert.NoError(t, blob.ValidateKey(k))
	assert.Equal(t, "work/a/default-1/manifests/run.json", names.ManifestKey("a", "default-1", ""))
}

func TestEveryPrefixIsOneOfTheLayout(t *testing.T) {
	for _, k := range []string{
		names.AlbumPrefix("a") + "x.jpg", names.ManifestKey("a", "v", "r"), names.DetectionsKey("a", "v", "i", "e"),
		names.RecordKey("a", "v", "i"), names.IndexKey("a", "v"), names.SummaryKey("a", "v"),
	} {
		n := 0
		for _, p := range []string{names.AlbumsPrefix, names.WorkPrefix, names.FacesPrefix, names.StatePrefix, names.ResultsPrefix} {
			if strings.HasPrefix(k, p) {
				n++
			}
		}
		assert.Equal(t, 1, n, "%s is under exactly one top-level prefix", k)
	}
	assert.Equal(t, []string{names.WorkPrefix, names.ResultsPrefix}, names.ExpiringPrefixes)
}
