package vectors

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// seedLog is a valid log of dimension 4: two puts and a delete.
func seedLog(tb testing.TB) []byte {
	b := encodeHeader(4)
	put, err := encodePut([]Vector{
		{Key: "a/1/0", Data: []float32{1, 0, 0, 0}, Metadata: Metadata{AlbumID: "a", ImageID: "1"}},
		{Key: "b/2/0", Data: []float32{0, 1, 0, 0}, Metadata: Metadata{AlbumID: "b", ImageID: "2", Score: 0.5}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	b = appendRecord(b, put)
	b = appendRecord(b, encodeDelete([]string{"a/1/0"}))
	return b
}

func replayBytes(data []byte) (*replayResult, error) {
	return replay(bytes.NewReader(data), int64(len(data)))
}

// FuzzReplay: replaying any file never panics; it fails with ErrCorrupt or
// rebuilds an index from a prefix of complete records, and replaying that
// prefix alone gives the same index (a torn tail cut away changes nothing).
func FuzzReplay(f *testing.F) {
	good := seedLog(f)
	f.Add(good)
	f.Add(good[:len(good)-3])                     // torn tail
	f.Add(append(slices.Clone(good), 0, 0, 0, 0)) // zeros after a crash
	flipped := slices.Clone(good)
	flipped[30] ^= 0x40
	f.Add(flipped)
	f.Add(append(slices.Clone(good), "garbage tail"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := replayBytes(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("replay error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if res.good < logHeaderSize || res.good > res.size || res.size != int64(len(data)) {
			t.Fatalf("good %d, size %d, file %d", res.good, res.size, len(data))
		}
		if res.x.len() > res.entries {
			t.Fatalf("%d live vectors from %d logged entries", res.x.len(), res.entries)
		}
		for _, k := range res.x.keys("") {
			if k == "" || res.x.albumOf[k] == "" {
				t.Fatalf("key %q with album %q", k, res.x.albumOf[k])
			}
		}
		again, err := replayBytes(data[:res.good])
		if err != nil {
			t.Fatalf("the good prefix does not replay: %v", err)
		}
		if again.good != res.good || !slices.Equal(again.x.keys(""), res.x.keys("")) {
			t.Fatalf("the good prefix replays to another index")
		}
	})
}
