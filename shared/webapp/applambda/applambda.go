// Package applambda is the composition root of the web app's Lambda
// (lambdas/app): the pipeline's dependencies from the environment (as every
// Lambda builds them: shared/config, shared/wiring), the guest secret from Secrets
// Manager, presigned S3 URLs, the state machine through the Step Functions
// API, and the app served behind a Function URL with aws-lambda-go's
// lambdaurl (response streaming).
package applambda

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sfnclient"
	"github.com/divinepic/pipeline/shared/webapp"
	"github.com/divinepic/pipeline/shared/wiring"
)

// Handler builds the app from the environment.
func Handler(ctx context.Context) (http.Handler, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	if cfg.StateMachineARN == "" {
		return nil, fmt.Errorf("%s is not set", names.EnvStateMachineARN)
	}
	// The Steps without the reprocess step's executions: the app starts
	// its own through Workflow.
	arnStr := cfg.StateMachineARN
	cfg.StateMachineARN = ""
	deps, err := wiring.Build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	machine, err := arn.ParseStateMachine(arnStr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", names.EnvStateMachineARN, err)
	}
	sfnAPI, err := sfnclient.New(ctx, machine, cfg.SFNEndpoint)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	secret, err := guestSecret(ctx, awsCfg)
	if err != nil {
		return nil, err
	}
	return webapp.New(webapp.Options{
		Steps:         deps.Steps,
		Workflow:      &webapp.StepFunctions{Client: sfnAPI, StateMachineARN: arnStr},
		Secret:        secret,
		URLs:          webapp.S3URLs{Presign: s3.NewPresignClient(s3.NewFromConfig(awsCfg)), Bucket: cfg.Bucket},
		StoreOrigin:   "https://" + cfg.Bucket + ".s3." + awsCfg.Region + ".amazonaws.com",
		BaseURL:       os.Getenv(names.EnvAppURL),
		SecureCookies: true,
	})
}

// guestSecret reads the secret of guest links: from Secrets Manager
// (names.EnvGuestSecretARN, as the stack sets it), or the environment.
func guestSecret(ctx context.Context, cfg aws.Config) ([]byte, error) {
	if v := os.Getenv(names.EnvGuestSecret); v != "" {
		return webapp.SecretFromEnv(names.EnvGuestSecret, v)
	}
	arn := os.Getenv(names.EnvGuestSecretARN)
	if arn == "" {
		return nil, fmt.Errorf("neither %s nor %s is set", names.EnvGuestSecretARN, names.EnvGuestSecret)
	}
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("guest secret %s: %w", arn, err)
	}
	return webapp.SecretFromEnv(names.EnvGuestSecretARN, aws.ToString(out.SecretString))
}

// Run serves the app in the Lambda runtime; a configuration error ends the
// process during initialisation (Lambda reports it as an init error).
func Run() {
	h, err := Handler(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "divinepic %s: %v\n", names.App, err)
		os.Exit(1)
	}
	lambdaurl.Start(h)
}
