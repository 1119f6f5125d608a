package webapp

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Presigner is what S3URLs needs of s3.PresignClient.
type Presigner interface {
	PresignPutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
	PresignGetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

var _ Presigner = (*s3.PresignClient)(nil)

// S3URLs are presigned S3 URLs: photo bytes go straight between the
// browser (or `divinepic upload`) and the bucket, never through the app's
// Lambda (whose payload limit is 6 MB). A PUT is signed with its MD5, so S3
// refuses a body that is not the one planned.
type S3URLs struct {
	Presign Presigner
	Bucket  string
}

var _ ObjectURLs = S3URLs{}

// PutURL implements ObjectURLs.
func (u S3URLs) PutURL(ctx context.Context, key string, size int64, md5hex string) (string, map[string]string, error) {
	md5b64 := md5Base64(md5hex)
	req, err := u.Presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(u.Bucket), Key: aws.String(key), ContentLength: aws.Int64(size), ContentMD5: aws.String(md5b64),
	}, s3.WithPresignExpires(uploadTTL))
	if err != nil {
		return "", nil, err
	}
	return req.URL, map[string]string{"Content-MD5": md5b64}, nil
}

// GetURL implements ObjectURLs.
func (u S3URLs) GetURL(ctx context.Context, key, download string) (string, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(key)}
	if download != "" {
		in.ResponseContentDisposition = aws.String(contentDisposition(download))
	}
	req, err := u.Presign.PresignGetObject(ctx, in, s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		return "", err
	}
	return req.URL, nil
}
