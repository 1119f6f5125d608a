package modelpack_test

import (
	"regexp"
	"testing"

	"github.com/divinepic/pipeline/models"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
)

// safeSegment is what a pack version must be: it is a segment of keys
// (faces/<album>/<version>/...) and of file names.
var safeSegment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// FuzzManifest: Parse never panics, and a manifest it accepts is usable:
// every pack's files are in it, its version is a safe key segment with a
// vector index name, and its sizes are within what the engine and the
// vector store take.
func FuzzManifest(f *testing.F) {
	f.Add(string(models.ManifestJSON))
	f.Add(`{"files":{"d.onnx":{"sha256":"` + string(make([]byte, 0)) + `0000000000000000000000000000000000000000000000000000000000000000","size":1}},
		"packs":{"p":{"version":"../../x","detector":{"file":"d.onnx","family":"yunet","inputWidth":1,"inputHeight":1,"colorOrder":"RGB","std":[1,1,1]},
		"recognizer":{"file":"d.onnx","inputSize":1,"colorOrder":"RGB","std":[1,1,1],"embeddingDim":100000}}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		m, err := modelpack.Parse([]byte(doc))
		if err != nil {
			return
		}
		for _, name := range m.PackNames() {
			p, err := m.Pack(name)
			if err != nil {
				t.Fatalf("pack %q listed but not found: %v", name, err)
			}
			if !safeSegment.MatchString(p.Version) || p.Version == ".." || len(p.Version) > 64 {
				t.Fatalf("pack %q: version %q is not a safe key segment", name, p.Version)
			}
			if _, err := names.IndexForPack(p.Version); err != nil {
				t.Fatalf("pack %q: %v", name, err)
			}
			if p.Recognizer.EmbeddingDim > vectors.MaxDimension {
				t.Fatalf("pack %q: embedding dimension %d", name, p.Recognizer.EmbeddingDim)
			}
			if p.Detector.InputWidth > 8192 || p.Detector.InputHeight > 8192 || p.Recognizer.InputSize > 1024 {
				t.Fatalf("pack %q: input sizes %dx%d, %d", name, p.Detector.InputWidth, p.Detector.InputHeight, p.Recognizer.InputSize)
			}
			for _, file := range p.FileNames() {
				if _, ok := m.Files[file]; !ok {
					t.Fatalf("pack %q: file %q not in files", name, file)
				}
			}
		}
	})
}
