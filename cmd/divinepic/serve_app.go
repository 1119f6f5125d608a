package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/webapp"
)

// appSecretFile is where serve keeps the secret of guest links when
// DIVINEPIC_GUEST_SECRET is unset.
const appSecretFile = "app-secret"

// frontDoor is what serve serves on its one port: the Step Functions API
// (requests with an X-Amz-Target header, as every SDK sends) and the web
// app (everything else). The app starts and watches executions through the
// same Step Functions API, in process.
func frontDoor(p *embedded.Pipeline, sfnAPI http.Handler, dataDir string) (http.Handler, error) {
	secret, err := guestSecret(dataDir)
	if err != nil {
		return nil, err
	}
	client := sfn.New(sfn.Options{
		Region:       embedded.Region,
		BaseEndpoint: aws.String("http://divinepic.internal"),
		HTTPClient:   webapp.InProcess(sfnAPI),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
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

// checkListen refuses a non-loopback address unless public is set, and
// warns when it is.
func checkListen(addr string, public bool, warn func(string)) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want HOST:PORT", addr)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	if !public {
		return fmt.Errorf("--addr %s is not a loopback address: anyone who can reach this machine could use it; add --public to mean it", addr)
	}
	warn(fmt.Sprintf("WARNING: serving on %s, reachable from other machines: photographer tokens and guest links travel in clear text without HTTPS in front", addr))
	return nil
}
