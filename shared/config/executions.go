package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/steps"
)

// SFNAPI is the part of the Step Functions client the pipeline uses.
type SFNAPI interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

var _ SFNAPI = (*sfn.Client)(nil)

// StepFunctions starts album executions of a state machine through the
// Step Functions API (AWS, or `divinepic serve`).
type StepFunctions struct {
	Client          SFNAPI
	StateMachineARN string
}

var _ steps.Executions = (*StepFunctions)(nil)

// StartAlbum starts the named execution. A name already taken (the nightly
// job ran twice) returns that execution's ARN and steps.ErrAlreadyStarted.
func (s *StepFunctions) StartAlbum(ctx context.Context, name string, in domain.AlbumInput) (string, error) {
	input, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	out, err := s.Client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.StateMachineARN), Name: aws.String(name), Input: aws.String(string(input)),
	})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return ExecutionARN(s.StateMachineARN, name), fmt.Errorf("%s: %w", name, steps.ErrAlreadyStarted)
	}
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ExecutionArn), nil
}

// ExecutionARN is the ARN of a named execution of a state machine.
func ExecutionARN(stateMachineARN, name string) string {
	return strings.Replace(stateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// NewStepFunctions builds a Step Functions client from the SDK's default
// configuration; endpoint, when set, points it at a compatible server such
// as `divinepic serve`.
func NewStepFunctions(ctx context.Context, stateMachineARN, endpoint string) (*StepFunctions, error) {
	if !strings.Contains(stateMachineARN, ":stateMachine:") {
		return nil, fmt.Errorf("%q is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)", stateMachineARN)
	}
	var opts []func(*awsconfig.LoadOptions) error
	if parts := strings.Split(stateMachineARN, ":"); len(parts) > 3 && parts[3] != "" {
		opts = append(opts, awsconfig.WithRegion(parts[3]))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("step functions: load AWS config: %w", err)
	}
	client := sfn.NewFromConfig(cfg, func(o *sfn.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return &StepFunctions{Client: client, StateMachineARN: stateMachineARN}, nil
}
