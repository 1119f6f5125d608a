package onnx

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
)

func modelPath(t testing.TB, file string) string {
	t.Helper()
	dir, err := locate.SharedDir()
	require.NoError(t, err)
	return filepath.Join(dir, "models", file)
}

func TestDefaultPackDetectorRuns(t *testing.T) {
	m, err := modelpack.Default()
	require.NoError(t, err)
	p, err := m.Pack(modelpack.DefaultPack)
	require.NoError(t, err)
	path, err := modelpack.NewResolver(m).Path(context.Background(), p.Detector.File)
	require.NoError(t, err)
	s, err := Open(path, Options{IntraOpThreads: 1})
	require.NoError(t, err)
	defer s.Close()
	h, w := int64(p.Detector.InputHeight), int64(p.Detector.InputWidth)
	var outs int
	err = s.Run([]int64{1, 3, h, w}, func(in []float32) error {
		clear(in)
		return nil
	}, func(out []Output) error {
		outs = len(out)
		for _, o := range out {
			if len(o.Data) == 0 {
				return fmt.Errorf("output %s is empty", o.Name)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, len(s.Outputs()), outs)
}

func TestLibraryPathMissingSaysHowToGetIt(t *testing.T) {
	t.Setenv(names.EnvORTLib, filepath.Join(t.TempDir(), "nope.so"))
	_, err := LibraryPath()
	require.ErrorIs(t, err, ErrNoLibrary)
	assert.Contains(t, err.Error(), "make setup")
	assert.Contains(t, err.Error(), names.EnvORTLib)
}

func TestLibraryPathDefaultIsCache(t *testing.T) {
	t.Setenv(names.EnvORTLib, "")
	assert.Equal(t, filepath.Join(locate.CacheDir(), "onnxruntime", ORTVersion, "libonnxruntime.so.1"), CachedLibraryPath())
}

func TestSessionRunsDetectorAndReusesTensors(t *testing.T) {
	s, err := Open(modelPath(t, "yunet_s_dynamic.onnx"), Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, RuntimeVersion(), ORTVersion)
	assert.Equal(t, "input", s.Input().Name)
	assert.Equal(t, []int64{-1, 3, -1, -1}, s.Input().Shape)
	require.Len(t, s.Outputs(), 12)

	shape := []int64{1, 3, 64, 96}
	var first *float32
	for run := 0; run < 2; run++ {
		err = s.Run(shape, func(in []float32) error {
			require.Len(t, in, 3*64*96)
			for i := range in {
				in[i] = float32(i % 255)
			}
			return nil
		}, func(out []Output) error {
			require.Len(t, out, 12)
			assert.Equal(t, "cls_8", out[0].Name)
			// stride 8 on 64x96: 8*12 cells, 1 score each
			assert.Equal(t, []int64{1, 96, 1}, out[0].Shape)
			assert.Equal(t, []int64{1, 6, 10}, out[11].Shape) // kps_32: 2*3 cells
			if run == 0 {
				first = &out[0].Data[0]
			} else {
				assert.Same(t, first, &out[0].Data[0], "output tensors are reused between runs")
			}
			return nil
		})
		require.NoError(t, err)
	}
}

func TestSessionConcurrentCallers(t *testing.T) {
	s, err := Open(modelPath(t, "yunet_s_dynamic.onnx"), Options{MaxShapes: 2})
	require.NoError(t, err)
	defer s.Close()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := int64(32 * (1 + g%3)) // three shapes through a cache of two
			errs[g] = s.Run([]int64{1, 3, h, 64}, func(in []float32) error {
				clear(in)
				return nil
			}, func(out []Output) error {
				if out[0].Shape[1] != h/8*8 {
					t.Errorf("cls_8 shape %v for height %d", out[0].Shape, h)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
}

func TestRunAfterCloseFails(t *testing.T) {
	s, err := Open(modelPath(t, "yunet_s_dynamic.onnx"), Options{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	err = s.Run([]int64{1, 3, 32, 32}, func([]float32) error { return nil }, func([]Output) error { return nil })
	assert.ErrorContains(t, err, "closed")
}

func TestOpenMissingModel(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing.onnx"), Options{})
	assert.ErrorContains(t, err, "missing.onnx")
}
