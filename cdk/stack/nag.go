package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// CheckNag adds cdk-nag's AwsSolutions checks to every stack of app: each
// finding that the stack does not suppress (suppressNag, each with its
// reason) becomes an error annotation, which fails `make synth` and the
// assertion tests.
func CheckNag(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// NagErrors returns the stack's unsuppressed cdk-nag findings (errors and
// warnings of the checks CheckNag added) as one error, or nil.
func NagErrors(st awscdk.Stack) (err error) {
	an := assertions.Annotations_FromStack(st)
	finding := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	// The assertions fail by raising (a panic across jsii) with every finding.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cdk-nag AwsSolutions findings without a suppression: %v", r)
		}
	}()
	an.HasNoError(jsii.String("*"), finding)
	an.HasNoWarning(jsii.String("*"), finding)
	return nil
}

// Findings that name what they apply to, as cdk-nag spells it.
const (
	anyResource     = "Resource::*"
	lambdaBasicRole = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	// Objects under one of the layout's prefixes (names.*Prefix).
	bucketPrefixes = `/^Resource::<Bucket[0-9A-F]+\.Arn>\/[a-z-]+\/\*$/g`
	// The indexes of the vector bucket (one per model pack).
	vectorIndexes = `/^Resource::<VectorBucket\.VectorBucketArn>\/index\/\*$/g`
	// A function's versions and aliases.
	functionVersions = `/^Resource::<[A-Za-z0-9]+Function[0-9A-F]+\.Arn>:\*$/g`
	// The Distributed Map's child executions and Map Runs, named at run time.
	childExecutions = `/^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:(execution|mapRun):.*-album[:\/]\*$/g`
)

type suppression struct {
	id, reason string
	appliesTo  []string // exact findings or /regex/ ones; none: the whole rule
}

var (
	xraySuppression = suppression{"AwsSolutions-IAM5",
		"X-Ray tracing (Tracing ACTIVE): xray:PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so they are granted on *",
		[]string{anyResource}}
	basicRoleSuppression = suppression{"AwsSolutions-IAM4",
		"AWSLambdaBasicExecutionRole lets the function write its own log group (set by LoggingConfig); it grants CloudWatch Logs writes only",
		[]string{lambdaBasicRole}}
	prefixSuppression = suppression{"AwsSolutions-IAM5",
		"objects under this step's own key prefixes only (cdk/stack/access.go, the layout of shared/names): the keys are per album and photo, unknown at deploy time; no Lambda may write or delete under albums/",
		[]string{bucketPrefixes}}
	indexSuppression = suppression{"AwsSolutions-IAM5",
		"the vector bucket's indexes, one per model pack version: the album's pack chooses the index at run time",
		[]string{vectorIndexes}}
)

// suppressNag records, next to the resources they concern, the findings
// that are intended, with the reason of each.
func (s *Stack) suppressNag() {
	for step, fn := range s.Functions {
		sup := []suppression{basicRoleSuppression, xraySuppression}
		if _, ok := bucketAccess[step]; ok {
			sup = append(sup, prefixSuppression)
		}
		sup = append(sup, indexSuppression)
		suppress(fn, sup...)
	}
	suppress(s.StateMachine,
		suppression{"AwsSolutions-IAM5",
			"CloudWatch Logs' log delivery APIs (logs:CreateLogDelivery and the rest, for the workflow's log group) and X-Ray's trace APIs have no resource-level permissions",
			[]string{anyResource}},
		suppression{"AwsSolutions-IAM5",
			"lambda:InvokeFunction on the workflow's own four functions, their versions and aliases included (as CDK's grantInvoke writes it)",
			[]string{functionVersions}},
		suppression{"AwsSolutions-IAM5",
			"the Distributed Map describes, stops and redrives its own child executions, whose names Step Functions chooses at run time",
			[]string{childExecutions}},
		suppression{"AwsSolutions-IAM5",
			"ItemReader reads the run's manifest under work/, ResultWriter writes the Map's results under results/: per-run keys",
			[]string{bucketPrefixes}},
		suppression{"AwsSolutions-SF1",
			"the workflow logs ERROR events (every failed state, with its error and cause, without execution data): ALL would add several log events per photo (about $0.003 per 1,000 photos, a sixth of the pipeline's cost) for what the execution history already shows",
			nil},
	)
	if s.App != nil {
		suppress(s.App, basicRoleSuppression, xraySuppression, indexSuppression,
			suppression{"AwsSolutions-IAM5",
				"the web app is the upload path: it reads what its pages show and writes photos (under albums/, through the URLs it presigns) and its own records (app/), by key prefix (cdk/stack/app.go); the keys are per album and photo",
				[]string{bucketPrefixes}},
			suppression{"AwsSolutions-IAM5",
				"the app starts albums and watches their executions and Map Runs, whose names Step Functions chooses at run time",
				[]string{childExecutions}})
		suppress(s.GuestSecret, suppression{"AwsSolutions-SMG4",
			"the secret signs guest links: rotating it ends every link already sent, so it is rotated by hand, when a leak is suspected",
			nil})
	}
	suppress(s.ScheduleDLQ,
		suppression{"AwsSolutions-SQS3",
			"this queue is the nightly schedule's dead-letter queue (EventBridge Scheduler's, which cdk-nag does not recognise as one); it is alarmed on, and a dead-letter queue of its own would only hide what it holds",
			nil})
	suppress(s.scheduleRole,
		suppression{"AwsSolutions-IAM5",
			"the schedule invokes the reprocess function, its versions and aliases included (as CDK's grantInvoke writes it)",
			[]string{functionVersions}})
}

func suppress(c constructs.IConstruct, sups ...suppression) {
	out := make([]*cdknag.NagPackSuppression, 0, len(sups))
	for _, s := range sups {
		ns := &cdknag.NagPackSuppression{Id: jsii.String(s.id), Reason: jsii.String(s.reason)}
		if len(s.appliesTo) > 0 {
			applies := make([]any, 0, len(s.appliesTo))
			for _, a := range s.appliesTo {
				if len(a) > 1 && a[0] == '/' {
					applies = append(applies, &cdknag.RegexAppliesTo{Regex: jsii.String(a)})
				} else {
					applies = append(applies, jsii.String(a))
				}
			}
			ns.AppliesTo = &applies
		}
		out = append(out, ns)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &out, jsii.Bool(true))
}
