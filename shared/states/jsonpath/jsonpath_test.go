package jsonpath_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/states/jsonpath"
)

// decode parses JSON the way the engine does: numbers stay json.Number.
func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v))
	return v
}

func encode(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// The document of the AWS developer guide's "Paths" page, extended.
const doc = `{
  "foo": 123,
  "bar": ["a", "b", "c"],
  "car": {"cdr": true},
  "jar": [{"a": 1}, {"a": 5}, {"a": 2}, {"a": 7}, {"a": 3}],
  "def ghi": "spaced",
  "it's": "quoted",
  "a-b": "dashed",
  "aws:rep": "colon",
  "nested": {"x": {"a": 10, "b": [1, 2, {"a": 11}]}, "y": null},
  "books": [
    {"title": "Go", "price": 30, "tags": ["prog", "go"], "isbn": "1"},
    {"title": "Rust", "price": 45.5, "tags": ["prog"]},
    {"title": "Poems", "price": 8, "tags": [], "author": {"name": "Ann"}}
  ],
  "limit": 10,
  "empty": [],
  "nums": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
}`

func TestGet(t *testing.T) {
	data := decode(t, doc)
	ctx := decode(t, `{"Execution": {"Id": "arn:exec", "Input": {"k": 1}}, "Map": {"Item": {"Index": 2, "Value": {"id": "x"}}}}`)
	tests := []struct {
		path string
		want string // JSON
	}{
		// AWS developer guide, Reference Paths.
		{"$.foo", `123`},
		{"$.bar", `["a","b","c"]`},
		{"$.car.cdr", `true`},
		// AWS developer guide, filter example.
		{"$.jar[?(@.a >= 5)]", `[{"a":5},{"a":7}]`},
		// AWS developer guide: bracket notation for special characters.
		{"$.['def ghi']", `"spaced"`},
		{"$['def ghi']", `"spaced"`},
		{`$["def ghi"]`, `"spaced"`},
		{`$['it\'s']`, `"quoted"`},
		{"$.a-b", `"dashed"`},
		{"$.aws:rep", `"colon"`},
		{"$", ""}, // whole document, checked below
		{"$.nested.y", `null`},
		{"$.nested.x.b[2].a", `11`},
		{"$.bar[0]", `"a"`},
		{"$.bar[-1]", `"c"`},
		{"$.bar[-3]", `"a"`},
		{"$.bar[*]", `["a","b","c"]`},
		{"$.bar.*", `["a","b","c"]`},
		{"$.car.*", `[true]`},
		{"$.car[*]", `[true]`},
		{"$.bar[0,2]", `["a","c"]`},
		{"$['foo','car'].cdr", `[true]`}, // not a leaf: an indefinite path
		{"$.bar[2,0,5]", `["c","a"]`},
		{"$['foo','limit']", `{"foo":123,"limit":10}`},
		{"$['foo','missing']", `{"foo":123}`},
		{"$.books[*]['title','price']", `[{"price":30,"title":"Go"},{"price":45.5,"title":"Rust"},{"price":8,"title":"Poems"}]`},
		{"$.nums[1:3]", `[1,2]`},
		{"$.nums[:2]", `[0,1]`},
		{"$.nums[8:]", `[8,9]`},
		{"$.nums[-2:]", `[8,9]`},
		{"$.nums[:-8]", `[0,1]`},
		{"$.nums[::3]", `[0,3,6,9]`},
		{"$.nums[1:6:2]", `[1,3,5]`},
		{"$.nums[::-4]", `[9,5,1]`},
		{"$.nums[20:30]", `[]`},
		{"$.nums[5:2]", `[]`},
		{"$.books[*].title", `["Go","Rust","Poems"]`},
		{"$.books[*].isbn", `["1"]`},
		{"$.books[?(@.price < 10)].title", `["Poems"]`},
		{"$.books[?(@.price > 30)].title", `["Rust"]`},
		{"$.books[?(@.price <= 30)].title", `["Go","Poems"]`},
		{"$.books[?(@.price >= 45.5)].title", `["Rust"]`},
		{"$.books[?(@.price == 30)].title", `["Go"]`},
		{"$.books[?(@.price != 30)].title", `["Rust","Poems"]`},
		{"$.books[?(@.title == 'Go')].price", `[30]`},
		{`$.books[?(@.title == "Go")].price`, `[30]`},
		{"$.books[?(@.title > 'Pa')].title", `["Rust","Poems"]`},
		{"$.books[?(@.isbn)].title", `["Go"]`},
		{"$.books[?(!@.isbn)].title", `["Rust","Poems"]`},
		{"$.books[?(@.author.name == 'Ann')].title", `["Poems"]`},
		{"$.books[?(@.price > 10 && @.price < 40)].title", `["Go"]`},
		{"$.books[?(@.price < 10 || @.price > 40)].title", `["Rust","Poems"]`},
		{"$.books[?(!(@.price < 10 || @.price > 40))].title", `["Go"]`},
		{"$.books[?(@.price < $.limit)].title", `["Poems"]`},
		{"$.books[?(@.title =~ /g.*/i)].title", `["Go"]`},
		{"$.books[?(@.title =~ /o/)].title", `[]`}, // whole-string match, as Jayway
		{"$.books[?(@.title in ['Go', 'Poems'])].price", `[30,8]`},
		{"$.books[?(@.title nin ['Go', 'Poems'])].price", `[45.5]`},
		{"$.books[?(@.tags subsetof ['prog', 'go', 'x'])].title", `["Go","Rust","Poems"]`},
		{"$.books[?(@.tags anyof ['go'])].title", `["Go"]`},
		{"$.books[?(@.tags noneof ['go'])].title", `["Rust","Poems"]`},
		{"$.books[?(@.tags size 1)].title", `["Rust"]`},
		{"$.books[?(@.tags empty true)].title", `["Poems"]`},
		{"$.books[?(@.tags[0] == 'prog')].title", `["Go","Rust"]`},
		{"$.books[?(@.price > 1)][?(@.title == 'Go')]", `[{"isbn":"1","price":30,"tags":["prog","go"],"title":"Go"}]`},
		{"$.books[?(@.nope > 1)]", `[]`},
		{"$.nums[?(@ > 7)]", `[8,9]`},
		{"$.nested..a", `[10,11]`},
		{"$..cdr", `[true]`},
		{"$.nested.x..[0]", `[1]`},
		{"$.car..*", `[true]`},
		{"$.nested..['a']", `[10,11]`},
		{"$..[?(@.a > 9)]", `[{"a":10,"b":[1,2,{"a":11}]},{"a":11}]`},
		{"$.empty[*]", `[]`},
		{"$.foo[*]", `[]`},
		{"$$.Execution.Id", `"arn:exec"`},
		{"$$.Map.Item.Value.id", `"x"`},
		{"$$.Map.Item.Index", `2`},
		{"$.books[?(@.title == $$.Map.Item.Value.id)]", `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, err := jsonpath.GetContext(data, ctx, tc.path)
			require.NoError(t, err)
			if tc.path == "$" {
				assert.Equal(t, data, got)
				return
			}
			assert.JSONEq(t, tc.want, encode(t, got))
			// The compiled form gives the same answer.
			p, err := jsonpath.Compile(tc.path)
			require.NoError(t, err)
			got2, err := p.GetContext(data, ctx)
			require.NoError(t, err)
			assert.Equal(t, got, got2)
		})
	}
}

func TestGetNoMatch(t *testing.T) {
	data := decode(t, doc)
	for _, path := range []string{
		"$.missing",
		"$.foo.bar",       // into a number
		"$.bar[3]",        // past the end
		"$.bar[-4]",       // before the start
		"$.car[0]",        // index into an object
		"$.bar.x",         // name into an array
		"$.nested.y.z",    // into null
		"$$.Execution.Id", // no context object given
		"$.foo['a','b']",  // merge leaf on a non-object
	} {
		t.Run(path, func(t *testing.T) {
			_, err := jsonpath.Get(data, path)
			var nm *jsonpath.NoMatch
			require.ErrorAs(t, err, &nm)
			assert.Equal(t, path, nm.Path)
			assert.Contains(t, err.Error(), path)
		})
	}
}

func TestGetOtherNumberTypes(t *testing.T) {
	data := map[string]any{"items": []any{
		map[string]any{"n": float64(1)},
		map[string]any{"n": 2},
		map[string]any{"n": int64(3)},
		map[string]any{"n": json.Number("4")},
	}}
	got, err := jsonpath.Get(data, "$.items[?(@.n >= 2 && @.n < 4)].n")
	require.NoError(t, err)
	assert.Equal(t, []any{2, int64(3)}, got)
	got, err = jsonpath.Get(data, "$.items[?(@.n == 4.0)].n")
	require.NoError(t, err)
	assert.Equal(t, []any{json.Number("4")}, got)
	got, err = jsonpath.Get(data, "$.items[?(@.n in [1, 3])].n")
	require.NoError(t, err)
	assert.Equal(t, []any{float64(1), int64(3)}, got)
}

func TestCompileErrors(t *testing.T) {
	for _, path := range []string{
		"",
		"a.b",
		"$a",
		"$.",
		"$..",
		"$.a.",
		"$[",
		"$[]",
		"$['a'",
		"$['a\\x']",
		"$[0",
		"$[1:2:0]",
		"$[a]",
		"$[-]",
		"$[99999999999999999999]",
		"$.a b",
		"$.a'b",
		"$.length()",
		"$.a[?(@.b >)]",
		"$.a[?(@.b == 1]",
		"$.a[?(@.b =~ 'x')]",
		"$.a[?(@.b =~ /(/)]",
		"$.a[?(1)]",
		"$.a[?(@.b == [@.c])]",
		"$.a[?(@.b == 1.2.3)]",
		"$.a[?(@.b == tru)]",
		"$.a]",
		"$[0,]",
		"$['a',]",
	} {
		t.Run(path, func(t *testing.T) {
			err := jsonpath.ValidatePath(path)
			var se *jsonpath.SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, path, se.Path)
		})
	}
}

func TestValidateReferencePath(t *testing.T) {
	for _, path := range []string{"$", "$.a", "$.a.b[0]", "$['a b'].c[-1]", "$$.Execution.Id"} {
		t.Run("ok "+path, func(t *testing.T) {
			require.NoError(t, jsonpath.ValidateReferencePath(path))
		})
	}
	for _, path := range []string{"$.a[*]", "$.*", "$..a", "$['a','b']", "$[0,1]", "$[1:2]", "$.a[?(@.x)]"} {
		t.Run("bad "+path, func(t *testing.T) {
			require.NoError(t, jsonpath.ValidatePath(path), "a valid Path")
			err := jsonpath.ValidateReferencePath(path)
			var se *jsonpath.SyntaxError
			require.ErrorAs(t, err, &se, "but not a Reference Path")
		})
	}
	var se *jsonpath.SyntaxError
	require.ErrorAs(t, jsonpath.ValidateReferencePath("x"), &se)
}

func TestPathProperties(t *testing.T) {
	tests := []struct {
		path                        string
		definite, reference, contxt bool
	}{
		{"$", true, true, false},
		{"$.a[0]", true, true, false},
		{"$$.Map.Item.Value", true, true, true},
		{"$['a','b']", true, false, false},
		{"$.a[*]", false, false, false},
		{"$..a", false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p := jsonpath.MustCompile(tc.path)
			assert.Equal(t, tc.definite, p.IsDefinite())
			assert.Equal(t, tc.reference, p.IsReference())
			assert.Equal(t, tc.contxt, p.IsContext())
			assert.Equal(t, tc.path, p.String())
		})
	}
}

// Nested filters that rescan the document for every node grow exponentially;
// evaluation stops with *LimitExceeded instead of running for minutes.
func TestGetLimitExceeded(t *testing.T) {
	data := decode(t, doc)
	path := "$..[?($..[?($..[?($..[?($..[?(@)])])])])]"
	_, err := jsonpath.Get(data, path)
	var le *jsonpath.LimitExceeded
	require.ErrorAs(t, err, &le)
	assert.Equal(t, path, le.Path)
	// One level of the same shape is cheap and fine.
	got, err := jsonpath.Get(data, "$.car[?($..cdr)]")
	require.NoError(t, err)
	assert.JSONEq(t, `[{"cdr":true}]`, encode(t, got))
}
