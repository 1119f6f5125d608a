package face

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
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
