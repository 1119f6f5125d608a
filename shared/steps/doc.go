// Package steps holds the pipeline's step handlers — list, detect, embed,
// aggregate, search — as methods on one struct of dependencies (Steps), the
// typed input and output of each state (JSON names equal to the paths that
// statemachine.asl.json uses), the layout of keys in the bucket, and the
// registry from step name to handler that the Lambda mains and the local
// engine share.
//
// Handlers return the named errors of shared/domain for everything the
// workflow retries or catches. They own no wiring: shared/config builds the
// dependencies, lambdas/<step> and shared/embedded host them.
package steps
