// Package httpapi is the clerks' HTTP API: JSON over HTTP onto a
// ledger.Ledger. It decodes commands in the wire format of package ledger,
// answers with receipts or with errors that carry a stable code and a
// message that says what to do, and serves its OpenAPI document at
// /openapi.yaml.
package httpapi
