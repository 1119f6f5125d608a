package names_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/divinepic/pipeline/shared/names"
)

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"albums/a/IMG_1.jpg":          "albums/a/IMG_1.jpg",
		"é ü 漢字.jpg":                  "é ü 漢字.jpg",
		"\x1b]0;owned\x07\x1b[2J.jpg": `\x1b]0;owned\a\x1b[2J.jpg`,
		"bad\xffutf8.jpg":             `bad\xffutf8.jpg`,
		"gpj.\u202eexe":               `gpj.\u202eexe`,
		"line\nbreak":                 `line\nbreak`,
		`back\slash "quoted".jpg`:     `back\slash "quoted".jpg`,
	} {
		assert.Equal(t, want, names.Printable(in), "%q", in)
		assert.Equal(t, want, names.Printable(want), "idempotent: %q", in)
	}
}
