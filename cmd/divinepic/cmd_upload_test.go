package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUploadRefusesABadParallel(t *testing.T) {
	for _, n := range []string{"0", "-1", "65"} {
		var out, errOut bytes.Buffer
		code := uploadCmd(context.Background(), []string{t.TempDir(), "--album", "a1", "--token", "dpt_x", "--parallel", n}, &out, &errOut)
		assert.Equal(t, 1, code, n)
		assert.Contains(t, errOut.String(), "give 1 to 64 photos at once", n)
		assert.Empty(t, out.String())
	}
}
