// Package vectors is the face-embedding vector store: one contract (Store)
// and three implementations of it:
//
//   - S3Vectors: Amazon S3 Vectors through an injected aws-sdk-go-v2
//     s3vectors client (approximate search, filtered by album in the
//     service);
//   - Local: an embedded store in a directory, one crash-safe append-only
//     log file per index, with exact cosine top-k; given a Source (the face
//     records), it sets a damaged log aside and rebuilds it, rebuilds a lost
//     one and completes one that lacks vectors (repair.go);
//   - Memory: the same exact index without a file, for tests.
//
// Each index holds vectors of one dimension compared by cosine similarity;
// the pipeline keeps one index per model pack version (names.IndexForPack), so vectors of
// incompatible models never meet. Keys are the caller's (albumId/imageId/
// faceIndex by convention), which makes every Put an idempotent upsert.
//
// The package owns storage and search of vectors only: it does not compute
// embeddings, decide which faces exist, or convert errors to the workflow's
// error names beyond returning *domain.TransientStoreError for failures that
// a retry may cure. The package s3vectorsserver is an in-process fake of the
// S3 Vectors REST API for tests.
package vectors
