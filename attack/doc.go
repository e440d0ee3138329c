// Package attack is the attack suite of the default install: real
// `ledger serve` processes started with their defaults, attacked through
// the real `nats` tool (natscli, built from go.mod) and plain HTTP, without
// credentials and with each role's. Each attack must be refused, or
// detected and survived with the views complete; nothing acknowledged may
// be lost or altered. RELIABILITY.md has the table its runs log.
//
// TestTamper (tamper_test.go) is issue 14's tamper suite: an operator with
// the data directory, and the signing key, edits the stored files with
// the server stopped (internal/blockfile), against an auditor who
// remembers (projector verify --state) and a witness (ledger witness);
// every attack must be detected by a message naming its place.
//
// The package holds tests only; `go test ./attack` builds the binaries it
// runs. With -short it is skipped.
package attack
