package names

// Environment variables. Every one the project reads is named here, with
// what it means. shared/config reads the Lambdas' and the CLI's ones
// (config.Variables lists them); shared/locate, shared/modelpack and
// shared/onnx read the rest; the CDK stack sets the Lambdas' ones.
const (
	// The stores and defaults of the step handlers (set by the CDK stack).
	EnvBlobs     = "DIVINEPIC_BLOBS"      // file:///dir, mem:// or s3:// (see blob.Open)
	EnvVectors   = "DIVINEPIC_VECTORS"    // file:///dir, mem:// or s3vectors://<vector bucket>
	EnvBucket    = "DIVINEPIC_BUCKET"     // the bucket when an input names none
	EnvPack      = "DIVINEPIC_PACK"       // the model pack when an input names none
	EnvMaxPixels = "DIVINEPIC_MAX_PIXELS" // the decoder's pixel budget
	// EnvMaxDecodeMB is the decoder's memory budget for one photo, in MB
	// (default 1024); the stack sets it from each function's memory.
	EnvMaxDecodeMB = "DIVINEPIC_MAX_DECODE_MB"
	EnvQuality     = "DIVINEPIC_QUALITY" // the face quality filter's level: NONE, LOW, MEDIUM (default) or HIGH
	// The state machine the reprocess step and `divinepic start` start
	// executions of, and an optional Step Functions-compatible endpoint.
	EnvStateMachineARN = "DIVINEPIC_STATE_MACHINE_ARN"
	EnvSFNEndpoint     = "DIVINEPIC_SFN_ENDPOINT"

	// The embedded mode and the machine's files.
	EnvData     = "DIVINEPIC_DATA"     // the embedded mode's data directory
	EnvCache    = "DIVINEPIC_CACHE"    // the project's cache directory
	EnvShared   = "DIVINEPIC_SHARED"   // a directory laid out like ../shared (models/, testdata/)
	EnvTestdata = "DIVINEPIC_TESTDATA" // the test photos directory (with truth.json)
	EnvModels   = "DIVINEPIC_MODELS"   // a directory searched first for model files
	EnvORTLib   = "DIVINEPIC_ORT_LIB"  // a libonnxruntime.so (>= 1.24) to use instead of the cached one

	// EnvLong turns on the long soak, load and fuzz runs (make test-long).
	EnvLong = "DIVINEPIC_LONG"
)

// EnvMetricsNamespace is the CloudWatch namespace the Lambdas write their
// metrics to (Embedded Metric Format log lines, see shared/metrics); set by
// the CDK stack, unset (no metrics) elsewhere.
const EnvMetricsNamespace = "DIVINEPIC_METRICS_NAMESPACE"
