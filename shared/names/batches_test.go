package names

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Batches never leave a concurrent slot empty (rounded down), and stop at
// MaxPhotosPerChild.
func TestPhotosPerChild(t *testing.T) {
	for _, c := range []struct{ photos, conc, want int }{
		{0, 40, 1}, {1, 40, 1}, {40, 40, 1}, {79, 40, 1}, {80, 40, 2}, {1000, 40, 20}, {100000, 40, MaxPhotosPerChild},
		{18, 2, 9}, {5, 0, 5}, {5, 1, 5},
	} {
		got := PhotosPerChild(c.photos, c.conc)
		assert.Equal(t, c.want, got, "%d photos at concurrency %d", c.photos, c.conc)
		if c.photos >= c.conc && c.conc > 0 {
			assert.GreaterOrEqual(t, c.photos/got, min(c.conc, c.photos/MaxPhotosPerChild), "children at least the concurrency while batches may grow")
		}
	}
}

// The album fails exactly when the failed share exceeds the percentage,
// fractional ones (the stack allows 2.5) included.
func TestToleratedFailures(t *testing.T) {
	for _, c := range []struct {
		photos int
		pct    float64
		want   int
	}{
		{3, 50, 1}, {4, 50, 2}, {100, 2.5, 2}, {39, 2.5, 0}, {40, 2.5, 1}, {10, 0, 0}, {10, 100, 10}, {10, 150, 10}, {10, -5, 0},
	} {
		assert.Equal(t, c.want, ToleratedFailures(c.photos, c.pct), "%d photos at %v%%", c.photos, c.pct)
	}
}
