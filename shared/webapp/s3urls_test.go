package webapp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/webapp"
)

// The app as on AWS: the store is S3 (an S3-compatible server and the
// real SDK), photo bytes go straight to it with presigned PUTs and come
// back with presigned GETs; the app only signs.
func TestPresignedS3(t *testing.T) {
	var puts, appBytes atomic.Int64
	s3srv := httptest.NewServer(countPuts(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server(), &puts))
	t.Cleanup(s3srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	client := s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true})
	e := newEnv(t, webapp.Options{URLs: webapp.S3URLs{Presign: s3.NewPresignClient(client), Bucket: config.DefaultBucket}},
		embedded.Options{Blobs: "s3://?endpoint=" + s3srv.URL + "&region=us-east-1"})
	// Count the bytes of PUTs that reach the app: none should.
	inner := e.srv.Config.Handler
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			appBytes.Add(r.ContentLength)
		}
		inner.ServeHTTP(w, r)
	})
	tok := e.token("Studio")
	res := e.uploadAndProcess(tok, "wedding", "Rob_Lowe_0001.jpg", "Test3.jpg")
	assert.Equal(t, 2, res.Uploaded)
	assert.EqualValues(t, 2, puts.Load(), "the photos went to S3")
	assert.Zero(t, appBytes.Load(), "no photo byte went through the app")

	// The plan's URLs are S3's, signed, with the MD5 to send.
	r := e.do("POST", "/api/albums/wedding/uploads", "Bearer "+tok, jsonBody(map[string]any{
		"files": []map[string]any{{"name": "new.jpg", "size": 3, "md5": "900150983cd24fb0d6963f7d28e17f72"}}}))
	require.Equal(t, 200, r.status)
	assert.Contains(t, string(r.body), s3srv.URL+"/divinepic/albums/wedding/new.jpg?")
	assert.Contains(t, string(r.body), "X-Amz-Signature")
	assert.Contains(t, string(r.body), `"Content-MD5":"kAFQmDzST7DWlj99KOF/cg=="`)
	// S3's PUTs are signed with the MD5: a file described by its CRC32C
	// only is answered "hash" (the client then hashes it and asks again).
	r = e.do("POST", "/api/albums/wedding/uploads", "Bearer "+tok, jsonBody(map[string]any{
		"files": []map[string]any{{"name": "new.jpg", "size": 3, "crc32c": "364b3fb7"}}}))
	require.Equal(t, 200, r.status)
	assert.Contains(t, string(r.body), `"action":"hash"`)

	// A guest's download is a redirect to a presigned GET.
	form, ct := selfieForm(t, readPhoto(t, "Rob_Lowe_0002.jpg"))
	link := e.app.GuestLink("wedding", time.Now().Add(time.Hour))
	r = e.do("POST", "/api/g/"+link+"/search", "", form, "Content-Type", ct)
	require.Equal(t, 200, r.status, string(r.body))
	var found searchResult
	require.NoError(t, json.Unmarshal(r.body, &found))
	require.Len(t, found.Photos, 1)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res2, err := noRedirect.Get(e.srv.URL + found.Photos[0].Download)
	require.NoError(t, err)
	res2.Body.Close()
	require.Equal(t, http.StatusFound, res2.StatusCode)
	loc := res2.Header.Get("Location")
	assert.True(t, strings.HasPrefix(loc, s3srv.URL+"/divinepic/albums/wedding/Rob_Lowe_0001.jpg?"), loc)
	assert.Contains(t, loc, "response-content-disposition=attachment")
	got := e.do("GET", found.Photos[0].Download, "", nil) // followed to S3
	assert.Equal(t, readPhoto(t, "Rob_Lowe_0001.jpg"), got.body)
}

func countPuts(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/divinepic/albums/") {
			n.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}
