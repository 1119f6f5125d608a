package blob_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
)

// A composition root opens the buckets from configuration ("file:///...",
// "mem://" or "s3://") and hands one bucket's Store to the code that needs it.
func ExampleOpen() {
	root, err := os.MkdirTemp("", "blob-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)

	ctx := context.Background()
	buckets, err := blob.Open(ctx, "file://"+root)
	if err != nil {
		fmt.Println(err)
		return
	}
	photos, err := buckets.Bucket("event-photos")
	if err != nil {
		fmt.Println(err)
		return
	}
	info, err := photos.Put(ctx, "albums/wedding/IMG_0001.jpg", []byte("jpeg bytes"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Key, info.Size, info.ETag)

	_, err = photos.Put(ctx, "../outside.jpg", []byte("x"))
	var invalid *domain.InvalidInput
	fmt.Println(errors.As(err, &invalid), err)
	// Output:
	// albums/wedding/IMG_0001.jpg 10 2ccd799f3a5130350478899447b6aa06
	// true invalid input: key: "../outside.jpg": ".." segment not allowed
}

// The memory store stands in for S3 in the unit tests of other packages.
func ExampleNewMem() {
	ctx := context.Background()
	store, _ := blob.NewMem().Bucket("test-bucket")
	for _, k := range []string{"albums/a/2.jpg", "albums/b/1.jpg", "albums/a/1.jpg"} {
		if _, err := store.Put(ctx, k, []byte(k)); err != nil {
			fmt.Println(err)
		}
	}
	_ = store.List(ctx, "albums/a/", func(i blob.Info) error {
		fmt.Println(i.Key, i.Size)
		return nil
	})

	_, _, err := store.Get(ctx, "albums/c/1.jpg")
	var missing *domain.ObjectMissing
	fmt.Println(errors.As(err, &missing), err)
	// Output:
	// albums/a/1.jpg 14
	// albums/a/2.jpg 14
	// true object missing: albums/c/1.jpg
}
