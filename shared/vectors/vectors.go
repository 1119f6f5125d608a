package vectors

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/divinepic/pipeline/shared/names"
)

// Service limits, the same for every implementation so that the embedded
// store never accepts what Amazon S3 Vectors would refuse.
const (
	MaxDimension = 4096 // dimension of an index: 1..4096
	MaxTopK      = 100  // k of one Query: 1..100 (QueryVectors' topK limit)
	MaxKeyLen    = 1024 // length of a vector key in bytes
	MaxBatch     = 500  // vectors per PutVectors / keys per DeleteVectors call
)

// Vector is one face embedding with its key and metadata.
type Vector struct {
	Key      string    // unique within the index; by convention albumId/imageId/faceIndex
	Data     []float32 // the embedding; its length is the index's dimension
	Metadata Metadata
}

// Metadata is what is stored beside a vector. Everything here fits S3
// Vectors' filterable metadata (strings and numbers, well under 2 KB);
// AlbumID is the field queries filter on.
type Metadata struct {
	AlbumID   string     `json:"albumId"`
	ImageID   string     `json:"imageId"`
	FaceIndex int        `json:"faceIndex"`
	Pack      string     `json:"pack"`  // model pack version that produced the embedding
	Box       [4]float32 `json:"box"`   // face box in the image: x1, y1, x2, y2 (pixels)
	Score     float32    `json:"score"` // detector confidence
}

// Match is one Query result.
type Match struct {
	Key      string
	Score    float32 // cosine similarity: 1 = same direction, -1 = opposite
	Metadata Metadata
}

// Store is the vector store contract. Each index holds vectors of one
// dimension compared by cosine similarity; the pipeline uses one index per
// model pack version (see names.IndexForPack). Every implementation is safe for concurrent
// use.
type Store interface {
	// EnsureIndex creates the index with dimension dim if it does not exist.
	// It is idempotent; an existing index with another dimension is an error
	// wrapping ErrDimensionMismatch.
	EnsureIndex(ctx context.Context, index string, dim int) error

	// Put inserts or replaces vectors by key (an upsert: a key is stored once,
	// the last Put wins). Every vector must have the index's dimension, a
	// non-zero finite norm, a key of 1..MaxKeyLen bytes and an album ID; a bad
	// vector fails the whole call before anything is written. Any number of
	// vectors may be passed: implementations split them into service-sized
	// batches, so a failed Put may have stored a prefix of them (retry it).
	Put(ctx context.Context, index string, vs []Vector) error

	// Delete removes the vectors with these keys; keys that do not exist are
	// ignored.
	Delete(ctx context.Context, index string, keys []string) error

	// Query returns up to k (1..MaxTopK) vectors most similar to q by cosine
	// similarity, best first, restricted to albumID (every album when
	// albumID is ""). The embedded and memory stores are exact; Amazon S3
	// Vectors is approximate.
	Query(ctx context.Context, index string, q []float32, k int, albumID string) ([]Match, error)

	// Keys returns every key stored for albumID (every key when albumID is
	// ""), sorted. The pipeline uses it to delete faces that no longer exist.
	Keys(ctx context.Context, index string, albumID string) ([]string, error)
}

// KeyLookup is an optional capability of a Store: saying which of some keys
// exist without listing the index. A store where Keys is costly implements
// it (S3 Vectors' ListVectors cannot filter, so Keys reads every album of the
// index); callers find it with a type assertion.
type KeyLookup interface {
	// Existing returns the keys of keys that the index holds.
	Existing(ctx context.Context, index string, keys []string) (map[string]bool, error)
}

// Errors callers can branch on with errors.Is.
var (
	ErrIndexNotFound     = errors.New("vector index not found")
	ErrDimensionMismatch = errors.New("vector dimension mismatch")
	ErrInvalid           = errors.New("invalid vector store request")
)

// ValidateIndexName checks the S3 Vectors rules for index names
// (names.ValidateIndexName), which every implementation applies, so an
// index name is also a safe file name. Its errors wrap ErrInvalid.
func ValidateIndexName(name string) error {
	if err := names.ValidateIndexName(name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func validateDim(dim int) error {
	if dim < 1 || dim > MaxDimension {
		return fmt.Errorf("%w: dimension %d: must be 1 to %d", ErrInvalid, dim, MaxDimension)
	}
	return nil
}

func validateK(k int) error {
	if k < 1 || k > MaxTopK {
		return fmt.Errorf("%w: k %d: must be 1 to %d", ErrInvalid, k, MaxTopK)
	}
	return nil
}

func validateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: key %q: must be 1 to %d bytes", ErrInvalid, key, MaxKeyLen)
	}
	return nil
}

// checkData checks a vector's length and that its norm is finite and
// non-zero (cosine similarity is undefined otherwise).
func checkData(what string, data []float32, dim int) error {
	if len(data) != dim {
		return fmt.Errorf("%w: %s has %d values, the index has dimension %d", ErrDimensionMismatch, what, len(data), dim)
	}
	var n float64
	for _, x := range data {
		n += float64(x) * float64(x)
	}
	if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return fmt.Errorf("%w: %s: norm must be finite and non-zero", ErrInvalid, what)
	}
	return nil
}

// validateVectors checks a Put's input against the index dimension.
func validateVectors(vs []Vector, dim int) error {
	for i := range vs {
		v := &vs[i]
		if err := validateKey(v.Key); err != nil {
			return fmt.Errorf("vector %d: %w", i, err)
		}
		if v.Metadata.AlbumID == "" {
			return fmt.Errorf("%w: vector %q: album ID is empty", ErrInvalid, v.Key)
		}
		if err := checkData("vector "+v.Key, v.Data, dim); err != nil {
			return err
		}
	}
	return nil
}
