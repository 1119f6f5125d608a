package imaging

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Decode keeps no shared state: concurrent callers get identical results.
func TestDecodeConcurrent(t *testing.T) {
	files := []string{"faces/Test3.jpg", "formats/test3.heic", "formats/test3_cmyk.jpg", "formats/test3.webp"}
	want := make([]*RGB, len(files))
	datas := make([][]byte, len(files))
	for i, f := range files {
		datas[i] = testdata(t, f)
		m, err := Decode(datas[i], Options{MinLongSide: 256})
		if f == "formats/test3.heic" && heifAvailable() != nil {
			require.Error(t, err)
			continue
		}
		require.NoError(t, err)
		want[i] = m
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range files {
				j := (i + g) % len(files)
				if want[j] == nil {
					continue
				}
				m, err := Decode(datas[j], Options{MinLongSide: 256})
				if assert.NoError(t, err) {
					assert.Equal(t, want[j].Pix, m.Pix)
				}
			}
		}()
	}
	wg.Wait()
}
