package embedded

import (
	"context"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/states"
)

// Objects lets the States Language engine's ItemReader and ResultWriter
// read and write the blob store, as they read and write S3 on AWS.
type Objects struct {
	Buckets blob.Buckets
}

var _ states.Objects = Objects{}

// Get returns an object's bytes.
func (o Objects) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	b, err := o.Buckets.Bucket(bucket)
	if err != nil {
		return nil, err
	}
	body, _, err := b.Get(ctx, key)
	return body, err
}

// Put writes an object.
func (o Objects) Put(ctx context.Context, bucket, key string, body []byte) error {
	b, err := o.Buckets.Bucket(bucket)
	if err != nil {
		return err
	}
	_, err = b.Put(ctx, key, body)
	return err
}

// List lists objects under a prefix, in key order.
func (o Objects) List(ctx context.Context, bucket, prefix string) ([]states.ObjectInfo, error) {
	b, err := o.Buckets.Bucket(bucket)
	if err != nil {
		return nil, err
	}
	var out []states.ObjectInfo
	err = b.List(ctx, prefix, func(i blob.Info) error {
		out = append(out, states.ObjectInfo{Key: i.Key, Size: i.Size, ETag: i.ETag, LastModified: i.LastModified})
		return nil
	})
	return out, err
}
