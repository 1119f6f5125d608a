package config

import (
	"context"
	"fmt"
	"net/url"

	"github.com/divinepic/pipeline/shared/vectors"
)

// openS3Vectors opens Amazon S3 Vectors for the vector bucket the URL's host
// names.
func openS3Vectors(ctx context.Context, u *url.URL) (vectors.Store, func() error, error) {
	return nil, nil, fmt.Errorf("vector store %s: the S3 Vectors store is not wired yet", u)
}
