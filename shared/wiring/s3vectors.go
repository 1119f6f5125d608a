package wiring

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/divinepic/pipeline/shared/vectors"
)

// openS3Vectors opens Amazon S3 Vectors for the vector bucket the URL's host
// names, through the SDK's default configuration (environment, shared
// config, the Lambda's role). Query parameters: region=REGION, and
// endpoint=http://host:port for an S3 Vectors-compatible server.
func openS3Vectors(ctx context.Context, u *url.URL) (vectors.Store, func() error, error) {
	if u.Host == "" {
		return nil, nil, fmt.Errorf("vector store %s: name the vector bucket: s3vectors://<bucket>", u)
	}
	q := u.Query()
	var opts []func(*awsconfig.LoadOptions) error
	if r := q.Get("region"); r != "" {
		opts = append(opts, awsconfig.WithRegion(r))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("vector store %s: load AWS config: %w", u, err)
	}
	client := s3vectors.NewFromConfig(cfg, func(o *s3vectors.Options) {
		if ep := q.Get("endpoint"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	st, err := vectors.NewS3Vectors(client, u.Host)
	if err != nil {
		return nil, nil, err
	}
	return st, nil, nil
}
