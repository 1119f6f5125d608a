package states

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func stdEncode(t testing.TB, v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`null`, `true`, `false`, `0`, `-1.5e+10`, `"plain"`, `""`,
		`"quote \" backslash \\ slash / <html> & tab\t nl\n cr\r bell\u0007 \u001f del\u007f"`,
		`"unicode é 日本 😀 \u2028 \u2029"`,
		`{"b":1,"a":[1,"x",{"z":null,"y":[]}],"":{},"é":true}`,
		`[[],{},[{}],12345678901234567890]`,
	}
	for _, d := range docs {
		v, err := decodeJSON([]byte(d))
		require.NoError(t, err)
		got, err := marshal(v)
		require.NoError(t, err)
		assert.Equal(t, stdEncode(t, v), string(got), d)
	}
	// Invalid UTF-8 is replaced as encoding/json does.
	got, err := marshal("a\xffb")
	require.NoError(t, err)
	assert.Equal(t, stdEncode(t, "a\xffb"), string(got))
	// Other Go types fall back to encoding/json.
	got, err = marshal(map[string]any{"f": 1.5, "s": []string{"a"}})
	require.NoError(t, err)
	assert.Equal(t, `{"f":1.5,"s":["a"]}`, string(got))
	_, err = marshal(json.Number("1x"))
	assert.Error(t, err)
}

func FuzzAppendJSON(f *testing.F) {
	f.Add(`{"a":"b\u2028","c":[1,2.5,null]}`)
	f.Add(`"\u0000<>&"`)
	f.Fuzz(func(t *testing.T, doc string) {
		v, err := decodeJSON([]byte(doc))
		if err != nil {
			return
		}
		got, err := marshal(v)
		require.NoError(t, err)
		assert.Equal(t, stdEncode(t, v), string(got))
	})
}

func FuzzParse(f *testing.F) {
	f.Add(specChoice)
	f.Add(pipelineLike)
	f.Add(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject"},"End":true}}}`)
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Fail","Error":"X"}}}`)
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:r:1:function:f","Retry":[{"ErrorEquals":["States.ALL"]}],"End":true}}}`)
	f.Fuzz(func(t *testing.T, def string) {
		// What parses is a whole, valid machine; what does not fails with
		// every problem located by a JSON path into the definition, the
		// same problems each time.
		d, err := Parse([]byte(def))
		if err == nil {
			if d == nil || d.top == nil || d.top.states[d.top.startAt] == nil {
				t.Fatalf("Parse(%q) succeeded with no start state", def)
			}
			for name, s := range d.top.states {
				for _, tr := range transitions(s) {
					if d.top.states[tr.to] == nil {
						t.Fatalf("Parse(%q): state %q goes to %q, which does not exist", def, name, tr.to)
					}
				}
			}
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Fatalf("Parse(%q) returned %T %v, want a *ValidationError with problems", def, err, err)
		}
		for _, p := range ve.Problems {
			if !strings.HasPrefix(p.Path, "$") || p.Message == "" {
				t.Fatalf("Parse(%q): problem without a path or a message: %+v", def, p)
			}
		}
		_, err2 := Parse([]byte(def))
		if err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("Parse(%q) is not deterministic: %v, then %v", def, err, err2)
		}
	})
}

func stdDecode(b []byte) (any, error) {
	if !json.Valid(b) {
		return nil, assert.AnError
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`null`, ` true `, `false`, `0`, `-0.5e-3`, `"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, "\"a\xffb\"",
		`{"a":1,"a":2,"b":[{},[],""]}`, `[1, 2 ,3]`, `{}`, `[]`,
	}
	for _, d := range docs {
		want, err := stdDecode([]byte(d))
		require.NoError(t, err, d)
		got, err := decodeJSON([]byte(d))
		require.NoError(t, err, d)
		assert.Equal(t, want, got, d)
	}
	for _, bad := range []string{``, `{`, `[1,]`, `{"a" 1}`, `01`, `1.`, `-`, `tru`, `"\x"`, "\"a\x01\"", `{} {}`, `"unterminated`, `{"a":1,}`, `[1 2]`} {
		_, err := decodeJSON([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"a":[1,"\u00e9",null,true]}`)
	f.Add(`"\ud83d\ude00\ud800"`)
	f.Fuzz(func(t *testing.T, doc string) {
		want, werr := stdDecode([]byte(doc))
		got, gerr := decodeJSON([]byte(doc))
		if werr != nil {
			assert.Error(t, gerr, "encoding/json rejects %q", doc)
			return
		}
		require.NoError(t, gerr, "encoding/json accepts %q", doc)
		assert.Equal(t, want, got)
	})
}
