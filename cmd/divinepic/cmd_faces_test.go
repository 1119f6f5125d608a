package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/locate"
)

func testPhoto(t *testing.T, rel string) string {
	t.Helper()
	d, err := locate.TestdataDir()
	require.NoError(t, err)
	return filepath.Join(d, rel)
}

func TestFacesJSONAndRefusedFiles(t *testing.T) {
	files := map[string]int{"faces/Test3.jpg": 3, "formats/orient8.jpg": 3, "faces/view.jpg": 0}
	refused := []string{"formats/empty.jpg", "formats/not_an_image.jpg", "formats/test3_truncated.jpg", "formats/bomb_20000x20000.png"}
	args := []string{"faces", "--json"}
	for f := range files {
		args = append(args, testPhoto(t, f))
	}
	for _, f := range refused {
		args = append(args, testPhoto(t, f))
	}
	var out, errOut bytes.Buffer
	code := dispatch(args, &out, &errOut)
	assert.Equal(t, 2, code, "a refused file makes the exit status 2; stderr: %s", errOut.String())

	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	seen := 0
	for sc.Scan() {
		var r fileJSON
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
		seen++
		rel := strings.TrimPrefix(r.File, testPhoto(t, "")+"/")
		if want, ok := files[rel]; ok {
			assert.Empty(t, r.Error, rel)
			assert.Len(t, r.Faces, want, rel)
			assert.Positive(t, r.Width, rel)
			assert.Positive(t, r.Height, rel)
			for _, f := range r.Faces {
				assert.Less(t, f.Box[0], f.Box[2])
				assert.Nil(t, f.Embedding, "no embeddings unless asked")
			}
			continue
		}
		want := "image unreadable"
		if strings.Contains(rel, "bomb") {
			want = "image unsupported here: image too large" // this deployment's pixel budget
		}
		assert.Contains(t, r.Error, want, rel)
		assert.Empty(t, r.Faces, rel)
	}
	assert.Equal(t, len(files)+len(refused), seen)
}

func TestFacesEmbeddings(t *testing.T) {
	var out, errOut bytes.Buffer
	code := dispatch([]string{"faces", testPhoto(t, "faces/Test1.jpg"), "--embeddings", "--pack", "scrfd-500m"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	var r fileJSON
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	require.Len(t, r.Faces, 1)
	assert.Len(t, r.Faces[0].Embedding, 512)
}

func TestCompare(t *testing.T) {
	run := func(a, b string) float64 {
		var out, errOut bytes.Buffer
		code := dispatch([]string{"compare", testPhoto(t, a), testPhoto(t, b)}, &out, &errOut)
		require.Equal(t, 0, code, errOut.String())
		v, err := strconv.ParseFloat(strings.TrimSpace(out.String()), 64)
		require.NoError(t, err)
		return v
	}
	same := run("faces/Rob_Lowe_0001.jpg", "faces/Rob_Lowe_0002.jpg")
	diff := run("faces/Rob_Lowe_0001.jpg", "faces/Nathalie_Baye_0002.jpg")
	assert.Greater(t, same, diff)

	var out, errOut bytes.Buffer
	assert.Equal(t, 2, dispatch([]string{"compare", "only-one.jpg"}, &out, &errOut))
	assert.Equal(t, 1, dispatch([]string{"compare", testPhoto(t, "faces/view.jpg"), testPhoto(t, "faces/Test1.jpg")}, &out, &errOut))
	assert.Contains(t, errOut.String(), "no face found")
}
