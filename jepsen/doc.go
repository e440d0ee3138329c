// Package jepsen is the fault harness for the three-node cluster (issue
// 17): it partitions nodes, kills and pauses them, and jumps one ledger's
// clock, while clerks append through the real ledger, records every
// operation's call and return, and checks the history. Porcupine proves
// each act's appends linearizable under a model of the ledger's semantics
// (expected versions, idempotent retries by event id); after healing,
// every acknowledged event must be in the stream once, in its act's place,
// with the server's record times in stream order, the ledger's record
// times increasing within each act, and every hash chain intact. The
// unknown outcomes are settled by the final histories first (Resolve),
// which keeps porcupine's verdict and makes its search short; a test runs
// a ledger whose store drops the expected sequence and shows the check
// catches it.
//
// A projector follows the stream through the faults; after healing a
// second one is rebuilt from the stream, and both must answer the same
// (CompareViews). Every 250 ms each ledger's and the projector's
// readiness is checked as their /readyz decides it; through a loss of
// quorum they must say not ready, and ready again soon after appends land
// (CheckReadiness).
//
// The package holds the parts that need no cluster: Proxy, the TCP proxy
// put on every cluster route to cut or slow it; the operation history and
// its model (Check); the views' and readiness' checks; and the Report.
// The cluster and the runs are in its tests: `go test ./jepsen` runs the
// short version (one small clock jump, one partition and one kill of the
// stream leader), LEX_JEPSEN=full the whole matrix (.ci/long).
// LEX_JEPSEN_REPORT names the directory for the reports, the readiness
// probes and porcupine's visualisations (the test's temporary directory
// otherwise), and
// LEX_JEPSEN_STRICT=1 fails a run on the findings still open
// (RELIABILITY.md, Jepsen-style runs), which otherwise it only reports.
// LEX_JEPSEN_FAULTS=pause45,quorum,own,... runs TestResume: each fault
// alone (own cuts off the ledger's own node), logging where the time goes
// until appends resume.
package jepsen
