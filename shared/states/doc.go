// Package states runs Amazon States Language definitions (JSONPath query
// language) on one machine, the way AWS Step Functions runs them: parse and
// validate a definition with the JSON path of every problem, then execute it
// with AWS's input/output processing order, error names, Retry and Catch,
// Map (INLINE and DISTRIBUTED, with ItemReader, ItemBatcher, ResultWriter and
// tolerated failures), Parallel, Wait on an injectable clock, a history shaped
// like GetExecutionHistory's, and cancellation.
//
// Task states call in-process handlers registered by Lambda function name or
// ARN, through aws-lambda-go's handler adapter (lambda.NewHandler), so the
// JSON a handler sees and returns is byte-for-byte what Lambda would give it,
// and a returned error's Go type name becomes the ASL error name, as on AWS.
//
// It owns the engine only: JSONPath evaluation lives in states/jsonpath and
// intrinsic functions in states/intrinsic; S3 access for ItemReader and
// ResultWriter goes through the small Objects interface declared here, which
// the blob store implements. It knows nothing about faces or the pipeline.
package states
