// Command cdk is the CDK app of the DivinePic pipeline: it defines the
// DivinePic stack (see cdk/stack) and synthesizes it into cdk.out. The CDK
// CLI runs it through cdk.json ("go run ./cdk") from the repository root;
// `make synth` runs it directly.
//
// Context values (cdk -c key=value, or "context" in cdk.json); README.md's
// deploy section lists them with their defaults:
//
//	stackName            the stack's name (default DivinePic)
//	pack                 the model pack the ONNX Lambdas carry (default "default")
//	maxConcurrency       the Distributed Map's MaxConcurrency (default 40)
//	nightlyHourUTC       the hour of the nightly reprocessing (default 3)
//	alarmEmail           an e-mail address subscribed to the alarms' SNS topic (default none)
//	reservedConcurrency  false: reserve no concurrency (accounts with the new-account quota of 10)
//	searchConcurrency    the concurrency search reserves (default 10)
//	placeholders=true    synthesize without `make package`'s artifacts: every missing one is a
//	                     placeholder that fails each invocation (for tests; never deploy it)
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/divinepic/pipeline/cdk/stack"
)

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cdk:", err)
		os.Exit(1)
	}
}

func run() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := stack.FindRepoRoot(wd)
	if err != nil {
		return err
	}
	// The CDK CLI says where to write (CDK_OUTDIR); run directly (make
	// synth), the app writes to cdk.out at the repository root.
	outdir := os.Getenv("CDK_OUTDIR")
	if outdir == "" {
		outdir = filepath.Join(root, "cdk.out")
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	props := &stack.Props{
		StackProps: awscdk.StackProps{
			Description: jsii.String("DivinePic face pipeline: Step Functions + Lambda + S3 Vectors"),
		},
		RepoRoot:              root,
		Placeholders:          contextString(app, "placeholders") == "true",
		NoReservedConcurrency: contextString(app, "reservedConcurrency") == "false",
		Pack:                  contextString(app, "pack"),
		AlarmEmail:            contextString(app, "alarmEmail"),
	}
	// Account and region come from the CLI's profile when it runs the app;
	// without them the stack is environment-agnostic.
	if account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); account != "" && region != "" {
		props.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	for key, dst := range map[string]*int{
		"maxConcurrency":    &props.MaxConcurrency,
		"nightlyHourUTC":    &props.NightlyHourUTC,
		"searchConcurrency": &props.SearchConcurrency,
	} {
		if v := contextString(app, key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("context %s=%q: want a whole number", key, v)
			}
			*dst = n
		}
	}
	name := contextString(app, "stackName")
	if name == "" {
		name = "DivinePic"
	}
	// cdk-nag's AwsSolutions checks: an unsuppressed finding is an error.
	stack.CheckNag(app)
	st, err := stack.New(app, name, props)
	if err != nil {
		return err
	}
	if err := stack.NagErrors(st.Stack); err != nil {
		return err
	}
	asm := app.Synth(nil)
	if os.Getenv("CDK_OUTDIR") == "" {
		for _, st := range *asm.Stacks() {
			fmt.Fprintln(os.Stderr, "synthesized", filepath.Join(outdir, *st.TemplateFile()))
		}
	}
	return nil
}

func contextString(app awscdk.App, key string) string {
	v := app.Node().TryGetContext(jsii.String(key))
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
