package names

import (
	"crypto/sha256"
	"encoding/hex"
)

// The web app (shared/webapp): photographers upload albums, guests search
// them with a selfie. Its Lambda is lambdas/<App>/ and is not a step: no
// workflow state invokes it, its Function URL does.
const App = "app"

// Lambdas lists every Lambda of lambdas/: the steps, then the app.
var Lambdas = append(append([]string{}, Steps...), App)

// The app's records, beside the pipeline's layout (keys.go):
//
//	app/tokens/<sha256 of the token>.json   a photographer token (only its hash is stored)
//	app/albums/<album>.json                 an album's record: title, owner, last execution
//
// The app writes under AppPrefix and AlbumsPrefix only.
const (
	AppPrefix       = "app/"
	TokensPrefix    = AppPrefix + "tokens/"
	AlbumRecsPrefix = AppPrefix + "albums/"
)

// TokenKey is where a photographer token's record is: under the sha256 of
// the token, so the store never holds a token itself.
func TokenKey(tokenHash string) string { return TokensPrefix + tokenHash + ".json" }

// AlbumRecordKey is the key of an album's record (title, owner).
func AlbumRecordKey(albumID string) string { return AlbumRecsPrefix + albumID + ".json" }

// BatchExecutionName is the execution an upload batch starts when it is
// complete: <album>-b-<12 hex digits of the batch's digest>, so a batch
// completed twice (a retried request, a second tab) starts one execution.
func BatchExecutionName(albumID, batchDigest string) string {
	h := sha256.Sum256([]byte(batchDigest))
	return executionName(albumID, "-b-"+hex.EncodeToString(h[:6]))
}

// The app's configuration (set by the CDK stack on AWS; `divinepic serve`
// reads them too).
const (
	// EnvGuestSecret is the secret that signs guest links (at least 32
	// bytes). Locally, serve keeps a generated one in the data directory
	// when it is unset.
	EnvGuestSecret = "DIVINEPIC_GUEST_SECRET"
	// EnvGuestSecretARN names a Secrets Manager secret that holds it (AWS).
	EnvGuestSecretARN = "DIVINEPIC_GUEST_SECRET_ARN"
	// EnvAppURL is the app's public base URL, for guest links and presigned
	// uploads' CORS (e.g. the Function URL).
	EnvAppURL = "DIVINEPIC_APP_URL"
	// EnvEndpoint is where `divinepic upload`, `search` and `start` find a
	// running `divinepic serve` (or the app on AWS).
	EnvEndpoint = "DIVINEPIC_ENDPOINT"
	// EnvToken is the photographer token `divinepic upload` sends.
	EnvToken = "DIVINEPIC_TOKEN"
	// EnvScreenshots, when set, is a directory the browser test copies its
	// screenshots to (make screenshots: docs/screenshots).
	EnvScreenshots = "DIVINEPIC_SCREENSHOTS"
	// EnvChromium is the Chromium the browser test runs (default: chromium
	// on the PATH).
	EnvChromium = "DIVINEPIC_CHROMIUM"
)
