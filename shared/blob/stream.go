package blob

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrChecksumMismatch says a streamed body did not have the MD5 its
// sender announced: nothing was stored.
var ErrChecksumMismatch = errors.New("content does not match its MD5")

// ReaderPutter is an optional capability of a Store: store a body read
// from r without holding it whole in memory. wantMD5, when not "", is the
// body's hex MD5: a body that does not match is not stored and the error
// is ErrChecksumMismatch. Like Put, a reader of key sees the old or the new
// content, never a partial one.
type ReaderPutter interface {
	PutReader(ctx context.Context, key string, r io.Reader, wantMD5 string) (Info, error)
}

var _ ReaderPutter = (*DirStore)(nil)

// PutReader stores r under key in s: streamed when s is a ReaderPutter,
// otherwise read whole and Put.
func PutReader(ctx context.Context, s Store, key string, r io.Reader, wantMD5 string) (Info, error) {
	if rp, ok := s.(ReaderPutter); ok {
		return rp.PutReader(ctx, key, r, wantMD5)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return Info{}, fmt.Errorf("put %s: read body: %w", key, err)
	}
	if wantMD5 != "" && ETagOf(body) != wantMD5 {
		return Info{}, fmt.Errorf("put %s: %w", key, ErrChecksumMismatch)
	}
	return s.Put(ctx, key, body)
}

// PutReader implements ReaderPutter: the body goes to a temp file through
// a 64 KB buffer, its MD5 computed on the way, and is renamed into place
// only when complete and matching.
func (s *DirStore) PutReader(ctx context.Context, key string, r io.Reader, wantMD5 string) (Info, error) {
	p, err := s.path(key)
	if err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	h := md5.New()
	var etag string
	var readErr error
	fi, err := s.putWith(key, p, func(f *os.File) (int64, error) {
		n, err := io.CopyBuffer(io.MultiWriter(f, h), r, make([]byte, 64<<10))
		if err != nil {
			readErr = err
			return n, err
		}
		etag = hex.EncodeToString(h.Sum(nil))
		if wantMD5 != "" && etag != wantMD5 {
			readErr = ErrChecksumMismatch
			return n, ErrChecksumMismatch
		}
		return n, nil
	})
	if readErr != nil {
		// The sender's fault (a lost connection, a body too large, a wrong
		// checksum), not the store's.
		return Info{}, fmt.Errorf("put %s: %w", key, readErr)
	}
	if err != nil {
		return Info{}, s.fail("put", key, err)
	}
	s.etags.put(key, fi, etag)
	return Info{Key: key, Size: fi.Size(), ETag: etag, LastModified: fi.ModTime().UTC()}, nil
}
