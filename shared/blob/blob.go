package blob

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"time"
)

// Info describes one stored object.
type Info struct {
	Key          string    // the object key, as given to Put
	Size         int64     // the content length in bytes
	ETag         string    // a fingerprint of the content: hex MD5, without quotes (S3 single-part ETag); a Folder's is FolderETag
	LastModified time.Time // when the object was last written (server or file time)
}

// Store is one bucket of objects. All methods are safe for concurrent use.
// Every key is checked with ValidateKey first; a bad key fails with a
// *domain.InvalidInput before any I/O.
type Store interface {
	// Get returns the whole content of key and its Info. A missing key is a
	// *domain.ObjectMissing. The returned slice belongs to the caller.
	Get(ctx context.Context, key string) ([]byte, Info, error)

	// Put stores body under key, replacing any previous object, and returns
	// the new object's Info. A reader sees either the old or the new content,
	// never a mix or a partial write. The store keeps no reference to body.
	// On S3, Info.LastModified is the client's clock (S3 does not return the
	// time on PUT); Head gives the server's.
	Put(ctx context.Context, key string, body []byte) (Info, error)

	// Head returns the Info of key without its content. A missing key is a
	// *domain.ObjectMissing.
	Head(ctx context.Context, key string) (Info, error)

	// Delete removes key. Deleting a missing key is not an error (S3
	// semantics), so Delete is idempotent.
	Delete(ctx context.Context, key string) error

	// List calls fn for every object whose key starts with prefix, in
	// lexicographic (byte-wise) key order, paginating under the hood. An
	// empty prefix lists the whole bucket; a prefix is not a key and is only
	// checked for NUL and length. An error from fn stops the listing and is
	// returned as is. Objects put or deleted during a listing may or may not
	// be seen.
	List(ctx context.Context, prefix string, fn func(Info) error) error
}

// StatLister is implemented by stores whose ETags cost a read of the whole
// object (a Folder, and Mounts over one): ListStat lists like List, but an
// Info's ETag is empty where it is not known without reading the object
// (Head or Get then gives it). The steps use it to list an album without
// reading the photos they are about to read anyway.
type StatLister interface {
	ListStat(ctx context.Context, prefix string, fn func(Info) error) error
}

// Buckets opens a Store per bucket name: the workflow passes bucket names
// around, the composition root decides where they live.
type Buckets interface {
	// Bucket returns the Store of the named bucket. The name is checked with
	// ValidateBucket (a bad one is a *domain.InvalidInput). It does no I/O:
	// a bucket that does not exist shows up on first use (S3: an error;
	// directory and memory: created on first Put, empty until then).
	Bucket(name string) (Store, error)
}

// ETagOf returns the ETag that every Store gives to body: its hex MD5, as
// S3 does for a single-part upload without KMS encryption.
func ETagOf(body []byte) string {
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

// opName is what the errors of one call say they were doing, e.g.
// "put photos/album-1/a.jpg".
func opName(op, bucket, key string) string {
	if key == "" {
		return fmt.Sprintf("%s %s", op, bucket)
	}
	return fmt.Sprintf("%s %s/%s", op, bucket, key)
}
