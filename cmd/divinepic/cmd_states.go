package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/states"
)

func init() {
	register(command{name: "states", summary: "run a States Language definition on the local engine (states run FILE)", run: statesCmd})
}

// Built-in test functions that 'states run' (and 'validate') bind Task
// states to, by function name or ARN.
const (
	builtinEcho  = "echo"  // returns its input
	builtinFail  = "fail"  // fails with {"errorType","errorMessage"} from its input
	builtinSleep = "sleep" // sleeps {"seconds": n} on the engine's clock, returns its input
)

func registerBuiltins(e *states.Engine) {
	e.RegisterFunc(builtinEcho, func(in json.RawMessage) (json.RawMessage, error) { return in, nil })
	e.RegisterFunc(builtinFail, func(in struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}) error {
		if in.ErrorType == "" {
			in.ErrorType = "TestError"
		}
		return messages.InvokeResponse_Error{Type: in.ErrorType, Message: in.ErrorMessage}
	})
	e.RegisterFunc(builtinSleep, func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		var s struct{ Seconds float64 }
		_ = json.Unmarshal(in, &s)
		t := time.NewTimer(time.Duration(s.Seconds * float64(time.Second)))
		defer t.Stop()
		select {
		case <-t.C:
			return in, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
}

func statesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, "usage: divinepic states run [--input JSON] [--objects DIR] [--sub Name=Value ...] [--history] FILE")
		fmt.Fprintln(stderr, "Runs a definition on the local engine and prints the execution's output JSON,")
		fmt.Fprintln(stderr, "or its error and cause (exit status 1). Task states may call the built-in")
		fmt.Fprintln(stderr, "functions echo (returns its input), fail (fails with the input's errorType and")
		fmt.Fprintln(stderr, "errorMessage) and sleep (waits the input's seconds), by name or Lambda ARN.")
	}
	if len(args) == 0 || args[0] != "run" {
		usage()
		return 2
	}
	fs := flag.NewFlagSet("states run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage
	input := fs.String("input", "{}", "the execution's input JSON")
	history := fs.Bool("history", false, "print the execution history (GetExecutionHistory's events) as JSON to stderr")
	objectsDir := fs.String("objects", "", "directory of buckets (DIR/BUCKET/KEY) that ItemReader reads and ResultWriter writes (default: in memory)")
	subs := subFlags{}
	fs.Var(subs, "sub", "a DefinitionSubstitutions value, Name=Value (repeatable)")
	files, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return 2
	}
	if len(files) != 1 {
		usage()
		return 2
	}
	def, err := os.ReadFile(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "divinepic states run: %v\n", err)
		return 2
	}
	var objects states.Objects = states.NewMemObjects()
	if *objectsDir != "" {
		d, err := blob.NewDir(*objectsDir)
		if err != nil {
			fmt.Fprintf(stderr, "divinepic states run: %v\n", err)
			return 2
		}
		defer d.Close()
		objects = embedded.Objects{Buckets: d}
	}
	e := states.New(states.WithAccount(embedded.Region, embedded.Account), states.WithObjects(objects))
	registerBuiltins(e)
	sm, err := loadDefinition(e, files[0], def, subs)
	if err != nil {
		var ve *states.ValidationError
		if errors.As(err, &ve) {
			fmt.Fprintf(stderr, "%s: %d problems:\n", files[0], len(ve.Problems))
			for _, p := range ve.Problems {
				fmt.Fprintf(stderr, "  %s\n", p)
			}
		} else {
			fmt.Fprintf(stderr, "divinepic states run: %s: %v\n", files[0], err)
		}
		return 1
	}
	x, err := sm.Run(ctx, []byte(*input))
	if err != nil {
		fmt.Fprintf(stderr, "divinepic states run: %v\n", err)
		return 2
	}
	if *history {
		printJSON(stderr, x.History())
	}
	if x.Status() != states.StatusSucceeded {
		e := x.Err()
		fmt.Fprintf(stderr, "%s\nerror: %s\ncause: %s\n", x.Status(), e.Name, e.Cause)
		return 1
	}
	fmt.Fprintln(stdout, string(x.Output()))
	return 0
}
