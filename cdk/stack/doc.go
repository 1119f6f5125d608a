// Package stack is the AWS deployment of the DivinePic pipeline as one CDK
// stack: the photo bucket (photos, work area, results), the S3 Vectors bucket
// with one index per model pack, the six Lambdas (list, aggregate and
// reprocess as arm64 zip functions; detect, embed and search as x86_64 ONNX
// Runtime container images built from lambdas/Dockerfile), the Standard state
// machine loaded from statemachine.asl.json with DefinitionSubstitutions, and
// the nightly reprocessing schedule.
//
// It owns the infrastructure and the wiring between the pieces (environment
// variables, IAM grants, substitutions). It does not build the Lambda
// binaries (`make build` does) and it never edits the workflow file: it
// reads it at synth time, checks that every ${placeholder} in it is filled
// and every substitution is used, and passes it to CloudFormation unchanged.
package stack
