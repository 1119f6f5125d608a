// Package names is the one place where the pipeline's names are spelled:
// the steps and which of them need ONNX Runtime (steps.go), the environment
// variables (env.go), the workflow definition's placeholders and the one
// function that fills them (definition.go), the bucket's key layout with
// every prefix (keys.go), execution names (execution.go), the vector
// index of a model pack (vectorindex.go) and the layout of a Lambda zip
// (bundle.go).
//
// Both the Lambdas and the CDK app (cdk/) import it, so it is pure Go with
// no cgo and imports nothing of the project but shared/domain's errors.
// It owns names only: no I/O, no configuration parsing (shared/config does
// that), no stored types (shared/domain has them), no ARNs (shared/arn).
//
// Two things are called "shared": this repository's shared/ is the Go
// library (this package is shared/names); ../shared beside the checkout is
// data (models, test photos), found by shared/locate.
package names
