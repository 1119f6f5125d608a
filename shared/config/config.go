// Package config is the pipeline's configuration: the Config a Lambda reads
// from its environment (FromEnv, Parse; the variables are shared/names'
// Env* constants, and Variables lists the ones read here) and the
// embedded mode's configuration over a data directory (Embedded). It only
// reads and checks values; shared/wiring builds the dependencies from a
// Config. It is pure Go (no cgo), so the CDK app's tests parse a stack's
// environment back through it.
package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/names"
)

// DefaultBucket is the bucket name of the embedded mode.
const DefaultBucket = "divinepic"

// Config is everything needed to build the dependencies.
type Config struct {
	Blobs           string // blob store URL
	Vectors         string // vector store URL
	Bucket          string
	Pack            string
	MaxPixels       int64
	MaxDecodeBytes  int64  // the decoder's memory budget for one photo; 0 is imaging's default
	Quality         string // the face quality filter's level (face.ParseQualityLevel reads it); "" is the default
	StateMachineARN string // the reprocess step's state machine
	SFNEndpoint     string
	Threads         int // ONNX intra-op threads per session
	Workers         int // face engines per model pack (concurrent photos); 0 means 1
	// MetricsNamespace is where aggregate and reprocess write their
	// CloudWatch metrics (shared/metrics); empty: none.
	MetricsNamespace string
}

// Variables are the environment variables Parse reads.
var Variables = []string{
	names.EnvData, names.EnvPack, names.EnvBlobs, names.EnvVectors, names.EnvBucket,
	names.EnvStateMachineARN, names.EnvSFNEndpoint, names.EnvMaxPixels, names.EnvMaxDecodeMB, names.EnvQuality, names.EnvMetricsNamespace,
}

// DefaultDataDir is where the embedded mode keeps its state: $DIVINEPIC_DATA,
// else <cache>/data.
func DefaultDataDir() string { return dataDir(os.Getenv) }

func dataDir(getenv func(string) string) string {
	if d := getenv(names.EnvData); d != "" {
		return d
	}
	return filepath.Join(locate.CacheDir(), "data")
}

// BlobsDir is where the embedded mode keeps the buckets of a data
// directory: <data>/blobs/<bucket>/<key>.
func BlobsDir(dataDir string) string { return filepath.Join(dataDir, "blobs") }

// VectorsDir is where the embedded mode keeps the vector store of a data
// directory: <data>/vectors.
func VectorsDir(dataDir string) string { return filepath.Join(dataDir, "vectors") }

// Embedded is the configuration of the embedded mode over a data directory:
// blobs in BlobsDir, vectors in VectorsDir.
func Embedded(dataDir, pack string) Config {
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	return Config{
		Blobs:   (&url.URL{Scheme: "file", Path: BlobsDir(dataDir)}).String(),
		Vectors: (&url.URL{Scheme: "file", Path: VectorsDir(dataDir)}).String(),
		Bucket:  DefaultBucket,
		Pack:    pack,
	}
}

// FromEnv is Parse of the process's environment.
func FromEnv() (Config, error) { return Parse(os.Getenv) }

// Parse reads the configuration from environment variables through getenv
// (os.Getenv, or a map's lookup); unset values fall back to the embedded
// mode over the data directory ($DIVINEPIC_DATA, else <cache>/data).
func Parse(getenv func(string) string) (Config, error) {
	c := Embedded(dataDir(getenv), getenv(names.EnvPack))
	if v := getenv(names.EnvBlobs); v != "" {
		c.Blobs = v
	}
	if v := getenv(names.EnvVectors); v != "" {
		c.Vectors = v
	}
	if v := getenv(names.EnvBucket); v != "" {
		c.Bucket = v
	}
	c.StateMachineARN = getenv(names.EnvStateMachineARN)
	c.SFNEndpoint = getenv(names.EnvSFNEndpoint)
	c.Quality = getenv(names.EnvQuality)
	c.MetricsNamespace = getenv(names.EnvMetricsNamespace)
	if v := getenv(names.EnvMaxPixels); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return Config{}, fmt.Errorf("%s=%q: want a positive number of pixels", names.EnvMaxPixels, v)
		}
		c.MaxPixels = n
	}
	if v := getenv(names.EnvMaxDecodeMB); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > 1<<20 {
			return Config{}, fmt.Errorf("%s=%q: want a positive number of megabytes", names.EnvMaxDecodeMB, v)
		}
		c.MaxDecodeBytes = n << 20
	}
	return c, nil
}
