package jsonpath_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/divinepic/pipeline/shared/states/jsonpath"
)

func Example() {
	dec := json.NewDecoder(strings.NewReader(`{"album": {"id": "a1"}, "items": [{"key": "x", "ok": true}, {"key": "y", "ok": false}]}`))
	dec.UseNumber()
	var input any
	if err := dec.Decode(&input); err != nil {
		panic(err)
	}

	// Compile once (at validation time), evaluate many times.
	failed := jsonpath.MustCompile("$.items[?(@.ok == false)].key")
	keys, _ := failed.Get(input)
	fmt.Println(keys)

	// ResultPath: a new document; input is left as it was.
	out, _ := jsonpath.Set(input, "$.result.failed", keys)
	b, _ := json.Marshal(out)
	fmt.Println(string(b))

	_, err := jsonpath.Get(input, "$.album.name")
	fmt.Println(err)
	// Output:
	// [y]
	// {"album":{"id":"a1"},"items":[{"key":"x","ok":true},{"key":"y","ok":false}],"result":{"failed":["y"]}}
	// jsonpath: "$.album.name" matched nothing in the input
}
