package main

import (
	"net/http"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/webapp"
)

// appSecretFile is where serve keeps the secret of guest links when
// DIVINEPIC_GUEST_SECRET is unset.
const appSecretFile = "app-secret"

// frontDoor is what serve serves on its one port: the Step Functions API
// (requests with an X-Amz-Target header, as every SDK sends) and the web
// app (everything else). The app starts and watches executions through the
// same Step Functions API, in process, signing with serve's key like any
// other client.
func frontDoor(p *embedded.Pipeline, sfnAPI http.Handler, key sfnapi.Credentials, dataDir string) (http.Handler, error) {
	secret, err := guestSecret(dataDir)
	if err != nil {
		return nil, err
	}
	client := sfn.New(sfn.Options{
		Region:       embedded.Region,
		BaseEndpoint: aws.String("http://divinepic.internal"),
		HTTPClient:   webapp.InProcess(sfnAPI),
		Credentials:  credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, ""),
	})
	app, err := webapp.New(webapp.Options{
		Steps:    p.Steps,
		Workflow: &webapp.StepFunctions{Client: client, StateMachineARN: p.Machine.ARN},
		Secret:   secret,
	})
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "" {
			sfnAPI.ServeHTTP(w, r)
			return
		}
		app.ServeHTTP(w, r)
	}), nil
}

func guestSecret(dataDir string) ([]byte, error) {
	if v := os.Getenv(names.EnvGuestSecret); v != "" {
		return webapp.SecretFromEnv(names.EnvGuestSecret, v)
	}
	return webapp.LoadOrCreateSecret(filepath.Join(dataDir, appSecretFile))
}
