package names

import (
	"errors"
	"fmt"
	"strings"
)

// IndexForPack returns the vector index of a model pack version (the
// version string stored on every face, modelpack.Pack.Version): "faces-"
// followed by the version lower-cased with every character outside a-z,
// 0-9, '.' and '-' replaced by '-'. The CDK stack creates this index for
// each pack, and Aggregate and Search use it.
func IndexForPack(packVersion string) (string, error) {
	var b strings.Builder
	b.WriteString("faces-")
	for _, r := range strings.ToLower(packVersion) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	name := strings.TrimRight(b.String(), "-.")
	if err := ValidateIndexName(name); err != nil {
		return "", fmt.Errorf("index for model pack %q: %w", packVersion, err)
	}
	return name, nil
}

// NonFilterableMetadataKeys are the vector metadata keys that S3 Vectors
// stores but cannot filter on (they are only returned with a match).
// albumId, imageId and pack stay filterable: queries filter by album, and
// the nightly job looks for faces of older packs. The stack's indexes and
// the indexes the store creates at run time both use it.
var NonFilterableMetadataKeys = []string{"box", "score", "faceIndex"}

// ErrBadIndexName is wrapped by ValidateIndexName's errors.
var ErrBadIndexName = errors.New("bad vector index name")

// ValidateIndexName checks the S3 Vectors rules for index names, which every
// vector store applies (so an index name is also a safe file name): 3..63
// characters of a-z, 0-9, '-' and '.', beginning and ending with a letter or
// digit, without "..".
func ValidateIndexName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("%w: %q: must be 3 to 63 characters", ErrBadIndexName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && !(c == '-' || c == '.') {
			return fmt.Errorf("%w: %q: only a-z, 0-9, '-' and '.' are allowed", ErrBadIndexName, name)
		}
		if !alnum && (i == 0 || i == len(name)-1) {
			return fmt.Errorf("%w: %q: must begin and end with a letter or digit", ErrBadIndexName, name)
		}
	}
	if strings.Contains(name, "..") {
		return fmt.Errorf("%w: %q: must not contain \"..\"", ErrBadIndexName, name)
	}
	return nil
}
