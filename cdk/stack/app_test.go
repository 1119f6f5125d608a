package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/webapp/applambda"
)

func (s *synthesized) appID(t *testing.T) string {
	t.Helper()
	require.NotNil(t, s.stack.App)
	return *s.stack.GetLogicalId(s.stack.App.Node().DefaultChild().(awscdk.CfnElement))
}

// appStatements are the statements of the app's role policy, by Sid
// (CDK's own grants have none and are keyed by their actions).
func (s *synthesized) appStatements(t *testing.T) map[string]map[string]any {
	t.Helper()
	fn := props(s.template["Resources"].(map[string]any)[s.appID(t)].(map[string]any))
	role := fn["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	out := map[string]map[string]any{}
	for _, p := range s.resources("AWS::IAM::Policy") {
		pp := props(p)
		attached := false
		for _, r := range pp["Roles"].([]any) {
			attached = attached || fmt.Sprint(r) == fmt.Sprint(ref(role))
		}
		if !attached {
			continue
		}
		for _, st := range pp["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			m := st.(map[string]any)
			key, _ := m["Sid"].(string)
			if key == "" {
				key = fmt.Sprint(m["Action"])
			}
			out[key] = m
		}
	}
	return out
}

func TestAppFunctionAndURL(t *testing.T) {
	s := defaultStack(t)
	id := s.appID(t)
	fn := props(s.template["Resources"].(map[string]any)[id].(map[string]any))
	assert.Equal(t, []any{"x86_64"}, fn["Architectures"], "the app searches with ONNX: x86_64 like search")
	assert.Equal(t, "provided.al2023", fn["Runtime"], "a zip of make package (a placeholder in the fake repository), like search")
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	for _, v := range []string{names.EnvBlobs, names.EnvVectors, names.EnvBucket, names.EnvPack, names.EnvStateMachineARN, names.EnvGuestSecretARN} {
		assert.Contains(t, env, v)
	}
	assert.NotContains(t, env, names.EnvGuestSecret, "the secret itself is never in the environment")

	urls := s.resources("AWS::Lambda::Url")
	require.Len(t, urls, 1)
	for _, u := range urls {
		p := props(u)
		assert.Equal(t, "NONE", p["AuthType"], "the app authenticates every route itself")
		assert.Equal(t, "RESPONSE_STREAM", p["InvokeMode"], "lambdaurl streams responses")
		assert.Equal(t, getAtt(id, "Arn"), p["TargetFunctionArn"])
	}
	out := s.template["Outputs"].(map[string]any)["AppUrl"].(map[string]any)
	assert.Contains(t, fmt.Sprint(out["Value"]), "FunctionUrl")
}

func TestAppSecret(t *testing.T) {
	s := defaultStack(t)
	secrets := s.resources("AWS::SecretsManager::Secret")
	require.Len(t, secrets, 1)
	for _, sec := range secrets {
		gen := props(sec)["GenerateSecretString"].(map[string]any)
		assert.GreaterOrEqual(t, gen["PasswordLength"], float64(64))
	}
	read := false
	for _, st := range s.appStatements(t) {
		read = read || strings.Contains(fmt.Sprint(st["Action"]), "secretsmanager:GetSecretValue")
	}
	assert.True(t, read, "the app reads its secret")
}

func TestBucketCORSForPresignedPuts(t *testing.T) {
	s := defaultStack(t)
	rules := props(s.resources("AWS::S3::Bucket")[s.bucketID()])["CorsConfiguration"].(map[string]any)["CorsRules"].([]any)
	require.Len(t, rules, 1)
	r := rules[0].(map[string]any)
	assert.ElementsMatch(t, []any{"PUT", "GET"}, r["AllowedMethods"])
	assert.Contains(t, r["AllowedHeaders"], "Content-MD5", "presigned PUTs carry the MD5")
	assert.Contains(t, fmt.Sprint(r["AllowedOrigins"]), ".lambda-url.")
	assert.NotContains(t, r["AllowedOrigins"], "*", "not any origin")
}

// The app's IAM is exactly what its routes do: read what it shows, write
// only photos and its records, never delete, never touch the work area.
func TestAppLeastPrivilege(t *testing.T) {
	s := defaultStack(t)
	st := s.appStatements(t)
	resources := func(sid string) []string {
		require.Contains(t, st, sid)
		var out []string
		switch r := st[sid]["Resource"].(type) {
		case []any:
			for _, x := range r {
				b, _ := json.Marshal(x)
				out = append(out, string(b))
			}
		default:
			b, _ := json.Marshal(r)
			out = append(out, string(b))
		}
		sort.Strings(out)
		return out
	}
	writes := resources("WritePhotosAndAppRecords")
	assert.Equal(t, "s3:PutObject", st["WritePhotosAndAppRecords"]["Action"])
	require.Len(t, writes, 2)
	assert.Contains(t, writes[0]+writes[1], "/"+names.AlbumsPrefix+"*")
	assert.Contains(t, writes[0]+writes[1], "/"+names.AppPrefix+"*")
	reads := strings.Join(resources("ReadWhatTheAppShows"), " ")
	for _, no := range []string{names.WorkPrefix, names.ResultsPrefix} {
		assert.NotContains(t, reads, "/"+no, "the app never reads the work area")
	}
	assert.Contains(t, fmt.Sprint(st["ListAlbumsAndRecords"]["Condition"]), "s3:prefix")
	for sid, stmt := range st {
		a := fmt.Sprint(stmt["Action"])
		for _, bad := range []string{"s3:DeleteObject", "s3:*", "s3vectors:PutVectors", "s3vectors:DeleteVectors", "states:StopExecution", "*"} {
			assert.False(t, a == bad || strings.Contains(a, bad+" ") || strings.HasSuffix(a, " "+bad) || strings.Contains(a, "["+bad+"]"),
				"%s grants %s", sid, bad)
		}
	}
	assert.Contains(t, fmt.Sprint(st["StartAlbums"]["Resource"]), "Ref")
	assert.Contains(t, fmt.Sprint(resources("WatchAlbums")), ":mapRun:")
}

// The app's environment, as CloudFormation resolves it, names only
// variables the app reads, and builds the app through its Lambda's
// composition root (applambda.Handler) as the cold start does. The secret
// itself comes from Secrets Manager at deploy time; here its value is
// given directly, which the Handler prefers.
func TestAppEnvironmentBuildsTheApp(t *testing.T) {
	s := defaultStack(t)
	bucketID, machineID, secretID := s.bucketID(), "", ""
	for id := range s.resources("AWS::StepFunctions::StateMachine") {
		machineID = id
	}
	for id := range s.resources("AWS::SecretsManager::Secret") {
		secretID = id
	}
	fn := props(s.template["Resources"].(map[string]any)[s.appID(t)].(map[string]any))
	env := map[string]string{}
	for k, v := range fn["Environment"].(map[string]any)["Variables"].(map[string]any) {
		switch {
		case isString(v):
			env[k] = v.(string)
		case assert.ObjectsAreEqual(ref(bucketID), v):
			env[k] = deployBucket
		case assert.ObjectsAreEqual(ref(machineID), v):
			env[k] = arn.StateMachine{Region: deployRegion, Account: deployAccount, Name: s.stack.StateMachineName}.String()
		case assert.ObjectsAreEqual(ref(secretID), v):
			env[k] = "arn:aws:secretsmanager:" + deployRegion + ":" + deployAccount + ":secret:GuestLinkSecret-abcdef"
		default:
			t.Fatalf("%s is %v, which this test cannot resolve", k, v)
		}
	}
	reads := append(append([]string{}, config.Variables...), names.EnvGuestSecretARN, names.EnvGuestSecret, names.EnvAppURL)
	for k := range env {
		assert.Contains(t, reads, k, "the stack sets %s, which the app never reads", k)
	}
	assert.NotEmpty(t, env[names.EnvGuestSecretARN])
	t.Setenv("AWS_REGION", deployRegion)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	for _, k := range reads {
		t.Setenv(k, env[k])
	}
	t.Setenv(names.EnvGuestSecret, strings.Repeat("5e", 32))
	h, err := applambda.Handler(context.Background())
	require.NoError(t, err)
	assert.NotNil(t, h)
}
