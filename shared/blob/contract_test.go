package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
)

// contract describes one implementation to the shared suite.
type contract struct {
	// open returns fresh, empty buckets; it registers its own cleanup.
	open func(t *testing.T) blob.Buckets
	// pageSize is the List page size the implementation was opened with
	// (0: it does not paginate); the suite lists several pages' worth.
	pageSize int
}

// testContract is the one suite every Store implementation passes.
func testContract(t *testing.T, c contract) {
	ctx := context.Background()
	store := func(t *testing.T) blob.Store {
		s, err := c.open(t).Bucket("photos")
		require.NoError(t, err)
		return s
	}

	t.Run("RoundTrip", func(t *testing.T) {
		s := store(t)
		allBytes := make([]byte, 256)
		for i := range allBytes {
			allBytes[i] = byte(i)
		}
		big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
		for _, tc := range []struct {
			name, key string
			body      []byte
		}{
			{"empty", "empty.bin", []byte{}},
			{"text", "albums/a1/readme.txt", []byte("hello, album")},
			{"binary", "albums/a1/img/all-bytes.bin", allBytes},
			{"1MiB", "albums/a1/img/big.jpg", big},
			{"unicode key", "albums/été/photo 1 (copy).jpg", []byte("ünïcödé")},
			{"dots in names", "albums/..a/b../.hidden", []byte("dots")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := time.Now().Add(-2 * time.Second)
				put, err := s.Put(ctx, tc.key, tc.body)
				require.NoError(t, err)
				assert.Equal(t, tc.key, put.Key)
				assert.Equal(t, int64(len(tc.body)), put.Size)
				assert.Equal(t, blob.ETagOf(tc.body), put.ETag)
				assert.WithinRange(t, put.LastModified, before, time.Now().Add(2*time.Second))

				got, info, err := s.Get(ctx, tc.key)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(tc.body, got), "body differs")
				assert.Equal(t, put.Key, info.Key)
				assert.Equal(t, put.Size, info.Size)
				assert.Equal(t, put.ETag, info.ETag)
				assert.WithinRange(t, info.LastModified, before, time.Now().Add(2*time.Second))

				head, err := s.Head(ctx, tc.key)
				require.NoError(t, err)
				assert.Equal(t, info, head)
			})
		}
	})

	t.Run("OverwriteAndETag", func(t *testing.T) {
		s := store(t)
		a, err := s.Put(ctx, "k/x.json", []byte(`{"v":1}`))
		require.NoError(t, err)
		b, err := s.Put(ctx, "k/x.json", []byte(`{"v":2}`))
		require.NoError(t, err)
		assert.NotEqual(t, a.ETag, b.ETag, "ETag must change with the content")

		got, info, err := s.Get(ctx, "k/x.json")
		require.NoError(t, err)
		assert.Equal(t, `{"v":2}`, string(got))
		assert.Equal(t, b.ETag, info.ETag)

		again, err := s.Put(ctx, "k/x.json", []byte(`{"v":1}`))
		require.NoError(t, err)
		assert.Equal(t, a.ETag, again.ETag, "ETag must be stable for equal content")
		other, err := s.Put(ctx, "k/other.json", []byte(`{"v":1}`))
		require.NoError(t, err)
		assert.Equal(t, a.ETag, other.ETag, "equal content under another key, same ETag")
		head, err := s.Head(ctx, "k/x.json")
		require.NoError(t, err)
		assert.Equal(t, a.ETag, head.ETag)
		assert.Equal(t, int64(7), head.Size)
	})

	t.Run("CallerOwnsBuffers", func(t *testing.T) {
		s := store(t)
		body := []byte("original")
		_, err := s.Put(ctx, "own", body)
		require.NoError(t, err)
		copy(body, "XXXXXXXX")
		got, _, err := s.Get(ctx, "own")
		require.NoError(t, err)
		assert.Equal(t, "original", string(got))
		copy(got, "YYYYYYYY")
		again, _, err := s.Get(ctx, "own")
		require.NoError(t, err)
		assert.Equal(t, "original", string(again))
	})

	t.Run("Missing", func(t *testing.T) {
		s := store(t)
		_, err := s.Put(ctx, "present/file", []byte("x"))
		require.NoError(t, err)
		for _, key := range []string{"absent", "present/absent", "present/file/below", "present"} {
			t.Run(key, func(t *testing.T) {
				_, _, err := s.Get(ctx, key)
				var missing *domain.ObjectMissing
				require.ErrorAs(t, err, &missing, "get")
				assert.Equal(t, key, missing.Key)
				assert.False(t, domain.IsTransient(err))

				_, err = s.Head(ctx, key)
				require.ErrorAs(t, err, &missing, "head")
				assert.Equal(t, key, missing.Key)
			})
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := store(t)
		_, err := s.Put(ctx, "d/one", []byte("1"))
		require.NoError(t, err)
		_, err = s.Put(ctx, "d/two", []byte("2"))
		require.NoError(t, err)

		require.NoError(t, s.Delete(ctx, "d/one"))
		_, _, err = s.Get(ctx, "d/one")
		var missing *domain.ObjectMissing
		require.ErrorAs(t, err, &missing)
		require.NoError(t, s.Delete(ctx, "d/one"), "deleting again is not an error")
		require.NoError(t, s.Delete(ctx, "never/was"), "deleting a missing key is not an error")
		assert.Equal(t, []string{"d/two"}, listKeys(t, s, ""))

		require.NoError(t, s.Delete(ctx, "d/two"))
		assert.Empty(t, listKeys(t, s, ""))
		_, err = s.Put(ctx, "d/two/now-a-prefix", []byte("3"))
		require.NoError(t, err, "a deleted key's name is free again, even as a prefix")
		assert.Equal(t, []string{"d/two/now-a-prefix"}, listKeys(t, s, ""))
	})

	t.Run("List", func(t *testing.T) {
		s := store(t)
		keys := []string{"a-c", "a.b", "a/b", "a/c/d", "a0", "b", "bz/a/z", "ab", "é", "z~"}
		bodies := map[string][]byte{}
		for _, i := range rand.Perm(len(keys)) { // put in random order
			k := keys[i]
			bodies[k] = []byte(strings.Repeat(k, i+1))
			_, err := s.Put(ctx, k, bodies[k])
			require.NoError(t, err)
		}
		for _, tc := range []struct{ prefix string }{
			{""}, {"a"}, {"a/"}, {"a/c"}, {"a/c/d"}, {"a/c/d/"}, {"b"}, {"nomatch"}, {"z~"}, {"a/../b"}, {"../"}, {"/"},
		} {
			t.Run("prefix="+tc.prefix, func(t *testing.T) {
				var want []string
				for _, k := range keys {
					if strings.HasPrefix(k, tc.prefix) {
						want = append(want, k)
					}
				}
				slices.Sort(want) // byte-wise order: "a-c" < "a.b" < "a/b" < "a0" < "ab"
				var got []string
				require.NoError(t, s.List(ctx, tc.prefix, func(info blob.Info) error {
					got = append(got, info.Key)
					assert.Equal(t, int64(len(bodies[info.Key])), info.Size, info.Key)
					assert.Equal(t, blob.ETagOf(bodies[info.Key]), info.ETag, info.Key)
					assert.False(t, info.LastModified.IsZero(), info.Key)
					return nil
				}))
				assert.Equal(t, want, got)
			})
		}
		assert.Equal(t, []string{"a-c", "a.b", "a/b", "a/c/d", "a0", "ab"}, listKeys(t, s, "a"), "byte-wise key order")
	})

	t.Run("ListPages", func(t *testing.T) {
		s := store(t)
		n := 3*c.pageSize + 2
		if n < 25 {
			n = 25
		}
		var want []string
		for i := range n {
			k := fmt.Sprintf("pages/%03d", i)
			want = append(want, k)
			_, err := s.Put(ctx, k, []byte(k))
			require.NoError(t, err)
		}
		_, err := s.Put(ctx, "pagesz", []byte("outside the prefix"))
		require.NoError(t, err)
		assert.Equal(t, want, listKeys(t, s, "pages/"))
	})

	t.Run("ListStopsOnCallbackError", func(t *testing.T) {
		s := store(t)
		for i := range 10 {
			_, err := s.Put(ctx, fmt.Sprintf("stop/%d", i), []byte("x"))
			require.NoError(t, err)
		}
		stop := errors.New("enough")
		calls := 0
		err := s.List(ctx, "stop/", func(blob.Info) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
		require.ErrorIs(t, err, stop)
		assert.Equal(t, 3, calls)
	})

	t.Run("BadKeysRefused", func(t *testing.T) {
		s := store(t)
		for _, key := range badKeys() {
			t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
				var invalid *domain.InvalidInput
				_, err := s.Put(ctx, key, []byte("x"))
				require.ErrorAs(t, err, &invalid, "put")
				assert.Equal(t, "key", invalid.Field)
				_, _, err = s.Get(ctx, key)
				require.ErrorAs(t, err, &invalid, "get")
				_, err = s.Head(ctx, key)
				require.ErrorAs(t, err, &invalid, "head")
				require.ErrorAs(t, s.Delete(ctx, key), &invalid, "delete")
			})
		}
		assert.Empty(t, listKeys(t, s, ""), "nothing was written")
		var invalid *domain.InvalidInput
		require.ErrorAs(t, s.List(ctx, "a\x00", func(blob.Info) error { return nil }), &invalid, "NUL prefix")
	})

	t.Run("BucketNames", func(t *testing.T) {
		b := c.open(t)
		for _, name := range []string{"", "ab", "Photos", "a_b", "-ab", "ab-", "a..b", "192.168.1.1", "xn--abc", "abc-s3alias", strings.Repeat("a", 64)} {
			_, err := b.Bucket(name)
			var invalid *domain.InvalidInput
			require.ErrorAs(t, err, &invalid, "bucket %q", name)
			assert.Equal(t, "bucket", invalid.Field)
		}
		one, err := b.Bucket("bucket-one")
		require.NoError(t, err)
		two, err := b.Bucket("bucket.two")
		require.NoError(t, err)
		_, err = one.Put(ctx, "same/key", []byte("one"))
		require.NoError(t, err)
		_, err = two.Put(ctx, "same/key", []byte("two"))
		require.NoError(t, err)
		got, _, err := one.Get(ctx, "same/key")
		require.NoError(t, err)
		assert.Equal(t, "one", string(got), "buckets are separate")
		assert.Equal(t, []string{"same/key"}, listKeys(t, two, ""))
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		s := store(t)
		const workers, each = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each*2)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					own := fmt.Sprintf("c/w%d/%02d", w, i)
					if _, err := s.Put(ctx, own, []byte(own)); err != nil {
						errs <- err
					}
					shared := bytes.Repeat([]byte{byte('a' + w)}, 1000*(w+1))
					if _, err := s.Put(ctx, "c/shared", shared); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		keys := listKeys(t, s, "c/w")
		require.Len(t, keys, workers*each)
		for _, k := range keys {
			got, _, err := s.Get(ctx, k)
			require.NoError(t, err)
			assert.Equal(t, k, string(got))
		}
		got, info, err := s.Get(ctx, "c/shared")
		require.NoError(t, err)
		require.NotEmpty(t, got)
		w := int(got[0] - 'a')
		assert.Equal(t, bytes.Repeat([]byte{got[0]}, 1000*(w+1)), got, "one whole write wins, never a mix")
		assert.Equal(t, blob.ETagOf(got), info.ETag)
		head, err := s.Head(ctx, "c/shared")
		require.NoError(t, err)
		assert.Equal(t, info.ETag, head.ETag)
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := store(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.Put(cctx, "never", []byte("x"))
		require.ErrorIs(t, err, context.Canceled)
		assert.False(t, domain.IsTransient(err), "a cancelled call is not retried")
		_, _, err = s.Get(cctx, "never")
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, s.List(cctx, "", func(blob.Info) error { return nil }), context.Canceled)
		_, _, err = s.Get(ctx, "never")
		var missing *domain.ObjectMissing
		require.ErrorAs(t, err, &missing, "the cancelled put wrote nothing")
	})
}

// badKeys are refused by every store.
func badKeys() []string {
	return []string{
		"", "/abs", "/", "a/", "a//b", "..", ".", "../x", "a/../../x", "a/./b", "a/..",
		`a\b`, `..\x`, "a\x00b", "a\nb", "a\x7fb", "\xff\xfe",
		strings.Repeat("k", blob.MaxKeyLen+1), strings.Repeat("s", blob.MaxSegmentLen+1) + "/x",
	}
}

func listKeys(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	var keys []string
	require.NoError(t, s.List(context.Background(), prefix, func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	}))
	return keys
}

func TestMemContract(t *testing.T) {
	testContract(t, contract{open: func(*testing.T) blob.Buckets { return blob.NewMem() }})
}

func TestDirContract(t *testing.T) {
	testContract(t, contract{open: func(t *testing.T) blob.Buckets {
		b, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		return b
	}})
}

func TestS3Contract(t *testing.T) {
	const pageSize = 7
	testContract(t, contract{pageSize: pageSize, open: func(t *testing.T) blob.Buckets {
		b, err := blob.NewS3(newFakeS3(t).client, blob.WithPageSize(pageSize))
		require.NoError(t, err)
		return b
	}})
}
