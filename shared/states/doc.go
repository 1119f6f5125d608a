// Package states runs Amazon States Language definitions (JSONPath and
// JSONata query languages, mixed per state as AWS allows) on one machine, the way AWS Step Functions runs them: parse and
// validate a definition with the JSON path of every problem, then execute it
// with AWS's input/output processing order (InputPath, Parameters,
// ResultSelector, ResultPath, OutputPath), error names, Retry (with
// MaxDelaySeconds and JitterStrategy) and Catch, Map (INLINE and DISTRIBUTED,
// with ItemReader, ItemSelector, ItemBatcher, ResultWriter and tolerated
// failures), Parallel, Wait on an injectable clock, the 256 KiB payload and
// 25,000-event history limits, a history shaped like GetExecutionHistory's,
// and cancellation (StopExecution).
//
// Task states call in-process handlers registered by Lambda function name or
// ARN, through aws-lambda-go's handler adapter (lambda.NewHandler), so the
// JSON a handler sees and returns is what Lambda would give it, and a
// returned error's Go type name becomes the ASL error name, as on AWS:
//
//	e := states.New(states.WithObjects(store), states.WithClock(clock))
//	e.RegisterFunc("arn:aws:lambda:local:000000000000:function:divinepic-detect", steps.Detect)
//	def, _ := names.Substitute(asl, map[string]string{"DetectFunctionArn": "..."})
//	sm, err := e.Parse("divinepic", def) // *ValidationError: every problem, with its JSON path
//	x, err := sm.Start(ctx, input, states.WithListener(progress))
//	x.Wait() // then x.Status(), x.Output(), x.Err(), x.History(), x.MapRuns()
//
// A Distributed Map runs each item (or batch) as a child execution with its
// own history, at most MaxConcurrency at once. Listener observes states
// entered and exited and Map items finished, for progress bars.
//
// It owns the engine only: JSONPath evaluation lives in states/jsonpath and
// intrinsic functions in states/intrinsic; S3 access for ItemReader and
// ResultWriter goes through the small Objects interface declared here, which
// the blob store implements. It knows nothing about faces or the pipeline.
// JSONata states (states/jsonata evaluates the expressions) take
// Arguments, Output, Assign, Condition, Items, ItemSelector, Catch Output,
// Fail Error/Cause, Wait Seconds/Timestamp, ItemReader/ResultWriter
// Arguments, ItemBatcher and ReaderConfig fields and the numeric fields
// (TimeoutSeconds, MaxConcurrency, Tolerated*, ...) as {% %} templates,
// with $states.input/result/errorOutput/context and AWS's $partition,
// $range, $hash, $random, $uuid and $parse; an expression converts only
// the data and variables it reads. Evaluation errors are
// States.QueryEvaluationError, with an EvaluationFailed event. Workflow
// variables (Assign, both languages) follow AWS's scopes, evaluation
// order and size limits, and show in StateExited events as
// AssignedVariables. States.JsonToString keeps the key order of the
// execution input and task results (keyorder.go). Not supported:
// callback and activity tasks (.waitForTaskToken, HeartbeatSeconds is
// parsed but never fires), S3 inventory MANIFEST item readers, redrive.
package states
