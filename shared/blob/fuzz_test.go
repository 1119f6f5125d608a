package blob

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/divinepic/pipeline/shared/domain"
)

// FuzzValidateKey: a key ValidateKey accepts names a file inside its
// bucket's directory and nowhere else, on every store; a refusal is a
// *domain.InvalidInput whose message shows no raw control character.
func FuzzValidateKey(f *testing.F) {
	for _, k := range []string{"albums/a/1.jpg", "../x", "a/../../b", "/etc/passwd", "a//b", "a/./b", "a\\b", "a\x00b",
		"a\x1b[2Jb", "\xff\xfe", "é/ü.jpg", strings.Repeat("a", 256), "..", ".", "a/", "x/..."} {
		f.Add(k)
	}
	const root = "/bucket"
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidateKey(key)
		if err != nil {
			var in *domain.InvalidInput
			if !errors.As(err, &in) {
				t.Fatalf("ValidateKey(%q) returned %T", key, err)
			}
			for _, r := range err.Error() {
				if unicode.IsControl(r) {
					t.Fatalf("error shows control character %U: %q", r, err.Error())
				}
			}
			return
		}
		if !utf8.ValidString(key) || len(key) > MaxKeyLen {
			t.Fatalf("accepted %q", key)
		}
		for _, r := range key {
			if unicode.IsControl(r) && r < 0x80 || r == '\\' {
				t.Fatalf("accepted %q with %U", key, r)
			}
		}
		p := filepath.Join(root, filepath.FromSlash(key))
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
			t.Fatalf("accepted %q, which is %s, outside the bucket", key, p)
		}
		if filepath.ToSlash(rel) != key {
			t.Fatalf("accepted %q, which the file system names %q", key, rel)
		}
	})
}
