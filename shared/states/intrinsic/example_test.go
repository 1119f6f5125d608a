package intrinsic_test

import (
	"fmt"

	"github.com/divinepic/pipeline/shared/states/intrinsic"
)

func Example() {
	input := map[string]any{"albumId": "a1", "keys": []any{"p/1.jpg", "p/2.jpg", "p/3.jpg"}}
	ctx := map[string]any{"Execution": map[string]any{"Name": "run-7"}}

	expr := `States.Format('{}/{}: {} images', $.albumId, $$.Execution.Name, States.ArrayLength($.keys))`
	if intrinsic.IsIntrinsic(expr) {
		e, err := intrinsic.Compile(expr) // at validation time
		if err != nil {
			panic(err)
		}
		v, _ := e.Eval(input, ctx, intrinsic.Env{})
		fmt.Println(v)
	}

	_, err := intrinsic.MustCompile(`States.ArrayGetItem($.keys, 5)`).Eval(input, ctx, intrinsic.Env{})
	fmt.Println(err)
	// Output:
	// a1/run-7: 3 images
	// States.ArrayGetItem: index 5 is outside the array (length 3)
}
