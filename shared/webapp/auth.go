package webapp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// MinSecretBytes is the shortest secret New accepts.
const MinSecretBytes = 32

// tokenPrefix starts every photographer token, so one is recognisable in a
// shell history or a secret scanner.
const tokenPrefix = "dpt_"

// sessionCookie holds the photographer's token in the browser.
const sessionCookie = "divinepic_session"

// signer derives one HMAC key per purpose from the configured secret, so a
// guest link can never be replayed as an upload ticket or a photo grant.
type signer struct{ secret []byte }

func (s signer) key(purpose string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("divinepic/" + purpose))
	return m.Sum(nil)
}

// sign is a base64url HMAC-SHA256 (128 bits) of the parts.
func (s signer) sign(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, s.key(purpose))
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (s signer) verify(purpose, sig string, parts ...string) bool {
	return hmac.Equal([]byte(sig), []byte(s.sign(purpose, parts...)))
}

// NewToken makes a photographer token (returned once, never stored) and its
// record, and stores the record under the token's hash.
func NewToken(ctx context.Context, b blob.Store, name string, now time.Time) (string, domain.Photographer, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", domain.Photographer{}, err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	h := tokenHash(token)
	p := domain.Photographer{ID: h[:16], Name: cleanText(name, 100), CreatedAt: now.UTC()}
	body, err := json.Marshal(p)
	if err != nil {
		return "", p, err
	}
	if _, err := b.Put(ctx, names.TokenKey(h), body); err != nil {
		return "", p, err
	}
	return token, p, nil
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// wellFormedToken keeps garbage away from the store.
func wellFormedToken(t string) bool {
	if !strings.HasPrefix(t, tokenPrefix) || len(t) != len(tokenPrefix)+32 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t[len(tokenPrefix):])
	return err == nil
}

// caller is who made a request.
type caller struct {
	photographer *domain.Photographer
	byCookie     bool // authenticated by the session cookie: state changes need the CSRF token
}

// photographer authenticates a request by its bearer token or session
// cookie; nil when neither holds a valid token.
func (a *App) photographer(r *http.Request) (caller, error) {
	token, byCookie := "", false
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return caller{}, nil
		}
		token = strings.TrimSpace(t)
	} else if c, err := r.Cookie(sessionCookie); err == nil {
		token, byCookie = c.Value, true
	}
	if token == "" || !wellFormedToken(token) {
		return caller{}, nil
	}
	var p domain.Photographer
	body, _, err := a.bucket.Get(r.Context(), names.TokenKey(tokenHash(token)))
	if isMissing(err) {
		return caller{}, nil
	}
	if err != nil {
		return caller{}, err
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return caller{}, fmt.Errorf("token record: %w", err)
	}
	return caller{photographer: &p, byCookie: byCookie}, nil
}

// csrfToken is the page's token for state changes made with the cookie.
func (a *App) csrfToken(p *domain.Photographer) string { return a.sign.sign("csrf", p.ID) }

// GuestLink is an album's guest token: <album>.<expiry, unix seconds>.<signature>.
func (a *App) GuestLink(albumID string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return albumID + "." + exp + "." + a.sign.sign("guest", albumID, exp)
}

// guestAlbum checks a guest token and returns its album.
func (a *App) guestAlbum(link string) (string, error) {
	parts := strings.Split(link, ".")
	if len(parts) != 3 || names.ValidateAlbumID(parts[0]) != nil {
		return "", errorf(http.StatusUnauthorized, CodeLinkInvalid, "this guest link is not valid: ask the photographer for the album's link")
	}
	if !a.sign.verify("guest", parts[2], parts[0], parts[1]) {
		return "", errorf(http.StatusUnauthorized, CodeLinkInvalid, "this guest link is not valid: ask the photographer for the album's link")
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || a.now().Unix() >= exp {
		return "", errorf(http.StatusUnauthorized, CodeLinkExpired, "this guest link has expired: ask the photographer for a new one")
	}
	return parts[0], nil
}

// grant lets a guest fetch one photo of one album until it expires:
// <imageId>.<expiry>.<signature>.
func (a *App) grant(albumID, imageID string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return imageID + "." + exp + "." + a.sign.sign("grant", albumID, imageID, exp)
}

func (a *App) checkGrant(albumID, g string) (string, error) {
	parts := strings.Split(g, ".")
	if len(parts) != 3 || !a.sign.verify("grant", parts[2], albumID, parts[0], parts[1]) {
		return "", errNotFound
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || a.now().Unix() >= exp {
		return "", errorf(http.StatusGone, CodeLinkExpired, "this photo link has expired: search again")
	}
	return parts[0], nil
}

// uploadTicket is a local presigned PUT: the key, the size and MD5 (or,
// when MD5 is "", CRC32C) the client announced, an expiry, signed.
type uploadTicket struct {
	Key     string `json:"k"`
	Size    int64  `json:"s"`
	MD5     string `json:"m,omitempty"`
	CRC32C  string `json:"c,omitempty"`
	Expires int64  `json:"e"`
}

func (a *App) signTicket(t uploadTicket) string {
	body, _ := json.Marshal(t)
	enc := base64.RawURLEncoding.EncodeToString(body)
	return enc + "." + a.sign.sign("upload", enc)
}

func (a *App) checkTicket(s string) (uploadTicket, error) {
	var t uploadTicket
	enc, sig, ok := strings.Cut(s, ".")
	bad := errorf(http.StatusForbidden, CodeLinkInvalid, "this upload URL is not valid: ask for a new one (POST /api/albums/{id}/uploads)")
	if !ok || !a.sign.verify("upload", sig, enc) {
		return t, bad
	}
	body, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || json.Unmarshal(body, &t) != nil {
		return t, bad
	}
	if t.MD5 == "" && t.CRC32C == "" {
		return t, bad
	}
	if a.now().Unix() >= t.Expires {
		return t, errorf(http.StatusForbidden, CodeLinkExpired, "this upload URL has expired: ask for a new one")
	}
	return t, nil
}

func isMissing(err error) bool {
	var m *domain.ObjectMissing
	return err != nil && errors.As(err, &m)
}
