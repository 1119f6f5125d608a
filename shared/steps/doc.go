// Package steps holds the pipeline's step handlers — list, detect, embed,
// failures, aggregate, people, search, reprocess — as methods on one struct of dependencies
// (Steps), the typed input and output of each state (JSON names equal to the
// paths that statemachine.asl.json uses), and the registry from step name
// to handler that the Lambda mains and the local engine share
// (registry.go). Names and the key layout are shared/names'; records and
// errors shared/domain's.
//
// Failures (CollectFailures) reads the batches' results, as Aggregate
// does, and lists the photos that failed for ReportFailures.
//
// Aggregate's decisions (the new album index and summary, the photos whose
// faces go to the vector store, the vectors and face records that go, the
// run's spent work objects) are made by reconcile in reconcile.go, a pure
// function of the old index, the Map's results and the album's listing;
// Aggregate is the reads and writes around it. It reads the Map's results
// with shared/states' ResultWriter types (states.ResultManifest,
// states.ChildResult), the ones the engine writes them with.
//
// FaceRecords (reindex.go) is the embedded vector store's source of truth:
// the vectors every album's face records call for, to rebuild a damaged or
// lost index. An execution reads only its own album's area (names'
// ValidateAlbumPrefix and ValidateAlbumKey, checked by each step that reads
// a prefix or key from its input).
//
// Handlers return the named errors of shared/domain for everything the
// workflow retries or catches; the registry passes every error through
// domain.ForWorkflow (named, no file paths). They own no wiring:
// shared/wiring builds the
// dependencies, lambdas/<step> and shared/embedded host them. Their seams
// are the FaceEngine, Engines and Executions interfaces: the unit tests use
// hand-written fakes of them with the memory blob and vector stores.
package steps
