package jsonata

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// suiteCase is one case of the jsonata-js test suite (test/test-suite).
type suiteCase struct {
	Expr      string          `json:"expr"`
	ExprFile  string          `json:"expr-file"`
	Data      json.RawMessage `json:"data"`
	Dataset   *string         `json:"dataset"`
	Bindings  json.RawMessage `json:"bindings"`
	Result    json.RawMessage `json:"result"`
	Undefined bool            `json:"undefinedResult"`
	Code      string          `json:"code"`
	Error     *struct {
		Code string `json:"code"`
	} `json:"error"`
	Token     *string `json:"token"`
	TimeLimit int     `json:"timelimit"`
	Depth     int     `json:"depth"`
}

type suiteResult struct {
	name string
	ok   bool
	why  string
}

// runSuite runs every case under dir (a test-suite folder: groups/ and
// datasets/).
func runSuite(t *testing.T, dir string) []suiteResult {
	datasets := map[string]any{}
	files, _ := filepath.Glob(filepath.Join(dir, "datasets", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		v, err := ParseJSON(b)
		require.NoError(t, err, f)
		datasets[strings.TrimSuffix(filepath.Base(f), ".json")] = v
	}
	cases, _ := filepath.Glob(filepath.Join(dir, "groups", "*", "*.json"))
	sort.Strings(cases)
	var out []suiteResult
	for _, f := range cases {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var list []suiteCase
		if strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
			require.NoError(t, json.Unmarshal(b, &list), f)
		} else {
			var c suiteCase
			require.NoError(t, json.Unmarshal(b, &c), f)
			list = []suiteCase{c}
		}
		rel, _ := filepath.Rel(filepath.Join(dir, "groups"), f)
		for i, c := range list {
			name := rel
			if len(list) > 1 {
				name = fmt.Sprintf("%s[%d]", rel, i)
			}
			if c.ExprFile != "" {
				e, err := os.ReadFile(filepath.Join(filepath.Dir(f), c.ExprFile))
				require.NoError(t, err)
				c.Expr = string(e)
			}
			ok, why := runCase(c, datasets)
			out = append(out, suiteResult{name: name, ok: ok, why: why})
		}
	}
	return out
}

func runCase(c suiteCase, datasets map[string]any) (ok bool, why string) {
	defer func() {
		if r := recover(); r != nil {
			ok, why = false, fmt.Sprintf("panic: %v", r)
		}
	}()
	var input any
	switch {
	case c.Data != nil:
		v, err := ParseJSON(c.Data)
		if err != nil {
			return false, "bad data"
		}
		input = v
	case c.Dataset != nil:
		input = datasets[*c.Dataset]
	}
	opt := &Options{Bindings: map[string]any{}}
	if c.Bindings != nil {
		b, err := ParseJSON(c.Bindings)
		if err == nil {
			if o, ok := b.(*Object); ok {
				for _, k := range o.keys {
					opt.Bindings[k] = o.m[k]
				}
			}
		}
	}
	if c.Error != nil && c.Code == "" {
		c.Code = c.Error.Code
	}
	if c.Depth > 0 {
		opt.MaxDepth = c.Depth
	}
	if c.TimeLimit > 0 {
		opt.Timeout = time.Duration(c.TimeLimit) * time.Millisecond
	}
	e, err := Compile(c.Expr)
	var got any
	if err == nil {
		got, err = e.Eval(input, opt)
	}
	if c.Code != "" {
		if err == nil {
			return false, "expected error " + c.Code
		}
		je, isJ := err.(*Error)
		if !isJ || je.Code != c.Code {
			return false, fmt.Sprintf("expected error %s, got %v", c.Code, err)
		}
		return true, ""
	}
	if err != nil {
		return false, "error: " + err.Error()
	}
	if c.Undefined {
		if got != nil {
			return false, "expected undefined, got " + describe(got)
		}
		return true, ""
	}
	if c.Result == nil {
		return false, "case has no expected result"
	}
	want, err := ParseJSON(c.Result)
	if err != nil {
		return false, "bad result"
	}
	if got == nil {
		return false, "got undefined"
	}
	if !sameJSON(got, want) {
		return false, fmt.Sprintf("got %s, want %s", describe(got), describe(want))
	}
	return true, ""
}

// sameJSON compares as the suite's deep.equal does: arrays in order,
// objects by keys, undefined members dropped.
func sameJSON(got, want any) bool {
	g, _ := ToGo(got)
	w, _ := ToGo(want)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	var gv, wv any
	_ = json.Unmarshal(gb, &gv)
	_ = json.Unmarshal(wb, &wv)
	gs, _ := json.Marshal(gv)
	ws, _ := json.Marshal(wv)
	return string(gs) == string(ws)
}

// TestFullSuite measures the whole jsonata-js test suite when
// DIVINEPIC_JSONATA_SUITE names its test/test-suite folder: it reports the
// pass rate and fails when a case outside unsupported.txt fails, or one
// on it passes.
func TestFullSuite(t *testing.T) {
	dir := os.Getenv("DIVINEPIC_JSONATA_SUITE")
	if dir == "" {
		t.Skip("set DIVINEPIC_JSONATA_SUITE to jsonata-js's test/test-suite folder to measure the full suite")
	}
	res := runSuite(t, dir)
	known := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join("testdata", "unsupported.txt")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(l, "#") {
				known[f[0]] = true
			}
		}
	}
	pass := 0
	var failed []string
	for _, r := range res {
		if r.ok {
			pass++
			if known[r.name] {
				t.Errorf("%s passes now: take it off testdata/unsupported.txt", r.name)
			}
			continue
		}
		failed = append(failed, r.name+"\t"+r.why)
		if !known[r.name] {
			t.Errorf("%s: %s", r.name, r.why)
		}
	}
	t.Logf("JSONata test suite: %d of %d cases pass (%.1f%%)", pass, len(res), 100*float64(pass)/float64(len(res)))
	if out := os.Getenv("DIVINEPIC_JSONATA_FAILURES"); out != "" {
		require.NoError(t, os.WriteFile(out, []byte(strings.Join(failed, "\n")+"\n"), 0o644))
	}
}
