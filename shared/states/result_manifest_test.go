package states

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenRunID is the map run id of the golden files (the one in AWS's
// documented example).
const goldenRunID = "ad9b5f27-090b-3ac6-9beb-243cd77144a7"

// readGolden reads a file of testdata/resultwriter: AWS's documented shape
// of a ResultWriter manifest and of a SUCCEEDED_0.json, with the payloads
// of this pipeline's ProcessImages Map.
func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "resultwriter", name))
	require.NoError(t, err)
	return b
}

// decodeStrict decodes JSON into v, refusing fields v does not declare.
func decodeStrict(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v))
}

// The golden files decode into the exported types with no field left over,
// and encode back to the same JSON.
func TestResultWriterGoldenFilesFitTheTypes(t *testing.T) {
	var m ResultManifest
	raw := readGolden(t, "manifest.json")
	decodeStrict(t, raw, &m)
	back, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back))
	require.Len(t, m.ResultFiles.Group(ResultsSucceeded), 1)
	assert.Empty(t, m.ResultFiles.Group(ResultsFailed))
	assert.Empty(t, m.ResultFiles.Group(ResultsPending))

	var children []ChildResult
	raw = readGolden(t, "SUCCEEDED_0.json")
	decodeStrict(t, raw, &children)
	back, err = json.Marshal(children)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back))
	require.Len(t, children, 2)
	for _, c := range children {
		assert.Equal(t, StatusSucceeded, c.Status)
		assert.True(t, c.InputDetails.Included)
		require.NotNil(t, c.OutputDetails)
		assert.True(t, json.Valid([]byte(c.Input)), "Input is a JSON document in a string")
		assert.True(t, json.Valid([]byte(c.Output)), "Output is a JSON document in a string")
	}
}

// The engine's ResultWriter writes exactly the golden files when it runs
// the pipeline's Map (an EXPRESS child per photo, Transformation NONE) on
// the golden inputs.
func TestResultWriterWritesTheGoldenFiles(t *testing.T) {
	e, clk, objs := testEngine(WithAccount("us-east-2", "123456789012"), WithUUID(func() string { return goldenRunID }))
	e.RegisterFunc("detectAndEmbed", func(in map[string]any) (map[string]any, error) {
		img := in["image"].(map[string]any)
		clk.Advance(250 * time.Millisecond)
		if img["key"] == "albums/a/IMG_0002.jpg" {
			return map[string]any{"image": img["key"], "etag": img["etag"], "status": "no_faces", "faces": 0}, nil
		}
		return map[string]any{"image": img["key"], "etag": img["etag"], "status": "done", "faces": 2}, nil
	})
	require.NoError(t, objs.Put(context.Background(), "photos", "work/a/default-1/manifests/run.json", []byte(`[
		{"key":"albums/a/IMG_0001.jpg","etag":"3869e791589a5b0977b5c4edf3c53ef7","imageId":"2a1aeee77127d42293f57370","size":5012345},
		{"key":"albums/a/IMG_0002.jpg","etag":"672992cb81de1c5f92bb372022f104c6","imageId":"ff3453248eaae9b74ee48095","size":4821337}]`)))
	def := `{"StartAt":"ProcessImages","States":{"ProcessImages":{"Type":"Map",
		"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},
			"Parameters":{"Bucket.$":"$.list.manifestBucket","Key.$":"$.list.manifestKey"}},
		"ItemSelector":{"albumId.$":"$.albumId","bucket.$":"$.list.bucket","pack.$":"$.list.pack","startedAt.$":"$.list.startedAt","image.$":"$$.Map.Item.Value"},
		"ItemBatcher":{"MaxItemsPerBatch":1},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"EachPhoto",
			"States":{"EachPhoto":{"Type":"Map","ItemsPath":"$.Items","ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"DetectFaces",
				"States":{"DetectFaces":{"Type":"Task","Resource":"arn:aws:lambda:us-east-2:123456789012:function:detectAndEmbed","End":true}}},"End":true}}},
		"MaxConcurrency":1,
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"photos","Prefix":"results/"}},
		"End":true}}}`
	sm, err := e.Parse("divinepic", []byte(def))
	require.NoError(t, err)
	x, err := sm.Run(context.Background(), []byte(`{"albumId":"a","list":{"bucket":"photos","pack":"default","startedAt":"2026-01-02T03:04:00Z",
		"manifestBucket":"photos","manifestKey":"work/a/default-1/manifests/run.json"}}`), WithName("album-a"))
	require.NoError(t, err)
	out := succeeded(t, x)
	assert.JSONEq(t, `{"MapRunArn":"arn:aws:states:us-east-2:123456789012:mapRun:divinepic/ProcessImages:`+goldenRunID+`",
		"ResultWriterDetails":{"Bucket":"photos","Key":"results/`+goldenRunID+`/manifest.json"}}`, out)

	manifest, err := objs.Get(context.Background(), "photos", "results/"+goldenRunID+"/manifest.json")
	require.NoError(t, err)
	assert.JSONEq(t, string(readGolden(t, "manifest.json")), string(manifest))
	succ, err := objs.Get(context.Background(), "photos", "results/"+goldenRunID+"/SUCCEEDED_0.json")
	require.NoError(t, err)
	assert.JSONEq(t, string(readGolden(t, "SUCCEEDED_0.json")), string(succ))
	var m ResultManifest
	decodeStrict(t, manifest, &m)
	assert.Equal(t, int64(len(succ)), m.ResultFiles.Succeeded[0].Size, "Size is the file's length in bytes")
}
