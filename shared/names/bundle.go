package names

// The layout of an ONNX Lambda's zip (and of any directory that holds a
// bootstrap): the ONNX Runtime library and the model pack's files sit
// beside the executable, so a bootstrap finds them wherever the zip is
// unpacked (/var/task on Lambda, a temporary directory in the emulator
// test) without an environment variable.
const (
	// BundleLibDir holds libonnxruntime.so.1, relative to the executable's
	// directory. Lambda's default LD_LIBRARY_PATH has /var/task/lib too.
	BundleLibDir = "lib"
	// BundleModelsDir holds the pack's .onnx files, relative to the
	// executable's directory.
	BundleModelsDir = "models"
	// ORTLibraryFile is ONNX Runtime's file name, in the cache and in
	// BundleLibDir.
	ORTLibraryFile = "libonnxruntime.so.1"
	// BundleBootstrap is the executable's name in every Lambda zip.
	BundleBootstrap = "bootstrap"
)
