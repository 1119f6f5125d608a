package jsonpath_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/divinepic/pipeline/shared/states/jsonpath"
)

// FuzzCompilePath: the parser never panics, and whatever compiles evaluates
// and sets without panicking and with only the documented error types.
func FuzzCompilePath(f *testing.F) {
	for _, s := range []string{
		"$", "$$", "$.a.b", "$['a b']", `$["x\"y"]`, "$[0]", "$[-1]", "$[*]", "$.*", "$['a','b']",
		"$[0,1]", "$[1:3]", "$[::-1]", "$..a", "$..[?(@.x)]", "$.a[?(@.x > 1 && !(@.y == 'z'))]",
		"$.a[?(@.t =~ /a.*b/i)]", "$.a[?(@.v in [1, 'x', null])]", "$.a[?(@.l size 2)]",
		"$$.Map.Item.Value", "$.a[?(@.b < $.c)]", "$.['q']", "$[9223372036854775807:-9223372036854775808:-9223372036854775808]",
	} {
		f.Add(s)
	}
	data := decode(f, `{"a": [{"x": 1, "y": "z", "t": "ab", "v": null, "l": [1, 2], "b": 0}, {"x": 5}], "c": 3,
		"a b": {"q": [1, 2, 3]}, "b": {"a": {"a": [true]}}}`)
	ctx := decode(f, `{"Map": {"Item": {"Value": 1}}}`)
	f.Fuzz(func(t *testing.T, path string) {
		// A hang is a failure too: the fuzzer itself does not time inputs out.
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("jsonpath hangs on %q", path)) })
		defer watchdog.Stop()
		p, err := jsonpath.Compile(path)
		if err != nil {
			var se *jsonpath.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) returned %T, want *SyntaxError", path, err)
			}
			return
		}
		if _, err := p.GetContext(data, ctx); err != nil {
			var nm *jsonpath.NoMatch
			var le *jsonpath.LimitExceeded
			if !errors.As(err, &nm) && !errors.As(err, &le) {
				t.Fatalf("Get(%q) returned %T", path, err)
			}
		}
		before := encode(t, data)
		if _, err := p.Set(data, 1); err != nil {
			var sf *jsonpath.SetFailure
			if !errors.As(err, &sf) {
				t.Fatalf("Set(%q) returned %T", path, err)
			}
		}
		if encode(t, data) != before {
			t.Fatalf("Set(%q) mutated its input", path)
		}
	})
}
