// Package bench measures the ledger against the raw JetStream engine in one
// run, on one embedded server per measurement, and writes what it measured
// as a Markdown report (BENCHMARKS.md) and a plot.
//
// Each measurement has a raw counterpart run on the same server in the same
// run — a plain publish with an expected per-subject sequence, an atomic
// batch, an ordered-consumer replay, a direct get, a consumer's delivery —
// and the report gives the ledger's figure, the engine's, and their ratio.
// The matrix is: both sync modes of the server (fsync before every
// acknowledgement, and the server's default interval), and stream sizes
// (Config.Scales) loaded by a bulk import before the other measurements, so
// that the report shows how each cost grows with the stream.
//
// Besides natsjs, this is the one package that imports nats.go's jetstream
// and the nats-server: the raw engine is what it measures against.
package bench
