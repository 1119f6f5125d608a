package steps

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
)

// The registry has one entry per step, in names.Steps' order, and each
// builds its own adapter.
func TestRegistryHasEveryStepOnce(t *testing.T) {
	s := &Steps{}
	var got []string
	for _, e := range s.Registry() {
		got = append(got, e.Name())
		assert.NotSame(t, e.NewHandler(), e.NewHandler(), "one adapter per caller")
	}
	assert.Equal(t, names.Steps, got)
	for _, name := range names.Steps {
		h, err := s.Handler(name)
		require.NoError(t, err)
		assert.NotNil(t, h)
	}
	_, err := s.Handler("detekt")
	assert.ErrorContains(t, err, `no step "detekt" (steps: [aggregate detect embed failures list people reprocess search])`)
}
