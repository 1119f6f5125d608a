package blob

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Open returns the Buckets a configuration URL names:
//
//	file:///path/to/root   a DirBuckets rooted at /path/to/root (a bare path works too)
//	mem://                 a fresh, empty MemBuckets
//	s3://                  S3 through the SDK's default configuration
//	                       (environment, shared config, instance role)
//
// For an S3-compatible server, the s3 URL takes query parameters:
// endpoint=http://host:port (else the SDK's own AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL), path_style=true|false (default true with an endpoint,
// false without), region=REGION, page_size=N (ListObjectsV2 page size).
// For example s3://?endpoint=http://127.0.0.1:9000&region=us-east-1.
func Open(ctx context.Context, rawURL string) (Buckets, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("blob: open %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "":
		if u.Path == "" {
			return nil, fmt.Errorf("blob: open %q: empty location (want file:///root, mem:// or s3://)", rawURL)
		}
		return NewDir(u.Path)
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("blob: open %q: file URL with host %q (want file:///absolute/path)", rawURL, u.Host)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("blob: open %q: no path", rawURL)
		}
		return NewDir(u.Path)
	case "mem":
		return NewMem(), nil
	case "s3":
		return openS3(ctx, rawURL, u)
	}
	return nil, fmt.Errorf("blob: open %q: unknown scheme %q (want file, mem or s3)", rawURL, u.Scheme)
}

func openS3(ctx context.Context, rawURL string, u *url.URL) (*S3Buckets, error) {
	if u.Host != "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("blob: open %q: an s3 URL names no bucket (buckets are chosen per call); use s3://", rawURL)
	}
	q := u.Query()
	var loadOpts []func(*config.LoadOptions) error
	if r := q.Get("region"); r != "" {
		loadOpts = append(loadOpts, config.WithRegion(r))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("blob: open %q: load AWS config: %w", rawURL, err)
	}
	endpoint := q.Get("endpoint")
	pathStyle := endpoint != ""
	if v := q.Get("path_style"); v != "" {
		if pathStyle, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("blob: open %q: path_style=%q: %w", rawURL, v, err)
		}
	}
	var opts []S3Option
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("blob: open %q: page_size=%q: %w", rawURL, v, err)
		}
		opts = append(opts, WithPageSize(int32(n)))
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
	})
	return NewS3(client, opts...)
}
