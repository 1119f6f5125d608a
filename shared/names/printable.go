package names

import (
	"strconv"
	"strings"
)

// Printable is a name as a terminal or a page may show it: control
// characters (escape sequences that set a terminal's title or clear its
// screen), invalid UTF-8 and other non-graphic runes (bidirectional
// overrides) are written as Go escapes (\x1b, \u202e); the rest is kept,
// backslashes too, so that Printable(Printable(s)) == Printable(s).
func Printable(s string) string {
	if isPlain(s) {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	q = q[1 : len(q)-1]
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(q)
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
