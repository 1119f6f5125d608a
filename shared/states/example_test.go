package states_test

import (
	"context"
	"fmt"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/states"
)

// A handler is registered by Lambda function name or ARN; the definition
// catches the handler's error by its Go type name, as Step Functions does.
func Example() {
	e := states.New()
	e.RegisterFunc("arn:aws:lambda:local:000000000000:function:detect", func(in struct{ Key string }) (map[string]any, error) {
		if in.Key == "" {
			return nil, &domain.InvalidInput{Field: "key", Reason: "empty"}
		}
		return map[string]any{"faces": 2}, nil
	})
	sm, err := e.Parse("example", []byte(`{
	  "StartAt": "Detect",
	  "States": {
	    "Detect": {
	      "Type": "Task",
	      "Resource": "arn:aws:states:::lambda:invoke",
	      "Parameters": {"FunctionName": "detect", "Payload": {"key.$": "$.key"}},
	      "ResultSelector": {"faces.$": "$.Payload.faces"},
	      "Catch": [{"ErrorEquals": ["InvalidInput"], "ResultPath": "$.error", "Next": "Rejected"}],
	      "End": true
	    },
	    "Rejected": {"Type": "Pass", "OutputPath": "$.error.Error", "End": true}
	  }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, input := range []string{`{"key":"a.jpg"}`, `{"key":""}`} {
		x, err := sm.Run(context.Background(), []byte(input))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(x.Status(), string(x.Output()), x.Path())
	}
	// Output:
	// SUCCEEDED {"faces":2} [Detect]
	// SUCCEEDED "InvalidInput" [Detect Rejected]
}
