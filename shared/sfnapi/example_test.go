package sfnapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/states"
)

// A state machine of the local engine, started and watched with the AWS
// SDK's Step Functions client.
func Example() {
	def := []byte(`{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "End": true}}}`)
	sm, err := states.New().Parse("hello", def)
	if err != nil {
		panic(err)
	}
	creds := sfnapi.Credentials{AccessKeyID: "EXAMPLEKEY", SecretAccessKey: "example-secret"}
	srv := sfnapi.New(sfnapi.WithSigV4(creds, "local"))
	if err := srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: def}); err != nil {
		panic(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Shutdown(context.Background(), "done")

	ctx := context.Background()
	client := sfn.New(sfn.Options{Region: "local", BaseEndpoint: aws.String(hs.URL), Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})
	started, err := client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(sm.ARN), Name: aws.String("first"), Input: aws.String(`{"who": "world"}`),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(started.ExecutionArn))
	for {
		d, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
		if err != nil {
			panic(err)
		}
		if d.Status != types.ExecutionStatusRunning {
			fmt.Println(d.Status, aws.ToString(d.Output))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Output:
	// arn:aws:states:local:000000000000:execution:hello:first
	// SUCCEEDED {"greeting":"hello world"}
}
