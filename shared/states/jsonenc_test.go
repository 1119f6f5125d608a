package states

import (
	"bytes"
	"encoding/json"
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
	f.Fuzz(func(t *testing.T, def string) {
		_, _ = Parse([]byte(def)) // must not panic
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
