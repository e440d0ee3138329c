// Package httpapi is the JSON-over-HTTP adapter: every JSON route of the
// ledger and the projector is here.
//
// Server is the clerks' API onto a ledger.Ledger: it decodes commands in
// the wire format of package ledger, answers with receipts or with errors
// that carry a stable code and a message that says what to do, replays the
// stream, and serves its OpenAPI document at /openapi.yaml.
//
// Queries is the auditors' query API onto a projector (the Projector
// interface, which *projector.Service implements): acts on a day, an act's
// state and timeline, diffs, the projection's position, checkpoints and
// proofs, audit reports and Akoma Ntoso exports. Every answer carries
// HeaderSeq. Its query parameters are read by projections.ParseParams, as
// the web interface (package web) reads them.
//
// Ready serves /readyz from a list of checks.
package httpapi
