package stack

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3vectors"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/divinepic/pipeline/shared/artifact"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
)

// Defaults of Props.
const (
	DefaultMaxConcurrency             = names.DefaultMaxConcurrency
	DefaultToleratedFailurePercentage = names.DefaultToleratedFailurePercentage
	DefaultResultPrefix               = names.ResultsPrefix
	DefaultExpireAfterDays            = 7
	DefaultNightlyHourUTC             = 3
	DefaultSearchConcurrency          = 10
	DefaultNoncurrentDays             = 30
	DefaultAccessLogDays              = 90
	DefaultScheduleRetries            = 3
	// AccessLogsPrefix is where S3 writes the bucket's server access logs.
	AccessLogsPrefix = "access-logs/"
)

// Props configures the stack. RepoRoot is required; the rest have defaults.
type Props struct {
	awscdk.StackProps

	// RepoRoot is the repository checkout: statemachine.asl.json,
	// lambdas/Dockerfile and bin/ are found under it.
	RepoRoot string
	// Definition is the workflow file (default RepoRoot/statemachine.asl.json).
	Definition string
	// MaxConcurrency of the Distributed Map (default 40 child executions).
	MaxConcurrency int
	// ToleratedFailurePercentage of the Distributed Map (default
	// names.DefaultToleratedFailurePercentage). Use
	// NoToleratedFailures for 0, as 0 means the default.
	ToleratedFailurePercentage float64
	// ResultPrefix is where the Distributed Map writes its results (default names.ResultsPrefix).
	ResultPrefix string
	// ExpireAfterDays empties names.ExpiringPrefixes after this many days (default 7).
	ExpireAfterDays int
	// Pack is the model pack the Lambdas use (default "default").
	Pack string
	// Packs that get a vector index (default: every pack of the manifest).
	Packs []string
	// NightlyHourUTC is the hour of the nightly reprocessing (default 3).
	NightlyHourUTC int
	// AppOrigins are the origins the browser uploads from (bucket CORS);
	// default: any Lambda Function URL of the stack's region.
	AppOrigins []string
	// Placeholders lets a function whose artifact `make package` has not
	// built (bin/package/<zip>, or the container image's inputs) be
	// synthesized with a placeholder that fails every invocation, and the
	// stack carries a warning saying so (for tests). Without it, a missing
	// artifact fails the synthesis with ErrNotBuilt.
	Placeholders bool
	// NoReservedConcurrency leaves every function on the account's
	// unreserved pool (an account whose concurrency quota is still the new
	// account's 10 cannot reserve any). By default detect and embed reserve
	// MaxConcurrency each, so that an album's fan-out can neither starve
	// other functions nor be starved, search reserves SearchConcurrency,
	// and reprocess 1.
	NoReservedConcurrency bool
	// SearchConcurrency is what search reserves (default 10).
	SearchConcurrency int
	// AlarmEmail, when set, is subscribed to the alarms' SNS topic.
	AlarmEmail string
}

// NoToleratedFailures is the Props.ToleratedFailurePercentage for "no
// failure tolerated".
const NoToleratedFailures = -1

// Stack is the pipeline's stack and its main resources, for tests and for
// other stacks to reference.
type Stack struct {
	awscdk.Stack
	Bucket           awss3.Bucket
	AccessLogs       awss3.Bucket // the photo bucket's S3 server access logs
	VectorBucket     awss3vectors.CfnVectorBucket
	VectorBucketName string
	Indexes          map[string]awss3vectors.CfnIndex // by pack
	Functions        map[string]awslambda.Function    // by step
	StateMachine     awsstepfunctions.StateMachine
	StateMachineName string
	Schedule         awsscheduler.Schedule
	// The web app (app.go): its Lambda, Function URL and guest secret.
	App          awslambda.Function
	AppURL       awslambda.FunctionUrl
	GuestSecret  awssecretsmanager.Secret
	ScheduleDLQ  awssqs.Queue
	scheduleRole awsiam.Role
	Alarms       map[string]awscloudwatch.Alarm // by name (see newOperations)
	AlarmTopic   awssns.Topic
	Dashboard    awscloudwatch.Dashboard
	// MissingBuild lists the build outputs that were absent at synth time.
	MissingBuild []string
	pack         *modelpack.Pack // the pack the ONNX Lambdas carry
}

// New defines the pipeline stack in scope.
func New(scope constructs.Construct, id string, props *Props) (*Stack, error) {
	p, err := withDefaults(props)
	if err != nil {
		return nil, err
	}
	definition, err := ReadDefinition(p.Definition)
	if err != nil {
		return nil, err
	}
	manifest, err := modelpack.Default()
	if err != nil {
		return nil, fmt.Errorf("model pack manifest: %w", err)
	}
	pack, err := manifest.Pack(p.Pack)
	if err != nil {
		return nil, err
	}

	st := awscdk.NewStack(scope, jsii.String(id), &p.StackProps)
	s := &Stack{
		pack:      pack,
		Stack:     st,
		Indexes:   map[string]awss3vectors.CfnIndex{},
		Functions: map[string]awslambda.Function{},
	}
	stackName := *st.StackName()

	// Photos, the work area and results.
	rules := make([]*awss3.LifecycleRule, 0, len(names.ExpiringPrefixes)+1)
	for _, prefix := range names.ExpiringPrefixes {
		rules = append(rules, &awss3.LifecycleRule{
			Id:         jsii.String("expire-" + strings.TrimSuffix(prefix, "/")),
			Prefix:     jsii.String(prefix),
			Expiration: awscdk.Duration_Days(jsii.Number(float64(p.ExpireAfterDays))),
			// Spent work is deleted by Aggregate: with versioning, keep
			// what it deleted a day, not NoncurrentDays.
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1)),
		})
	}
	rules = append(rules, &awss3.LifecycleRule{
		Id:                                  jsii.String("abort-incomplete-uploads"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	}, &awss3.LifecycleRule{
		// Versioning keeps what an overwrite or a delete replaced, for
		// NoncurrentDays: time to restore a photo, bounded storage.
		Id:                          jsii.String("expire-noncurrent-versions"),
		NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(float64(DefaultNoncurrentDays))),
	})
	s.AccessLogs = awss3.NewBucket(st, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-access-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(float64(DefaultAccessLogDays))),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	s.Bucket = awss3.NewBucket(st, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(true),
		// Who read and wrote what: S3 server access logs, in a bucket of
		// their own that no Lambda may touch.
		ServerAccessLogsBucket: s.AccessLogs,
		ServerAccessLogsPrefix: jsii.String(AccessLogsPrefix),
		LifecycleRules:         &rules,
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
	})

	// S3 Vectors: one bucket, one index per pack.
	s.VectorBucketName = vectorBucketName(stackName)
	s.VectorBucket = awss3vectors.NewCfnVectorBucket(st, jsii.String("VectorBucket"), &awss3vectors.CfnVectorBucketProps{
		VectorBucketName: jsii.String(s.VectorBucketName),
	})
	s.VectorBucket.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	for _, name := range p.Packs {
		pack, err := manifest.Pack(name)
		if err != nil {
			return nil, err
		}
		indexName, err := names.IndexForPack(pack.Version)
		if err != nil {
			return nil, err
		}
		idx := awss3vectors.NewCfnIndex(st, jsii.String("Index"+logicalSuffix(name)), &awss3vectors.CfnIndexProps{
			VectorBucketArn: s.VectorBucket.AttrVectorBucketArn(),
			IndexName:       jsii.String(indexName),
			DataType:        jsii.String("float32"),
			Dimension:       jsii.Number(float64(pack.Recognizer.EmbeddingDim)),
			DistanceMetric:  jsii.String("cosine"),
			MetadataConfiguration: &awss3vectors.CfnIndex_MetadataConfigurationProperty{
				NonFilterableMetadataKeys: jsii.Strings(names.NonFilterableMetadataKeys...),
			},
		})
		idx.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
		s.Indexes[name] = idx
	}

	// The Lambdas.
	env := map[string]*string{
		names.EnvBlobs:   jsii.String("s3://"),
		names.EnvVectors: jsii.String("s3vectors://" + s.VectorBucketName),
		names.EnvPack:    jsii.String(p.Pack),
		names.EnvBucket:  s.Bucket.BucketName(),
		// aggregate and reprocess write their metrics there (shared/metrics).
		names.EnvMetricsNamespace: jsii.String(metricsNamespace(stackName)),
	}
	for _, fs := range functionSpecs {
		fn, missing, err := s.newFunction(p, pack, fs, env)
		if err != nil {
			return nil, err
		}
		s.Functions[fs.step] = fn
		for _, m := range missing {
			if !slices.Contains(s.MissingBuild, m) {
				s.MissingBuild = append(s.MissingBuild, m)
			}
		}
	}
	s.grantLambdas()

	// The workflow.
	if err := s.newStateMachine(p, definition, stackName); err != nil {
		return nil, err
	}
	reprocess := s.Functions[names.StepReprocess]
	reprocess.AddEnvironment(jsii.String(names.EnvStateMachineARN), s.StateMachine.StateMachineArn(), nil)
	// StartExecution only: an execution that exists already (same album,
	// same night) is an ExecutionAlreadyExists error, not a lookup.
	s.StateMachine.GrantStartExecution(reprocess)
	if err := s.newApp(p, env); err != nil {
		return nil, err
	}

	// Nightly reprocessing. The scheduled time goes into the payload, so a
	// retried invocation names its executions like the first one did.
	// An invocation that still fails after the retries lands in the
	// dead-letter queue (alarmed on), with the scheduled time to redo it.
	s.ScheduleDLQ = awssqs.NewQueue(st, jsii.String("NightlyDeadLetters"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	s.scheduleRole = awsiam.NewRole(st, jsii.String("NightlyRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil),
		Description: jsii.String("DivinePic nightly schedule: invoke the reprocess function, dead-letter to its queue"),
	})
	s.Schedule = awsscheduler.NewSchedule(st, jsii.String("Nightly"), &awsscheduler.ScheduleProps{
		Description: jsii.String("DivinePic nightly reprocessing: one execution per album with new, changed or failed photos or faces of an older model pack"),
		Schedule: awsscheduler.ScheduleExpression_Cron(&awsscheduler.CronOptionsWithTimezone{
			Minute:   jsii.String("0"),
			Hour:     jsii.String(strconv.Itoa(p.NightlyHourUTC)),
			TimeZone: awscdk.TimeZone_ETC_UTC(),
		}),
		Target: awsschedulertargets.NewLambdaInvoke(reprocess, &awsschedulertargets.ScheduleTargetBaseProps{
			Input: awsscheduler.ScheduleTargetInput_FromObject(map[string]any{
				"source":        "schedule",
				"scheduledTime": awsscheduler.ContextAttribute_ScheduledTime(),
			}),
			RetryAttempts:   jsii.Number(DefaultScheduleRetries),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
			DeadLetterQueue: s.ScheduleDLQ,
			Role:            s.scheduleRole,
		}),
	})

	s.newOperations(p, stackName)
	s.suppressNag()

	if len(s.MissingBuild) > 0 {
		awscdk.Annotations_Of(st).AddWarningV2(jsii.String("divinepic:missing-build"), jsii.String(
			"placeholders for missing artifacts (run `make package` before deploying): "+strings.Join(s.MissingBuild, ", ")), nil)
	}
	out := func(id, value, desc string) {
		awscdk.NewCfnOutput(st, jsii.String(id), &awscdk.CfnOutputProps{Value: jsii.String(value), Description: jsii.String(desc)})
	}
	out("BucketName", *s.Bucket.BucketName(), "photos (albums), the work area and results")
	out("StateMachineArn", *s.StateMachine.StateMachineArn(), "start one execution per album: {\"albumId\", \"bucket\", \"prefix\", \"reprocess\"}")
	out("VectorBucketName", s.VectorBucketName, "S3 Vectors bucket; one index per model pack version (faces-<version>)")
	out("SearchFunctionName", *s.Functions[names.StepSearch].FunctionName(), "selfie search")
	return s, nil
}

func withDefaults(props *Props) (*Props, error) {
	if props == nil || props.RepoRoot == "" {
		return nil, fmt.Errorf("stack props: RepoRoot is required")
	}
	p := *props
	if p.Definition == "" {
		p.Definition = filepath.Join(p.RepoRoot, DefinitionFile)
	}
	if p.MaxConcurrency == 0 {
		p.MaxConcurrency = DefaultMaxConcurrency
	}
	switch {
	case p.ToleratedFailurePercentage == 0:
		p.ToleratedFailurePercentage = DefaultToleratedFailurePercentage
	case p.ToleratedFailurePercentage == NoToleratedFailures:
		p.ToleratedFailurePercentage = 0
	}
	if p.ResultPrefix == "" {
		p.ResultPrefix = DefaultResultPrefix
	}
	if p.ExpireAfterDays == 0 {
		p.ExpireAfterDays = DefaultExpireAfterDays
	}
	if p.Pack == "" {
		p.Pack = modelpack.DefaultPack
	}
	if len(p.Packs) == 0 {
		m, err := modelpack.Default()
		if err != nil {
			return nil, fmt.Errorf("model pack manifest: %w", err)
		}
		p.Packs = m.PackNames()
	}
	if p.NightlyHourUTC == 0 {
		p.NightlyHourUTC = DefaultNightlyHourUTC
	}
	if p.SearchConcurrency == 0 {
		p.SearchConcurrency = DefaultSearchConcurrency
	}
	switch {
	case p.MaxConcurrency < 0 || p.MaxConcurrency > 10000:
		return nil, fmt.Errorf("stack props: MaxConcurrency %d: want 1..10000", p.MaxConcurrency)
	case p.ToleratedFailurePercentage < 0 || p.ToleratedFailurePercentage > 100:
		return nil, fmt.Errorf("stack props: ToleratedFailurePercentage %v: want 0..100", p.ToleratedFailurePercentage)
	case p.NightlyHourUTC < 0 || p.NightlyHourUTC > 23:
		return nil, fmt.Errorf("stack props: NightlyHourUTC %d: want 0..23", p.NightlyHourUTC)
	case p.ExpireAfterDays < 1:
		return nil, fmt.Errorf("stack props: ExpireAfterDays %d: want >= 1", p.ExpireAfterDays)
	}
	return &p, nil
}

// functionSpec is one Lambda: how it is packaged and sized.
type functionSpec struct {
	step    string
	timeout float64 // seconds
	desc    string
}

// Detect and embed stop (50 s) before their states give up on them
// (TimeoutSeconds 60 in statemachine.asl.json), so a slow photo never keeps
// writing after it was recorded as failed; both together stay far under an
// EXPRESS child's 5 minutes.
//
// Memory sizes are artifact.MemoryMB's (why: there).
var functionSpecs = []functionSpec{
	{names.StepList, 900, "list an album's photos and write the manifest of work"},
	{names.StepDetect, 50, "decode, orient and detect faces in one photo; write the aligned chips"},
	{names.StepEmbed, 50, "embed one photo's face chips and write its face record"},
	{names.StepFailures, 900, "list the photos that failed in an album's batches, for ReportFailures"},
	{names.StepAggregate, 900, "upsert an album's faces into S3 Vectors and write the album summary"},
	{names.StepPeople, 900, "group an album's indexed faces into people, keeping the photographer's corrections"},
	{names.StepReprocess, 900, "nightly: start one execution per album that needs work"},
	{names.StepSearch, 60, "selfie search: detect, embed the largest face, top-k in the album"},
}

func (s *Stack) newFunction(p *Props, pack *modelpack.Pack, fs functionSpec, env map[string]*string) (awslambda.Function, []string, error) {
	id := jsii.String(logicalSuffix(fs.step) + "Function")
	logs := awslogs.NewLogGroup(s.Stack, jsii.String(logicalSuffix(fs.step)+"Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	envCopy := make(map[string]*string, len(env)+1)
	for k, v := range env {
		envCopy[k] = v
	}
	if mb := artifact.DecodeBudgetMB(fs.step); mb > 0 {
		envCopy[names.EnvMaxDecodeMB] = jsii.String(strconv.Itoa(mb))
	}
	arch := awslambda.Architecture_ARM_64()
	if artifact.Arch(fs.step) == "x86_64" {
		arch = awslambda.Architecture_X86_64()
	}
	var reserved *float64
	if !p.NoReservedConcurrency {
		switch fs.step {
		case names.StepDetect, names.StepEmbed:
			reserved = jsii.Number(float64(p.MaxConcurrency))
		case names.StepSearch:
			reserved = jsii.Number(float64(p.SearchConcurrency))
		case names.StepReprocess:
			reserved = jsii.Number(1)
		}
	}
	common := awslambda.FunctionOptions{
		Architecture:                 arch,
		MemorySize:                   jsii.Number(float64(artifact.MemoryMB(fs.step))),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(fs.timeout)),
		Environment:                  &envCopy,
		Description:                  jsii.String("DivinePic " + fs.step + ": " + fs.desc),
		LogGroup:                     logs,
		LoggingFormat:                awslambda.LoggingFormat_JSON,
		Tracing:                      awslambda.Tracing_ACTIVE,
		ReservedConcurrentExecutions: reserved,
	}

	zipPath := filepath.Join(p.RepoRoot, artifact.Dir, artifact.ZipName(fs.step, p.Pack))
	if isFile(zipPath) {
		return s.zipFunction(id, common, awslambda.Code_FromAsset(jsii.String(zipPath), nil)), nil, nil
	}
	missing := []string{artifact.Dir + "/" + artifact.ZipName(fs.step, p.Pack)}
	if names.NeedsONNX(fs.step) {
		// A pack too large for a zip: the container image.
		_, imgMissing := imageInputs(p.RepoRoot, fs.step)
		if len(imgMissing) == 0 {
			imgMissing = imagePackFiles(p.RepoRoot, pack)
		}
		if len(imgMissing) == 0 {
			code := awslambda.DockerImageCode_FromImageAsset(jsii.String(p.RepoRoot), &awslambda.AssetImageCodeProps{
				File:       jsii.String(Dockerfile),
				BuildArgs:  &map[string]*string{"STEP": jsii.String(fs.step)},
				Platform:   awsecrassets.Platform_LINUX_AMD64(),
				IgnoreMode: awscdk.IgnoreMode_DOCKER,
				Exclude:    jsii.Strings(imageExcludes(fs.step)...),
			})
			fn := awslambda.NewDockerImageFunction(s.Stack, id, &awslambda.DockerImageFunctionProps{
				Code:                         code,
				Architecture:                 common.Architecture,
				MemorySize:                   common.MemorySize,
				Timeout:                      common.Timeout,
				Environment:                  common.Environment,
				Description:                  common.Description,
				LogGroup:                     common.LogGroup,
				LoggingFormat:                common.LoggingFormat,
				Tracing:                      common.Tracing,
				ReservedConcurrentExecutions: common.ReservedConcurrentExecutions,
			})
			return fn, nil, nil
		}
		missing[0] += " (or the container image's inputs: make package PACK=" + p.Pack + ")"
	}
	if !p.Placeholders {
		return nil, nil, fmt.Errorf("%s: %s: %w", fs.step, missing[0], ErrNotBuilt)
	}
	dir, err := placeholderDir()
	if err != nil {
		return nil, nil, err
	}
	return s.zipFunction(id, common, awslambda.Code_FromAsset(jsii.String(dir), nil)), missing, nil
}

// zipFunction is a provided.al2023 function whose zip holds a bootstrap.
func (s *Stack) zipFunction(id *string, o awslambda.FunctionOptions, code awslambda.Code) awslambda.Function {
	return awslambda.NewFunction(s.Stack, id, &awslambda.FunctionProps{
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Handler:                      jsii.String(names.BundleBootstrap),
		Code:                         code,
		Architecture:                 o.Architecture,
		MemorySize:                   o.MemorySize,
		Timeout:                      o.Timeout,
		Environment:                  o.Environment,
		Description:                  o.Description,
		LogGroup:                     o.LogGroup,
		LoggingFormat:                o.LoggingFormat,
		Tracing:                      o.Tracing,
		ReservedConcurrentExecutions: o.ReservedConcurrentExecutions,
	})
}

// grantLambdas gives each Lambda what its step touches.
func (s *Stack) grantLambdas() {
	vbARN := *s.VectorBucket.AttrVectorBucketArn()
	indexes := vbARN + "/index/*"
	vectorsStatement := func(actions ...string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings(actions...),
			Resources: jsii.Strings(vbARN, indexes),
		})
	}
	readVectors := []string{"s3vectors:GetIndex", "s3vectors:ListIndexes", "s3vectors:GetVectors", "s3vectors:ListVectors", "s3vectors:QueryVectors"}
	s.grantBucket()
	// Aggregate upserts and deletes; EnsureIndex may create a pack's index.
	s.Functions[names.StepAggregate].AddToRolePolicy(vectorsStatement(append(readVectors,
		"s3vectors:PutVectors", "s3vectors:DeleteVectors", "s3vectors:CreateIndex")...))
	// Search queries with an album filter and metadata (QueryVectors then
	// also needs GetVectors); reprocess looks for faces of older packs.
	s.Functions[names.StepSearch].AddToRolePolicy(vectorsStatement(readVectors...))
	s.Functions[names.StepReprocess].AddToRolePolicy(vectorsStatement(readVectors...))
}

// newStateMachine loads the workflow file with its substitutions.
func (s *Stack) newStateMachine(p *Props, definition, stackName string) error {
	subs := map[string]string{
		names.PlaceholderMaxConcurrency:             strconv.Itoa(p.MaxConcurrency),
		names.PlaceholderToleratedFailurePercentage: strconv.FormatFloat(p.ToleratedFailurePercentage, 'f', -1, 64),
		names.PlaceholderResultBucket:               *s.Bucket.BucketName(),
		names.PlaceholderResultPrefix:               p.ResultPrefix,
	}
	for _, step := range names.WorkflowSteps {
		subs[names.FunctionARNPlaceholder(step)] = *s.Functions[step].FunctionArn()
	}
	if err := CheckDefinition(definition, subs); err != nil {
		return fmt.Errorf("%s: %w", p.Definition, err)
	}
	cfnSubs := make(map[string]*string, len(subs))
	for k, v := range subs {
		cfnSubs[k] = jsii.String(v)
	}

	s.StateMachineName = stateMachineName(stackName)
	logs := awslogs.NewLogGroup(s.Stack, jsii.String("WorkflowLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/vendedlogs/states/" + s.StateMachineName),
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	s.StateMachine = awsstepfunctions.NewStateMachine(s.Stack, jsii.String("Workflow"), &awsstepfunctions.StateMachineProps{
		StateMachineName:        jsii.String(s.StateMachineName),
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		Comment:                 jsii.String("DivinePic: find, embed and index every face of one album"),
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(definition)),
		DefinitionSubstitutions: &cfnSubs,
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel_ERROR,
			IncludeExecutionData: jsii.Bool(false),
		},
		TracingEnabled: jsii.Bool(true),
	})
	sm := s.StateMachine
	for _, step := range names.WorkflowSteps {
		s.Functions[step].GrantInvoke(sm)
	}
	s.grantWorkflowBucket(p.ResultPrefix)
	// The Distributed Map starts, watches, stops and redrives child
	// executions of this very state machine. The ARNs are built from its
	// name, not its Ref, so the role policy does not depend on the state
	// machine that depends on it.
	stack := awscdk.Stack_Of(s.Stack)
	arn := func(resource, name string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("states"),
			Resource:     jsii.String(resource),
			ResourceName: jsii.String(name),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
	}
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:StartExecution"),
		Resources: jsii.Strings(arn("stateMachine", s.StateMachineName)),
	}))
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"),
		Resources: jsii.Strings(
			arn("execution", s.StateMachineName+":*"),
			arn("execution", s.StateMachineName+"/*"),
		),
	}))
	return nil
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)

// logicalSuffix turns a step or pack name into a CamelCase construct id part.
func logicalSuffix(name string) string {
	var b strings.Builder
	for _, part := range nonAlnum.Split(name, -1) {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// stateMachineName is <stack>-album, at most 80 characters.
func stateMachineName(stackName string) string {
	const suffix = "-album"
	return strings.TrimRight(truncate(stackName, 80-len(suffix)), "-") + suffix
}

// vectorBucketName is <stack, lower case>-faces, at most 63 characters of
// a-z, 0-9 and '-'.
func vectorBucketName(stackName string) string {
	const suffix = "-faces"
	base := strings.Trim(nonAlnum.ReplaceAllString(strings.ToLower(stackName), "-"), "-")
	return strings.TrimRight(truncate(base, 63-len(suffix)), "-") + suffix
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
