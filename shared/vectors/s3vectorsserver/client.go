package s3vectorsserver

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
)

// NewClient returns an s3vectors client for a server listening at url (for
// example an httptest.Server's URL), with static credentials and no AWS
// configuration read from the environment. It makes up to attempts attempts
// per call (at least 1), retrying what the SDK's standard retryer retries
// (throttling, 5xx, connection errors) at once, without backoff or retry
// quota, so that tests stay fast.
func NewClient(url string, attempts int) *s3vectors.Client {
	return s3vectors.New(s3vectors.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "s3vectorsserver"}, nil
		}),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = max(attempts, 1)
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		}),
	})
}
