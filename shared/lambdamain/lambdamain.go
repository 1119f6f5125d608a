// Package lambdamain hosts one step in the Lambda runtime: read the
// configuration from the environment (shared/config), build the
// dependencies once at the cold start (shared/wiring, the composition root
// the embedded pipeline and the CLI use too), and hand the step's handler
// to the runtime. A lambdas/<step>/main.go is a single call to Run.
package lambdamain

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/metrics"
	"github.com/divinepic/pipeline/shared/steplog"
	"github.com/divinepic/pipeline/shared/wiring"
)

// Handler builds the dependencies from the environment and returns the
// step's handler.
func Handler(ctx context.Context, step string) (lambda.Handler, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	deps, err := wiring.Build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	h, err := deps.Steps.Handler(step)
	if err != nil {
		return nil, err
	}
	// Aggregate and reprocess also write their outcome as metrics.
	return metrics.Wrap(step, cfg.MetricsNamespace, h, os.Stdout), nil
}

// Run serves the step's handler in the Lambda runtime. A configuration
// error ends the process during initialisation, which Lambda reports as an
// init error with the message on stderr; a handler's errors never exit.
func Run(step string) {
	h, err := Handler(context.Background(), step)
	if err != nil {
		fmt.Fprintf(os.Stderr, "divinepic %s: %v\n", step, err)
		os.Exit(1)
	}
	lambda.Start(steplog.Wrap(step, h, steplog.LambdaLogger()))
}
