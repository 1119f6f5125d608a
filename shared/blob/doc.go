// Package blob owns object storage for the pipeline: one small contract
// (Store, one bucket; Buckets, a Store per bucket name) and three
// implementations of it:
//
//   - S3Buckets: Amazon S3 (or any S3-compatible server) through an injected
//     aws-sdk-go-v2 client;
//   - DirBuckets: a local directory, the embedded default; a bucket is a
//     subdirectory of the root, writes are atomic (temp file, fsync, rename)
//     and a key can never name a file outside its bucket;
//   - MemBuckets: memory, for the unit tests of other packages;
//   - Folder: one read-only Store over a directory that is not the
//     pipeline's (a photographer's folder, indexed where it is), its ETags
//     cached outside it.
//
// Mounts puts them together: a Buckets whose buckets serve some key
// prefixes from other Stores (a Folder at albums/<album>/) and the rest
// from a base Buckets.
//
// Open picks one of them from a URL ("file:///path", "mem://", "s3://").
//
// Every implementation follows the same rules, so that code tested against
// memory behaves the same on S3 and on disk:
//
//   - keys are checked by ValidateKey (S3 rules plus the local safety rules)
//     and bucket names by ValidateBucket (S3 rules); a bad one is a
//     *domain.InvalidInput;
//   - a missing object is a *domain.ObjectMissing;
//   - throttling, 5xx, timeouts and connection errors are a
//     *domain.TransientStoreError (the workflow retries those);
//   - any other failure is wrapped with the operation, bucket and key.
//
// It does not own key layout (which keys an album uses), object formats or
// retries: the SDK retries inside one call, the workflow retries whole steps.
package blob
