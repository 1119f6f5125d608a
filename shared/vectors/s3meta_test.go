package vectors

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestS3MetadataNames: the metadata keys written to S3 Vectors are the JSON
// names of Metadata's fields (the CDK stack names its non-filterable keys
// from those, and the album filter uses "albumId").
func TestS3MetadataNames(t *testing.T) {
	names := func(typ reflect.Type, tag string) []string {
		var out []string
		for i := range typ.NumField() {
			out = append(out, strings.Split(typ.Field(i).Tag.Get(tag), ",")[0])
		}
		return out
	}
	assert.Equal(t, names(reflect.TypeFor[Metadata](), "json"), names(reflect.TypeFor[s3Metadata](), "document"))
	assert.Contains(t, names(reflect.TypeFor[Metadata](), "json"), "albumId")
}
