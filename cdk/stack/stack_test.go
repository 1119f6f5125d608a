package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/artifact"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
)

// TestMain stops the jsii runtime (a node process) when the tests end.
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// fakeRepo is a repository root with the real workflow file and Dockerfile,
// some build outputs present and some missing, and files that must never
// reach an image's build context.
type fakeRepo struct {
	root string
}

// Built by the fake `make package`: the zips of list, failures, aggregate and detect;
// embed's container image inputs (its bootstrap, the library and models).
// Missing: reprocess and search.
var (
	builtSteps   = []string{names.StepList, names.StepFailures, names.StepAggregate, names.StepDetect}
	imageSteps   = []string{names.StepEmbed}
	missingSteps = []string{names.StepReprocess, names.StepSearch}
)

func newFakeRepo(t testing.TB, dir string) fakeRepo {
	real, err := FindRepoRoot(".")
	require.NoError(t, err)
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o755))
	}
	copyFile := func(rel string) {
		b, err := os.ReadFile(filepath.Join(real, rel))
		require.NoError(t, err)
		write(rel, string(b))
	}
	copyFile(DefinitionFile)
	copyFile(Dockerfile)
	write("go.mod", "module example\n")
	for _, step := range builtSteps {
		write(artifact.Dir+"/"+artifact.ZipName(step, modelpack.DefaultPack), "zip of "+step)
	}
	for _, step := range imageSteps {
		write(LambdaBinDir+"/"+step+"/bootstrap", "binary of "+step)
	}
	write(ImageLibrary, "onnxruntime")
	write(ImageModels+"/yunet_s_dynamic.onnx", "detector")
	write(ImageModels+"/faceplugin_fr_feature.onnx", "recognizer")
	// Never part of an image context.
	write("shared/secret.go", "package shared")
	write("bin/divinepic", "the CLI")
	write("lambdas/detect/main.go", "package main")
	write(".git/config", "[core]")
	return fakeRepo{root: dir}
}

// synthesized is one stack synthesized from the fake repository.
type synthesized struct {
	stack    *Stack
	template map[string]any
	outdir   string
	repo     fakeRepo
}

var (
	defaultOnce sync.Once
	defaultSyn  *synthesized
	defaultErr  error
)

// defaultStack synthesizes the stack with default props once for all tests.
func defaultStack(t *testing.T) *synthesized {
	t.Helper()
	defaultOnce.Do(func() {
		base, err := os.MkdirTemp("", "divinepic-cdk-test-*")
		if err != nil {
			defaultErr = err
			return
		}
		// Removed by the OS's temp cleaning; tests share it across t.Run.
		defaultSyn, defaultErr = synth(t, filepath.Join(base, "repo"), filepath.Join(base, "cdk.out"), nil)
	})
	require.NoError(t, defaultErr)
	return defaultSyn
}

func synth(t testing.TB, repoDir, outdir string, edit func(*Props)) (*synthesized, error) {
	repo := newFakeRepo(t, repoDir)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	props := &Props{RepoRoot: repo.root, Placeholders: true}
	if edit != nil {
		edit(props)
	}
	s, err := New(app, "DivinePicTest", props)
	if err != nil {
		return nil, err
	}
	tmpl := assertions.Template_FromStack(s.Stack, nil).ToJSON()
	b, err := json.Marshal(tmpl)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &synthesized{stack: s, template: m, outdir: outdir, repo: repo}, nil
}

func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.template["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(r map[string]any) map[string]any { return r["Properties"].(map[string]any) }

// bucketID is the photo bucket's logical ID.
func (s *synthesized) bucketID() string {
	return *s.stack.GetLogicalId(s.stack.Bucket.Node().DefaultChild().(awscdk.CfnElement))
}

func (s *synthesized) functionID(t *testing.T, step string) string {
	t.Helper()
	fn, ok := s.stack.Functions[step]
	require.True(t, ok, "no function for step %s", step)
	cfn := fn.Node().DefaultChild().(awscdk.CfnElement)
	return *s.stack.GetLogicalId(cfn)
}

func ref(id string) map[string]any       { return map[string]any{"Ref": id} }
func getAtt(id, a string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, a}} }

func TestResourceCounts(t *testing.T) {
	s := defaultStack(t)
	m, err := modelpack.Default()
	require.NoError(t, err)
	tests := []struct {
		typ  string
		want int
	}{
		{"AWS::S3::Bucket", 2}, // photos, and its access logs
		{"AWS::S3Vectors::VectorBucket", 1},
		{"AWS::S3Vectors::Index", len(m.PackNames())},
		{"AWS::Lambda::Function", len(names.Steps) + 1}, // the steps and the app
		{"AWS::StepFunctions::StateMachine", 1},
		{"AWS::Scheduler::Schedule", 1},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			assert.Len(t, s.resources(tt.typ), tt.want)
		})
	}
}

func TestBucket(t *testing.T) {
	s := defaultStack(t)
	bucket := props(s.resources("AWS::S3::Bucket")[s.bucketID()])
	assert.Equal(t, map[string]any{"Status": "Enabled"}, bucket["VersioningConfiguration"], "photos survive an overwrite or a delete")
	assert.Equal(t, map[string]any{
		"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
	}, bucket["PublicAccessBlockConfiguration"])
	assert.Contains(t, fmt.Sprint(bucket["BucketEncryption"]), "AES256")
	expiring := map[string]float64{}
	for _, r := range bucket["LifecycleConfiguration"].(map[string]any)["Rules"].([]any) {
		rule := r.(map[string]any)
		if p, ok := rule["Prefix"].(string); ok && rule["ExpirationInDays"] != nil {
			expiring[p] = rule["ExpirationInDays"].(float64)
		}
	}
	assert.Equal(t, map[string]float64{"work/": DefaultExpireAfterDays, "results/": DefaultExpireAfterDays}, expiring)
}

// taskFunctions walks a States Language definition (Map item processors
// included) and returns each Task's FunctionName by state name.
func taskFunctions(states map[string]any, out map[string]any) {
	for name, v := range states {
		st := v.(map[string]any)
		if st["Type"] == "Task" {
			out[name] = st["Parameters"].(map[string]any)["FunctionName"]
		}
		for _, key := range []string{"ItemProcessor", "Iterator"} {
			if proc, ok := st[key].(map[string]any); ok {
				taskFunctions(proc["States"].(map[string]any), out)
			}
		}
		if branches, ok := st["Branches"].([]any); ok {
			for _, b := range branches {
				taskFunctions(b.(map[string]any)["States"].(map[string]any), out)
			}
		}
	}
}

func TestStateMachine(t *testing.T) {
	s := defaultStack(t)
	sms := s.resources("AWS::StepFunctions::StateMachine")
	require.Len(t, sms, 1)
	var sm map[string]any
	for _, r := range sms {
		sm = props(r)
	}
	assert.Equal(t, "STANDARD", sm["StateMachineType"])
	assert.Equal(t, "ERROR", sm["LoggingConfiguration"].(map[string]any)["Level"])
	assert.Equal(t, map[string]any{"Enabled": true}, sm["TracingConfiguration"])

	def, ok := sm["DefinitionString"].(string)
	require.True(t, ok, "DefinitionString should be the file's text, got %T", sm["DefinitionString"])
	subs := sm["DefinitionSubstitutions"].(map[string]any)
	assert.ElementsMatch(t, names.Placeholders([]byte(def)), keys(subs), "every placeholder filled, every substitution used")

	// Put in what CloudFormation will: intrinsics become recognisable text.
	text := map[string]string{}
	for k, v := range subs {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		if s, ok := v.(string); ok {
			text[k] = s
		} else {
			text[k] = "INTRINSIC" + strings.ReplaceAll(string(b), `"`, "'")
		}
	}
	final, err := names.Substitute([]byte(def), text)
	require.NoError(t, err)
	assert.Empty(t, names.Placeholders(final), "no ${...} left after substitution")
	var asl map[string]any
	require.NoError(t, json.Unmarshal(final, &asl), "the definition after substitution is JSON")

	fns := map[string]any{}
	taskFunctions(asl["States"].(map[string]any), fns)
	want := map[string]string{"ListImages": names.StepList, "DetectFaces": names.StepDetect, "EmbedFaces": names.StepEmbed,
		"CollectFailures": names.StepFailures, "Aggregate": names.StepAggregate, "People": names.StepPeople}
	require.Len(t, fns, len(want), "Tasks in the definition: %v", keys(fns))
	for state, step := range want {
		b, _ := json.Marshal(getAtt(s.functionID(t, step), "Arn"))
		assert.Equal(t, "INTRINSIC"+strings.ReplaceAll(string(b), `"`, "'"), fns[state], "state %s invokes the %s Lambda", state, step)
	}

	mp := asl["States"].(map[string]any)["ProcessImages"].(map[string]any)
	assert.Equal(t, float64(DefaultMaxConcurrency), mp["MaxConcurrency"])
	assert.Equal(t, float64(DefaultToleratedFailurePercentage), mp["ToleratedFailurePercentage"])
	rw := mp["ResultWriter"].(map[string]any)["Parameters"].(map[string]any)
	assert.Equal(t, DefaultResultPrefix, rw["Prefix"])
	report := asl["States"].(map[string]any)[names.StateReportFailures].(map[string]any)
	assert.Equal(t, float64(DefaultMaxConcurrency), report["MaxConcurrency"])
	assert.Equal(t, "$.list.toleratedFailures", report["ToleratedFailureCountPath"], "ListImages' share of the photos")
	list := asl["States"].(map[string]any)["ListImages"].(map[string]any)["Parameters"].(map[string]any)["Payload"].(map[string]any)
	assert.Equal(t, float64(DefaultMaxConcurrency), list["maxConcurrency"], "ListImages sizes the batches for the Map's concurrency")
	assert.Equal(t, float64(DefaultToleratedFailurePercentage), list["toleratedFailurePercentage"])
	bucketID := s.bucketID()
	assert.Equal(t, ref(bucketID), subs[names.PlaceholderResultBucket])
}

func TestStateMachineProps(t *testing.T) {
	s, err := synth(t, filepath.Join(t.TempDir(), "repo"), filepath.Join(t.TempDir(), "out"), func(p *Props) {
		p.MaxConcurrency = 7
		p.ToleratedFailurePercentage = NoToleratedFailures
		p.ResultPrefix = "maps/"
		p.NightlyHourUTC = 22
	})
	require.NoError(t, err)
	for _, r := range s.resources("AWS::StepFunctions::StateMachine") {
		subs := props(r)["DefinitionSubstitutions"].(map[string]any)
		assert.Equal(t, "7", subs[names.PlaceholderMaxConcurrency])
		assert.Equal(t, "0", subs[names.PlaceholderToleratedFailurePercentage])
		assert.Equal(t, "maps/", subs[names.PlaceholderResultPrefix])
	}
	for _, r := range s.resources("AWS::Scheduler::Schedule") {
		assert.Equal(t, "cron(0 22 * * ? *)", props(r)["ScheduleExpression"])
	}
}

func TestLambdas(t *testing.T) {
	s := defaultStack(t)
	fns := s.resources("AWS::Lambda::Function")
	var bucketID, smID string
	bucketID = s.bucketID()
	for id := range s.resources("AWS::StepFunctions::StateMachine") {
		smID = id
	}
	tests := []struct {
		step     string
		image    bool
		arch     string
		memory   float64
		timeout  float64
		reserved any
	}{
		{names.StepList, false, "arm64", 512, 900, nil},
		{names.StepDetect, false, "x86_64", 1024, 50, float64(DefaultMaxConcurrency)},
		{names.StepEmbed, true, "x86_64", 1024, 50, float64(DefaultMaxConcurrency)},
		{names.StepAggregate, false, "arm64", 1024, 900, nil},
		{names.StepReprocess, false, "arm64", 512, 900, float64(1)},
		{names.StepSearch, false, "x86_64", 1769, 60, float64(DefaultSearchConcurrency)},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			r, ok := fns[s.functionID(t, tt.step)]
			require.True(t, ok)
			p := props(r)
			assert.Equal(t, []any{tt.arch}, p["Architectures"])
			if tt.image {
				assert.Equal(t, "Image", p["PackageType"])
				assert.Nil(t, p["Runtime"])
			} else {
				assert.Equal(t, "provided.al2023", p["Runtime"])
				assert.Equal(t, "bootstrap", p["Handler"])
			}
			assert.Equal(t, tt.memory, p["MemorySize"])
			assert.Equal(t, tt.timeout, p["Timeout"])
			assert.Equal(t, tt.reserved, p["ReservedConcurrentExecutions"])
			assert.Equal(t, "JSON", p["LoggingConfig"].(map[string]any)["LogFormat"])
			env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			assert.Equal(t, "s3://", env[names.EnvBlobs])
			assert.Equal(t, "s3vectors://"+s.stack.VectorBucketName, env[names.EnvVectors])
			assert.Equal(t, "default", env[names.EnvPack])
			assert.Equal(t, ref(bucketID), env[names.EnvBucket])
			if tt.step == names.StepReprocess {
				assert.Equal(t, ref(smID), env[names.EnvStateMachineARN])
			} else {
				assert.NotContains(t, env, names.EnvStateMachineARN)
			}
			switch tt.step {
			case names.StepDetect, names.StepSearch:
				// Half the function's memory: a photo over it is refused,
				// not an out-of-memory end of the function.
				assert.Equal(t, strconv.Itoa(int(tt.memory)/2), env[names.EnvMaxDecodeMB])
			default:
				assert.NotContains(t, env, names.EnvMaxDecodeMB, "%s decodes no photo", tt.step)
			}
		})
	}
}

// policyStatements returns the statements of every IAM policy attached to
// the role with the given logical ID.
func (s *synthesized) policyStatements(roleID string) []map[string]any {
	var out []map[string]any
	for _, r := range s.resources("AWS::IAM::Policy") {
		p := props(r)
		if !slices.ContainsFunc(p["Roles"].([]any), func(v any) bool { return reflect.DeepEqual(v, ref(roleID)) }) {
			continue
		}
		for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	return out
}

// allows reports whether a statement allows action on a resource whose JSON
// contains every one of parts.
func allows(stmts []map[string]any, action string, parts ...string) bool {
	for _, st := range stmts {
		if st["Effect"] != "Allow" || !slices.Contains(asList(st["Action"]), any(action)) {
			continue
		}
		for _, res := range asList(st["Resource"]) {
			b, _ := json.Marshal(res)
			ok := true
			for _, part := range parts {
				ok = ok && strings.Contains(string(b), part)
			}
			if ok {
				return true
			}
		}
	}
	return false
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func roleOf(r map[string]any) string {
	role := props(r)["Role"]
	if role == nil {
		role = props(r)["RoleArn"]
	}
	if m, ok := role.(map[string]any); ok {
		if ga, ok := m["Fn::GetAtt"].([]any); ok {
			return ga[0].(string)
		}
	}
	return ""
}

func TestStateMachinePolicy(t *testing.T) {
	s := defaultStack(t)
	var smID, roleID string
	for id, r := range s.resources("AWS::StepFunctions::StateMachine") {
		smID, roleID = id, roleOf(r)
	}
	require.NotEmpty(t, roleID)
	stmts := s.policyStatements(roleID)
	name := s.stack.StateMachineName
	for _, step := range []string{names.StepList, names.StepDetect, names.StepEmbed, names.StepAggregate} {
		assert.True(t, allows(stmts, "lambda:InvokeFunction", s.functionID(t, step)), "invoke %s", step)
	}
	for _, step := range []string{names.StepReprocess, names.StepSearch} {
		assert.False(t, allows(stmts, "lambda:InvokeFunction", s.functionID(t, step)), "the workflow never invokes %s", step)
	}
	// Distributed Map: child executions of this state machine, by name.
	assert.True(t, allows(stmts, "states:StartExecution", ":stateMachine:"+name))
	for _, a := range []string{"states:DescribeExecution", "states:StopExecution"} {
		assert.True(t, allows(stmts, a, ":execution:"+name+"/*"), a)
	}
	// ItemReader and ResultWriter.
	bucketID := s.bucketID()
	assert.True(t, allows(stmts, "s3:GetObject", bucketID, names.WorkPrefix+"*"), "ItemReader reads the manifest")
	for _, a := range []string{"s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"} {
		assert.True(t, allows(stmts, a, bucketID, DefaultResultPrefix+"*"), a)
		assert.False(t, allows(stmts, a, bucketID, names.AlbumsPrefix), "%s under albums/", a)
	}
	for _, st := range stmts {
		b, _ := json.Marshal(st)
		assert.NotContains(t, string(b), smID, "the role's policy may not refer to the state machine itself (a cycle)")
	}

	// The reprocess Lambda may start executions.
	reprocess := s.resources("AWS::Lambda::Function")[s.functionID(t, names.StepReprocess)]
	assert.True(t, allows(s.policyStatements(roleOf(reprocess)), "states:StartExecution", smID))
	for _, step := range []string{names.StepList, names.StepDetect, names.StepEmbed, names.StepAggregate, names.StepSearch} {
		fn := s.resources("AWS::Lambda::Function")[s.functionID(t, step)]
		assert.False(t, allows(s.policyStatements(roleOf(fn)), "states:StartExecution"), "%s may not start executions", step)
	}
	aggregate := s.resources("AWS::Lambda::Function")[s.functionID(t, names.StepAggregate)]
	assert.True(t, allows(s.policyStatements(roleOf(aggregate)), "s3vectors:PutVectors", "/index/*"))
	assert.True(t, allows(s.policyStatements(roleOf(aggregate)), "s3vectors:DeleteVectors", "/index/*"))
}

// TestNoDependencyCycle follows Ref, Fn::GetAtt and DependsOn between the
// template's resources: CloudFormation refuses a template with a cycle.
func TestNoDependencyCycle(t *testing.T) {
	s := defaultStack(t)
	res := s.template["Resources"].(map[string]any)
	deps := map[string][]string{}
	for id, r := range res {
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if target, ok := v["Ref"].(string); ok {
					deps[id] = append(deps[id], target)
				}
				if ga, ok := v["Fn::GetAtt"].([]any); ok {
					deps[id] = append(deps[id], ga[0].(string))
				}
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(r.(map[string]any)["Properties"])
		for _, d := range asList(r.(map[string]any)["DependsOn"]) {
			if d != nil {
				deps[id] = append(deps[id], d.(string))
			}
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	var path []string
	var visit func(id string) error
	visit = func(id string) error {
		if _, ok := res[id]; !ok || state[id] == 2 {
			return nil
		}
		if state[id] == 1 {
			return fmt.Errorf("cycle: %s -> %s", strings.Join(path, " -> "), id)
		}
		state[id] = 1
		path = append(path, id)
		for _, d := range deps[id] {
			if err := visit(d); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[id] = 2
		return nil
	}
	for _, id := range keys(res) {
		require.NoError(t, visit(id))
	}
}

func TestSchedule(t *testing.T) {
	s := defaultStack(t)
	for _, r := range s.resources("AWS::Scheduler::Schedule") {
		p := props(r)
		assert.Equal(t, "cron(0 3 * * ? *)", p["ScheduleExpression"])
		assert.Equal(t, "Etc/UTC", p["ScheduleExpressionTimezone"])
		target := p["Target"].(map[string]any)
		assert.Equal(t, getAtt(s.functionID(t, names.StepReprocess), "Arn"), target["Arn"])
		assert.Contains(t, target["Input"], "<aws.scheduler.scheduled-time>")
	}
}

func TestVectorIndexes(t *testing.T) {
	s := defaultStack(t)
	m, err := modelpack.Default()
	require.NoError(t, err)
	var metadataKeys []string
	mt := reflect.TypeFor[vectors.Metadata]()
	for i := range mt.NumField() {
		metadataKeys = append(metadataKeys, strings.Split(mt.Field(i).Tag.Get("json"), ",")[0])
	}
	var vbID string
	for id, r := range s.resources("AWS::S3Vectors::VectorBucket") {
		vbID = id
		assert.Equal(t, s.stack.VectorBucketName, props(r)["VectorBucketName"])
	}
	byName := map[string]map[string]any{}
	for _, r := range s.resources("AWS::S3Vectors::Index") {
		byName[props(r)["IndexName"].(string)] = props(r)
	}
	for _, pack := range m.PackNames() {
		t.Run(pack, func(t *testing.T) {
			pk, err := m.Pack(pack)
			require.NoError(t, err)
			// The index of the pack's version: the one Aggregate and Search use.
			name, err := names.IndexForPack(pk.Version)
			require.NoError(t, err)
			p, ok := byName[name]
			require.True(t, ok, "an index %s for pack %s", name, pack)
			assert.EqualValues(t, pk.Recognizer.EmbeddingDim, p["Dimension"])
			assert.Equal(t, "cosine", p["DistanceMetric"])
			assert.Equal(t, "float32", p["DataType"])
			assert.Equal(t, getAtt(vbID, "VectorBucketArn"), p["VectorBucketArn"])
			nf := p["MetadataConfiguration"].(map[string]any)["NonFilterableMetadataKeys"].([]any)
			assert.NotContains(t, nf, "albumId", "queries filter by album")
			for _, k := range nf {
				assert.Contains(t, metadataKeys, k, "a key the vector store writes")
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	s := defaultStack(t)
	outputs := s.template["Outputs"].(map[string]any)
	for _, k := range []string{"BucketName", "StateMachineArn", "VectorBucketName"} {
		assert.Contains(t, outputs, k)
	}
	assert.Equal(t, s.stack.VectorBucketName, outputs["VectorBucketName"].(map[string]any)["Value"])
}

// assetManifest is the part of <stack>.assets.json the tests read.
type assetManifest struct {
	Files map[string]struct {
		Source struct {
			Path      string `json:"path"`
			Packaging string `json:"packaging"`
		} `json:"source"`
	} `json:"files"`
	DockerImages map[string]struct {
		Source struct {
			Directory       string            `json:"directory"`
			DockerFile      string            `json:"dockerFile"`
			DockerBuildArgs map[string]string `json:"dockerBuildArgs"`
			Platform        string            `json:"platform"`
		} `json:"source"`
	} `json:"dockerImages"`
}

func (s *synthesized) assets(t *testing.T) assetManifest {
	b, err := os.ReadFile(filepath.Join(s.outdir, *s.stack.ArtifactId()+".assets.json"))
	require.NoError(t, err)
	var m assetManifest
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// TestImageContext checks what each container image's build context holds:
// the Dockerfile, its own step's binary, ONNX Runtime and the models; never
// another step's binary or anything else of the repository.
func TestImageContext(t *testing.T) {
	s := defaultStack(t)
	manifest := s.assets(t)
	steps := map[string][]string{}
	for _, img := range manifest.DockerImages {
		src := img.Source
		assert.Equal(t, Dockerfile, src.DockerFile)
		assert.Equal(t, "linux/amd64", src.Platform)
		var files []string
		dir := filepath.Join(s.outdir, src.Directory)
		require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				files = append(files, filepath.ToSlash(rel))
			}
			return err
		}))
		sort.Strings(files)
		steps[src.DockerBuildArgs["STEP"]] = files
	}
	want := []string{ImageLibrary, ImageModels + "/faceplugin_fr_feature.onnx", ImageModels + "/yunet_s_dynamic.onnx", Dockerfile,
		LambdaBinDir + "/embed/bootstrap"}
	sort.Strings(want)
	assert.Equal(t, map[string][]string{names.StepEmbed: want}, steps, "only embed has no zip, and image inputs")
}

func TestMissingBuild(t *testing.T) {
	s := defaultStack(t)
	var want []string
	for _, step := range append(missingSteps, names.StepPeople, names.App) { // the fake repository builds neither
		z := artifact.Dir + "/" + artifact.ZipName(step, modelpack.DefaultPack)
		if names.NeedsONNX(step) {
			z += " (or the container image's inputs: make package PACK=default)"
		}
		want = append(want, z)
	}
	assert.ElementsMatch(t, want, s.stack.MissingBuild)
	// The template refers to the zips make package wrote, and to the
	// placeholder that fails loudly.
	var contents []string
	for _, f := range s.assets(t).Files {
		if !strings.HasPrefix(f.Source.Path, "asset.") {
			continue // the template itself
		}
		p := filepath.Join(s.outdir, f.Source.Path)
		if f.Source.Packaging == "zip" {
			p = filepath.Join(p, "bootstrap")
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		contents = append(contents, string(b))
	}
	assert.ElementsMatch(t, []string{"zip of list", "zip of failures", "zip of aggregate", "zip of detect", placeholderBootstrap}, contents,
		"reprocess and search get the placeholder; identical placeholders are one asset")

	t.Run("without placeholders", func(t *testing.T) {
		repo := newFakeRepo(t, t.TempDir())
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
		_, err := New(app, "Strict", &Props{RepoRoot: repo.root})
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrNotBuilt), "%v", err)
		assert.Contains(t, err.Error(), "run `make package`")
	})
}

func TestDefinitionMismatchFailsSynth(t *testing.T) {
	repo := newFakeRepo(t, t.TempDir())
	def, err := os.ReadFile(filepath.Join(repo.root, DefinitionFile))
	require.NoError(t, err)
	bad := strings.Replace(string(def), `"${ResultPrefix}"`, `"${ResultPrefix}${Unfilled}"`, 1)
	require.NotEqual(t, string(def), bad)
	path := filepath.Join(t.TempDir(), "bad.asl.json")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	_, err = New(app, "Bad", &Props{RepoRoot: repo.root, Definition: path, Placeholders: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "${Unfilled} has no substitution")
}

func TestPropsValidation(t *testing.T) {
	tests := []struct {
		name string
		p    Props
		want string
	}{
		{"no repo root", Props{}, "RepoRoot is required"},
		{"concurrency", Props{RepoRoot: "x", MaxConcurrency: -3}, "MaxConcurrency"},
		{"tolerance", Props{RepoRoot: "x", ToleratedFailurePercentage: 120}, "ToleratedFailurePercentage"},
		{"hour", Props{RepoRoot: "x", NightlyHourUTC: 24}, "NightlyHourUTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := withDefaults(&tt.p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// An image staged for one pack is not deployed as another: the stack
// checks that bin/image/models has the pack's files.
func TestImageOfAnotherPack(t *testing.T) {
	s, err := synth(t, filepath.Join(t.TempDir(), "repo"), filepath.Join(t.TempDir(), "out"), func(p *Props) {
		p.Pack = "scrfd-500m"
	})
	require.NoError(t, err)
	assert.Empty(t, s.assets(t).DockerImages, "the staged image carries the default pack")
	assert.Contains(t, s.stack.MissingBuild, artifact.Dir+"/"+artifact.ZipName(names.StepEmbed, "scrfd-500m")+
		" (or the container image's inputs: make package PACK=scrfd-500m)")
	assert.Contains(t, s.stack.MissingBuild, artifact.Dir+"/"+artifact.ZipName(names.StepDetect, "scrfd-500m")+
		" (or the container image's inputs: make package PACK=scrfd-500m)", "detect-default.zip is not this pack's")
	assert.NotContains(t, s.stack.MissingBuild, artifact.Dir+"/"+artifact.ZipName(names.StepList, "scrfd-500m"), "pure-Go zips carry no pack")
}
