// Package sfnapi serves the AWS Step Functions API for state machines that
// run in the project's own States Language engine (package states), so
// that code written against Step Functions — the aws-sdk-go-v2 sfn client,
// the AWS CLI, `divinepic start` — runs unchanged against this machine.
//
// It speaks the service's wire protocol, awsJson1_0: every call is a POST
// with header X-Amz-Target: AWSStepFunctions.<Operation> and a JSON body;
// timestamps travel as epoch seconds (JSON numbers); errors are
// {"__type": name, "message": text} with HTTP 400 (500 for internal
// errors), which the SDK turns into its typed errors
// (*types.ExecutionDoesNotExist, ...).
//
//	srv := sfnapi.New(sfnapi.WithSigV4(creds, region))
//	srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: def})
//	http.ListenAndServe("127.0.0.1:8083", srv)
//	defer srv.Shutdown(ctx, "server stopped") // stops running executions
//
// Operations: StartExecution (AWS's name rules and idempotency),
// DescribeExecution, StopExecution, ListExecutions, GetExecutionHistory,
// DescribeStateMachine, DescribeStateMachineForExecution,
// ListStateMachines, ListMapRuns and DescribeMapRun. Executions run in the
// server's lifetime, not the HTTP request's. Child executions of a
// Distributed Map can be described and listed (ListExecutions with
// mapRunArn), as on AWS.
//
// It owns the HTTP protocol and the bookkeeping of executions by name and
// ARN; running a workflow is the engine's job. Not served: creating,
// updating or deleting state machines over the API (they are registered
// in Go), versions and aliases, activities and task tokens, tags,
// StartSyncExecution, redrive. Executions are kept in memory for the
// server's life.
//
// Authentication: with WithSigV4 every request must carry an AWS Signature
// Version 4 by the server's one access key (LoadOrCreateCredentials keeps
// it in a file of mode 0600; WriteProfile writes the AWS CLI profile that
// uses it), dated within 5 minutes of the server's clock; others get AWS's
// errors (MissingAuthenticationTokenException, UnrecognizedClientException,
// InvalidSignatureException). Without it, requests are not checked: a test
// server only.
package sfnapi
