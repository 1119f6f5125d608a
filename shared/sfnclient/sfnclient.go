// Package sfnclient is Step Functions from the client's side: the one
// place the sfn client is built (New: the SDK's default configuration in the
// state machine's region, pointed at an endpoint such as `divinepic serve`'s
// when given, signed with serve's key (WithLocalKey) or unsigned when that
// endpoint is on this machine) and the one
// starter of album executions (Starter), which `divinepic start` and the
// nightly reprocess Lambda share. ARNs are shared/arn's; the server side is
// shared/sfnapi.
package sfnclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/domain"
)

// Option configures New.
type Option func(*options)

type options struct {
	localKeyFile, localProfile string
}

// WithLocalKey signs requests to an endpoint on this machine with the
// profile's key of the AWS shared-credentials file at path (the one
// `divinepic serve` makes in its data directory). Without the option, or
// when the file does not exist, such requests go unsigned.
func WithLocalKey(path, profile string) Option {
	return func(o *options) { o.localKeyFile, o.localProfile = path, profile }
}

// New is the sfn client of the SDK's default configuration (environment,
// shared config, a Lambda's role), in the state machine's region, pointed
// at endpoint when set. A server on this machine (divinepic serve) gets
// requests signed with the key of WithLocalKey, else unsigned ones, so no
// AWS credentials are needed for it.
func New(ctx context.Context, machine arn.StateMachine, endpoint string, with ...Option) (*sfn.Client, error) {
	var o options
	for _, f := range with {
		f(&o)
	}
	var opts []func(*awsconfig.LoadOptions) error
	if machine.Region != "" {
		opts = append(opts, awsconfig.WithRegion(machine.Region))
	}
	local := false
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("step functions endpoint %q is not a URL (e.g. http://127.0.0.1:8083)", endpoint)
		}
		local = isLoopback(u.Hostname())
	}
	signed := false
	if local && o.localKeyFile != "" {
		if _, err := os.Stat(o.localKeyFile); err == nil {
			opts = append(opts, awsconfig.WithSharedCredentialsFiles([]string{o.localKeyFile}), awsconfig.WithSharedConfigProfile(o.localProfile),
				awsconfig.WithSharedConfigFiles([]string{}))
			signed = true
		}
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("step functions: load AWS config: %w", err)
	}
	return sfn.NewFromConfig(cfg, func(so *sfn.Options) {
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
		}
		if local && !signed {
			so.Credentials = aws.AnonymousCredentials{}
		}
	}), nil
}

// IsLoopback says whether host (a name or an IP, as in a URL or a listen
// address) is this machine only: localhost or a loopback IP.
func IsLoopback(host string) bool { return isLoopback(host) }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// StartAPI is the part of the sfn client a Starter uses.
type StartAPI interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

var _ StartAPI = (*sfn.Client)(nil)

// Starter starts album executions of one state machine. It is the
// reprocess step's Executions on AWS (steps.Executions).
type Starter struct {
	Client  StartAPI
	Machine arn.StateMachine
}

// NewStarter is a Starter of the state machine through New's client.
func NewStarter(ctx context.Context, stateMachineARN, endpoint string) (*Starter, error) {
	m, err := arn.ParseStateMachine(stateMachineARN)
	if err != nil {
		return nil, err
	}
	c, err := New(ctx, m, endpoint)
	if err != nil {
		return nil, err
	}
	return &Starter{Client: c, Machine: m}, nil
}

// StartAlbum starts the named execution with the album's input and returns
// its ARN. A name already taken (the nightly job ran twice, or a name
// reused with other input) starts nothing: it returns that execution's ARN
// and an error wrapping domain.ErrAlreadyStarted.
func (s *Starter) StartAlbum(ctx context.Context, name string, in domain.AlbumInput) (string, error) {
	input, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	out, err := s.Client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.Machine.String()), Name: aws.String(name), Input: aws.String(string(input)),
	})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return s.Machine.Execution(name).String(), fmt.Errorf("%s: %w", name, domain.ErrAlreadyStarted)
	}
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ExecutionArn), nil
}
