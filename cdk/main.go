// Command cdk is the CDK app of the DivinePic pipeline: it defines the
// DivinePic stack (see cdk/stack) and synthesizes it into cdk.out. The CDK
// CLI runs it through cdk.json ("go run ./cdk") from the repository root;
// `make synth` runs it directly.
//
// Context values (cdk -c key=value):
//
//	stackName          the stack's name (default DivinePic)
//	maxConcurrency     the Distributed Map's MaxConcurrency (default 40)
//	requireBuild=true  fail when bin/lambdas/<step>/bootstrap or the image inputs are missing
//	                   (by default they are replaced by placeholders, with a warning)
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
		RepoRoot:     root,
		RequireBuild: contextString(app, "requireBuild") == "true",
	}
	// Account and region come from the CLI's profile when it runs the app;
	// without them the stack is environment-agnostic.
	if account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); account != "" && region != "" {
		props.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	if v := contextString(app, "maxConcurrency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("context maxConcurrency=%q: %w", v, err)
		}
		props.MaxConcurrency = n
	}
	name := contextString(app, "stackName")
	if name == "" {
		name = "DivinePic"
	}
	if _, err := stack.New(app, name, props); err != nil {
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
