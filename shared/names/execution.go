package names

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxExecutionName is Step Functions' limit on an execution name, in
// characters.
const MaxExecutionName = 80

// ValidExecutionName reports whether name is a valid Step Functions
// execution name: 1 to 80 characters, none of them whitespace, brackets,
// wildcards, the special characters " # % \ ^ | ~ ` $ & , ; : / or control
// characters.
func ValidExecutionName(name string) bool {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > MaxExecutionName || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if unicode.IsSpace(r) || r <= 0x1f || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// executionName is album + suffix in at most MaxExecutionName characters
// (album ids are ASCII): an album id too long for it is shortened and made
// unique again with a hash of it.
func executionName(album, suffix string) string {
	if len(album)+len(suffix) <= MaxExecutionName {
		return album + suffix
	}
	h := sha256.Sum256([]byte(album))
	keep := MaxExecutionName - len(suffix) - 9
	return album[:keep] + "-" + hex.EncodeToString(h[:4]) + suffix
}

// NightlyExecutionName is the execution name of an album's nightly run:
// album, pack and day (<album>-<pack>-<YYYYMMDD>), so one night never
// starts an album twice for a pack.
func NightlyExecutionName(album, pack string, day time.Time) string {
	return executionName(album, "-"+pack+"-"+day.UTC().Format("20060102"))
}

// RunExecutionName is the name of an execution the embedded pipeline
// starts (`divinepic run`): the album and the time to the nanosecond
// (<album>-<YYYYMMDDTHHMMSSnnnnnnnnn>), so that two runs of an album in one
// process never share a name.
func RunExecutionName(album string, t time.Time) string {
	return executionName(album, "-"+strings.Replace(t.UTC().Format("20060102T150405.000000000"), ".", "", 1))
}

// StartExecutionName is the default name of an execution started by hand
// (`divinepic start`): the album and the time to the second
// (<album>-<YYYYMMDDTHHMMSSZ>).
func StartExecutionName(album string, t time.Time) string {
	return executionName(album, "-"+t.UTC().Format("20060102T150405Z"))
}
