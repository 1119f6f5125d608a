package s3vectorsserver

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
)

// NewClient returns an s3vectors client for a server listening at url (for
// example an httptest.Server's URL), with static credentials, no retries
// unless retryAttempts > 1, and no AWS configuration read from the
// environment.
func NewClient(url string, retryAttempts int) *s3vectors.Client {
	return s3vectors.New(s3vectors.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "s3vectorsserver"}, nil
		}),
		RetryMaxAttempts: max(retryAttempts, 1),
	})
}
