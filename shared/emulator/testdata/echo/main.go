// Command echo is a Lambda for the emulator's own tests: it returns its
// input, or, for {"fail": true}, an error of the named type Refused.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// Refused is the error the test expects by name.
type Refused struct{ Reason string }

func (e *Refused) Error() string { return "refused: " + e.Reason }

type input struct {
	Fail bool   `json:"fail"`
	Say  string `json:"say"`
}

func handle(_ context.Context, in input) (map[string]string, error) {
	if in.Fail {
		return nil, &Refused{Reason: "asked to fail"}
	}
	return map[string]string{"said": in.Say, "env": os.Getenv("ECHO_ENV")}, nil
}

func main() {
	lambda.Start(handle)
}
