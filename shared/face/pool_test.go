package face

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/modelpack"
)

// A pool of two engines gives every concurrent caller the faces one engine
// finds, loads a pack once, and keeps no pack that failed to load.
func TestPool(t *testing.T) {
	m, err := modelpack.Default()
	require.NoError(t, err)
	pack, err := m.Pack(modelpack.DefaultPack)
	require.NoError(t, err)
	img := decodeFile(t, "faces/Test1.jpg")
	want, err := engine(t, modelpack.DefaultPack, Options{}).Analyze(img)
	require.NoError(t, err)
	require.NotEmpty(t, want)

	pool := NewPool(m, Options{}, 2)
	defer func() { assert.NoError(t, pool.Close()) }()
	ctx := context.Background()
	es, err := pool.Engines(ctx, pack)
	require.NoError(t, err)
	assert.Len(t, es.all, 2)
	again, err := pool.Engines(ctx, pack)
	require.NoError(t, err)
	assert.Same(t, es, again, "loaded once")

	var wg sync.WaitGroup
	got := make([][]Face, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = es.Analyze(img)
		}()
	}
	wg.Wait()
	for _, g := range got {
		assert.Equal(t, want, g)
	}
	faces, err := es.Detect(img)
	require.NoError(t, err)
	chips, err := es.Align(img, faces)
	require.NoError(t, err)
	embs, err := es.Embed(chips)
	require.NoError(t, err)
	assert.Len(t, embs, len(want))

	broken := *pack
	broken.Name = "broken"
	broken.Recognizer.File = "missing.onnx"
	_, err = pool.Engines(ctx, &broken)
	require.Error(t, err)
	assert.NotContains(t, pool.packs, "broken", "a failed load is not kept")
}
