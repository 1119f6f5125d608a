package blob

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/divinepic/pipeline/shared/domain"
)

// Limits on keys. MaxKeyLen is S3's; MaxSegmentLen is the file-name limit
// of common file systems, applied everywhere so that a key valid in memory
// is valid on disk too.
const (
	MaxKeyLen     = 1024
	MaxSegmentLen = 255
)

// ValidateKey checks an object key against the rules every Store applies:
// S3's (1 to 1024 bytes of UTF-8) and the local directory's safety rules,
// so that no key can name a file outside its bucket:
//
//   - no NUL, no other control character, no backslash;
//   - not absolute (no leading "/"), no empty segment ("a//b", trailing "/");
//   - no "." or ".." segment;
//   - each "/"-separated segment at most 255 bytes.
//
// A bad key is a *domain.InvalidInput naming the key and the rule broken.
func ValidateKey(key string) error {
	bad := func(reason string) error {
		return &domain.InvalidInput{Field: "key", Reason: fmt.Sprintf("%q: %s", truncate(key), reason)}
	}
	switch {
	case key == "":
		return bad("empty key")
	case len(key) > MaxKeyLen:
		return bad(fmt.Sprintf("longer than %d bytes (%d)", MaxKeyLen, len(key)))
	case !utf8.ValidString(key):
		return bad("not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return bad(`absolute key (leading "/")`)
	}
	for _, r := range key {
		switch {
		case r == 0:
			return bad("contains NUL")
		case r < 0x20 || r == 0x7f:
			return bad(fmt.Sprintf("contains control character %U", r))
		case r == '\\':
			return bad(`contains a backslash (use "/" to separate segments)`)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return bad(`empty segment ("//" or trailing "/")`)
		case seg == "." || seg == "..":
			return bad(fmt.Sprintf("%q segment not allowed", seg))
		case len(seg) > MaxSegmentLen:
			return bad(fmt.Sprintf("segment longer than %d bytes", MaxSegmentLen))
		}
	}
	return nil
}

// validatePrefix checks a List prefix: it need not be a whole key (it may
// end in "/" or in the middle of a segment) but it must be one that a key
// could start with.
func validatePrefix(prefix string) error {
	bad := func(reason string) error {
		return &domain.InvalidInput{Field: "prefix", Reason: fmt.Sprintf("%q: %s", truncate(prefix), reason)}
	}
	switch {
	case len(prefix) > MaxKeyLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxKeyLen))
	case !utf8.ValidString(prefix):
		return bad("not valid UTF-8")
	case strings.ContainsRune(prefix, 0):
		return bad("contains NUL")
	}
	return nil
}

// ValidateBucket checks a bucket name against S3's general-purpose bucket
// rules: 3 to 63 characters of lowercase letters, digits, "." and "-";
// starting and ending with a letter or digit; no ".."; not an IP address;
// none of the reserved prefixes and suffixes. A bad name is a
// *domain.InvalidInput naming it and the rule broken.
func ValidateBucket(name string) error {
	bad := func(reason string) error {
		return &domain.InvalidInput{Field: "bucket", Reason: fmt.Sprintf("%q: %s", truncate(name), reason)}
	}
	if len(name) < 3 || len(name) > 63 {
		return bad("must be 3 to 63 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad(`only lowercase letters, digits, "." and "-" are allowed`)
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return bad("must start and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bad(`must not contain ".."`)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return bad("must not be an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return bad(fmt.Sprintf("must not start with %q", p))
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return bad(fmt.Sprintf("must not end with %q", s))
		}
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// truncate keeps error messages readable when a key is huge.
func truncate(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "..."
}
