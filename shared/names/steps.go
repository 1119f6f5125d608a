package names

// The steps: lambdas/<step>/ hosts each one as a Lambda, bin/lambdas/<step>/
// holds its build, and the local engine binds each to FunctionName(step).
const (
	StepList      = "list"
	StepDetect    = "detect"
	StepEmbed     = "embed"
	StepFailures  = "failures"
	StepAggregate = "aggregate"
	StepPeople    = "people"
	StepReprocess = "reprocess"
	StepSearch    = "search"
)

// Steps lists every step, in the workflow's order and then the others.
var Steps = []string{StepList, StepDetect, StepEmbed, StepFailures, StepAggregate, StepPeople, StepReprocess, StepSearch}

// WorkflowSteps are the steps that statemachine.asl.json invokes (each
// through the ${<Step>FunctionArn} placeholder); the others are invoked
// by a schedule (reprocess) or by callers (search).
var WorkflowSteps = []string{StepList, StepDetect, StepEmbed, StepFailures, StepAggregate, StepPeople}

// onnxSteps run ONNX Runtime: their Lambdas are cgo builds for x86_64 that
// ship the runtime library and a model pack; the rest are pure Go.
var onnxSteps = map[string]bool{StepDetect: true, StepEmbed: true, StepSearch: true, App: true}

// NeedsONNX says whether a step's (or the app's) Lambda runs ONNX Runtime.
func NeedsONNX(step string) bool { return onnxSteps[step] }

// FunctionName is the Lambda function name of a step in the local engine
// (and the suffix of its name on AWS): divinepic-<step>.
func FunctionName(step string) string { return "divinepic-" + step }
