package face

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/modelpack"
)

// truth is ../shared/testdata/truth.json.
type truth struct {
	Faces              map[string]int    `json:"faces"`
	Rejected           map[string]string `json:"rejected"`
	RotatedWithoutEXIF []string          `json:"rotated_without_exif"`
	Same               [][2]string       `json:"same"`
	Different          [][2]string       `json:"different"`
}

func testdata(t testing.TB) string {
	t.Helper()
	d, err := locate.TestdataDir()
	require.NoError(t, err)
	return d
}

func loadTruth(t testing.TB) truth {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata(t), "truth.json"))
	require.NoError(t, err)
	var tr truth
	require.NoError(t, json.Unmarshal(b, &tr))
	return tr
}

var (
	decodedMu sync.Mutex
	decoded   = map[string]*imaging.RGB{}
)

// decodeFile decodes a test photo the way the pipeline does (once per test
// binary: callers must not modify it).
func decodeFile(t testing.TB, rel string) *imaging.RGB {
	t.Helper()
	decodedMu.Lock()
	defer decodedMu.Unlock()
	if img, ok := decoded[rel]; ok {
		return img
	}
	b, err := os.ReadFile(filepath.Join(testdata(t), rel))
	require.NoError(t, err)
	img, err := imaging.Decode(b, imaging.Options{MinLongSide: DecodeLongSide})
	require.NoError(t, err, rel)
	decoded[rel] = img
	return img
}

var (
	enginesMu sync.Mutex
	engines   = map[string]*Engine{}
)

// engine loads a pack once per test binary.
func engine(t testing.TB, pack string, opts Options) *Engine {
	t.Helper()
	enginesMu.Lock()
	defer enginesMu.Unlock()
	key := pack
	if opts != (Options{}) {
		b, _ := json.Marshal(opts)
		key += string(b)
	}
	if e, ok := engines[key]; ok {
		return e
	}
	m, err := modelpack.Default()
	require.NoError(t, err)
	p, err := m.Pack(pack)
	require.NoError(t, err)
	e, err := NewEngine(context.Background(), p, modelpack.NewResolver(m), opts)
	require.NoError(t, err)
	engines[key] = e
	return e
}
