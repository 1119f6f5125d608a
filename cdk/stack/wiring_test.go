package stack

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/vectors/s3vectorsserver"
)

// Stand-ins for what CloudFormation resolves at deploy time.
const (
	deployRegion  = "us-east-1"
	deployAccount = "123456789012"
	deployBucket  = "divinepic-photos-sample"
)

// lambdaEnv is the environment the stack gives a step's Lambda, with each
// CloudFormation reference replaced by what it resolves to: the photo
// bucket's name, the state machine's ARN.
func (s *synthesized) lambdaEnv(t *testing.T, step string) map[string]string {
	t.Helper()
	bucketID, machineID := s.bucketID(), ""
	for id := range s.resources("AWS::StepFunctions::StateMachine") {
		machineID = id
	}
	fn := s.resources("AWS::Lambda::Function")[s.functionID(t, step)]
	vars := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	env := map[string]string{}
	for k, v := range vars {
		switch {
		case isString(v):
			env[k] = v.(string)
		case assert.ObjectsAreEqual(ref(bucketID), v):
			env[k] = deployBucket
		case assert.ObjectsAreEqual(ref(machineID), v):
			env[k] = arn.StateMachine{Region: deployRegion, Account: deployAccount, Name: s.stack.StateMachineName}.String()
		default:
			t.Fatalf("%s: %s is %v, which this test cannot resolve", step, k, v)
		}
	}
	return env
}

func isString(v any) bool { _, ok := v.(string); return ok }

// Each Lambda's environment, parsed back by the loader the Lambda runs
// (shared/config), names only variables the loader reads, says what the
// stack means, and builds the step's handler through shared/lambdamain as
// the cold start does (the stores are opened; nothing is called).
func TestLambdaEnvironmentParsesBackThroughConfig(t *testing.T) {
	s := defaultStack(t)
	for _, step := range names.Steps {
		t.Run(step, func(t *testing.T) {
			env := s.lambdaEnv(t, step)
			for k := range env {
				assert.Contains(t, config.Variables, k, "the stack sets %s, which the Lambda never reads", k)
			}
			c, err := config.Parse(func(k string) string { return env[k] })
			require.NoError(t, err)
			assert.Equal(t, deployBucket, c.Bucket)
			assert.Equal(t, modelpack.DefaultPack, c.Pack)
			u, err := url.Parse(c.Vectors)
			require.NoError(t, err)
			assert.Equal(t, "s3vectors", u.Scheme)
			assert.Equal(t, s.stack.VectorBucketName, u.Host, "the stack's vector bucket")
			assert.Equal(t, "s3", mustParse(t, c.Blobs).Scheme)
			if step == names.StepReprocess {
				m, err := arn.ParseStateMachine(c.StateMachineARN)
				require.NoError(t, err)
				assert.Equal(t, s.stack.StateMachineName, m.Name)
			} else {
				assert.Empty(t, c.StateMachineARN, "only the nightly job starts executions")
			}

			t.Setenv("AWS_REGION", deployRegion)
			for _, k := range config.Variables {
				t.Setenv(k, env[k])
			}
			h, err := lambdamain.Handler(context.Background(), step)
			require.NoError(t, err)
			assert.NotNil(t, h)
		})
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// fakeEngines is a face engine for every pack (the packs' models need not
// be on this machine): one face per photo, embedded as the first unit
// vector of the pack's dimension.
type fakeEngines struct {
	mu    sync.Mutex
	packs []string
}

func (f *fakeEngines) Engine(_ context.Context, p *modelpack.Pack) (steps.FaceEngine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.packs, p.Name) {
		f.packs = append(f.packs, p.Name)
	}
	return fakeEngine{dim: p.Recognizer.EmbeddingDim}, nil
}

type fakeEngine struct{ dim int }

// Detect finds one face laid out like a face (the ArcFace template's
// landmarks in an 80-pixel box), so that the quality filter indexes it.
func (e fakeEngine) Detect(img *imaging.RGB) ([]face.Face, error) {
	return []face.Face{{Box: [4]float32{10, 10, 90, 90}, Score: 0.9,
		Landmarks: [5][2]float32{{37, 45}, {63, 45}, {50, 60}, {40, 75}, {61, 75}}}}, nil
}

// Align gives textured chips (a photograph's, not a flat drawing's).
func (e fakeEngine) Align(img *imaging.RGB, faces []face.Face) ([]face.Chip, error) {
	chips := make([]face.Chip, len(faces))
	for i := range chips {
		c := make(face.Chip, face.ChipBytes)
		for j := range c {
			c[j] = byte(j*7919%251 + 1)
		}
		chips[i] = c
	}
	return chips, nil
}

func (e fakeEngine) Embed(chips []face.Chip) ([][]float32, error) {
	out := make([][]float32, len(chips))
	for i := range out {
		out[i] = make([]float32, e.dim)
		out[i][0] = 1
	}
	return out, nil
}

func testJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := 0; y < 120; y++ {
		for x := 0; x < 160; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, nil))
	return b.Bytes()
}

// For every pack of models/manifest.json, the stack creates exactly the
// vector index that the real Aggregate creates and writes to and that the
// real Search reads, with the same dimension, distance, data type and
// metadata configuration. The workflow runs on this machine against the
// S3 Vectors server, through the vector store URL of the aggregate
// Lambda's environment.
func TestEveryPackIndexIsTheOneAggregateAndSearchUse(t *testing.T) {
	s := defaultStack(t)
	m, err := modelpack.Default()
	require.NoError(t, err)
	require.Len(t, s.resources("AWS::S3Vectors::Index"), len(m.PackNames()), "one index per pack")
	env := s.lambdaEnv(t, names.StepAggregate)
	c, err := config.Parse(func(k string) string { return env[k] })
	require.NoError(t, err)
	photo := testJPEG(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")

	for _, packName := range m.PackNames() {
		t.Run(packName, func(t *testing.T) {
			ctx := context.Background()
			srv := s3vectorsserver.NewServer()
			srv.CreateBucket(s.stack.VectorBucketName)
			hs := httptest.NewServer(srv)
			defer hs.Close()
			vu := mustParse(t, c.Vectors)
			vu.RawQuery = url.Values{"endpoint": {hs.URL}, "region": {deployRegion}}.Encode()

			engines := &fakeEngines{}
			p, err := embedded.Open(ctx, embedded.Options{DataDir: t.TempDir(), Vectors: vu.String(), Engines: engines, MaxConcurrency: 1})
			require.NoError(t, err)
			defer p.Close()
			_, err = p.Bucket.Put(ctx, names.AlbumPrefix("idx")+"a.jpg", photo)
			require.NoError(t, err)
			sum, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "idx", Pack: packName})
			require.NoError(t, err)
			require.Equal(t, 1, sum.Faces, "the photo's face reached the vector store")
			assert.Equal(t, []string{packName}, engines.packs)

			found, err := p.Steps.Search(ctx, steps.SearchInput{AlbumID: "idx", Pack: packName, Image: photo})
			require.NoError(t, err)
			require.Len(t, found.Photos, 1, "Search reads the index Aggregate wrote")
			assert.Equal(t, names.AlbumPrefix("idx")+"a.jpg", found.Photos[0].Key)

			// Every request of Aggregate and Search went to one index: the
			// stack's index of this pack.
			cfn, ok := s.stack.Indexes[packName]
			require.True(t, ok, "the stack has an index for %s", packName)
			want := props(s.resources("AWS::S3Vectors::Index")[*s.stack.GetLogicalId(cfn)])
			used := map[string][]string{}
			for _, call := range srv.Calls() {
				if call.Index != "" && !slices.Contains(used[call.Index], call.Op) {
					used[call.Index] = append(used[call.Index], call.Op)
				}
			}
			require.Equal(t, []string{want["IndexName"].(string)}, keys(used), "the indexes the steps used")
			assert.Subset(t, used[want["IndexName"].(string)], []string{"CreateIndex", "PutVectors", "QueryVectors"})

			client := s3vectorsserver.NewClient(hs.URL, 1)
			got, err := client.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String(s.stack.VectorBucketName), IndexName: aws.String(want["IndexName"].(string))})
			require.NoError(t, err)
			assert.EqualValues(t, want["Dimension"], aws.ToInt32(got.Index.Dimension))
			assert.EqualValues(t, want["DistanceMetric"], got.Index.DistanceMetric)
			assert.EqualValues(t, want["DataType"], got.Index.DataType)
			require.NotNil(t, got.Index.MetadataConfiguration)
			var stackKeys []string
			for _, k := range want["MetadataConfiguration"].(map[string]any)["NonFilterableMetadataKeys"].([]any) {
				stackKeys = append(stackKeys, k.(string))
			}
			assert.ElementsMatch(t, stackKeys, got.Index.MetadataConfiguration.NonFilterableMetadataKeys)
		})
	}
}
