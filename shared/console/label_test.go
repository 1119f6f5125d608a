package console_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/divinepic/pipeline/shared/console"
)

// A Map item is labelled by its photo; a batch by its first and last
// photos and how many; anything else by its JSON, shortened.
func TestJSONFieldLabels(t *testing.T) {
	label := console.JSONField("image", "key")
	for in, want := range map[string]string{
		`{"image":{"key":"albums/a/x.jpg"}}`:             "albums/a/x.jpg",
		`{"Items":[{"image":{"key":"albums/a/x.jpg"}}]}`: "albums/a/x.jpg",
		`{"Items":[{"image":{"key":"albums/a/1.jpg"}},{"image":{"key":"albums/a/2.jpg"}},{"image":{"key":"albums/a/3.jpg"}}]}`: "albums/a/1.jpg … albums/a/3.jpg (3 items)",
		`{"image":"not an object"}`: `{"image":"not an object"}`,
		`{"Items":[1,2]}`:           `{"Items":[1,2]}`,
		`not json`:                  "not json",
	} {
		assert.Equal(t, want, label(in), in)
	}
}
