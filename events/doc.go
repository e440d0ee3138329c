// Package events is the vocabulary of Lex Ledger: the immutable event that
// records one step in the life of a legal act, the identifiers and dates it
// carries, its JSON encoding, and the lifecycle rules that decide, before
// anything is written, whether a proposed event may follow an act's history.
//
// The package is pure: it imports the standard library and the ULID package,
// and nothing that talks to a network or a disk. Every other package of the
// ledger depends on it; it depends on none of them.
//
// Names that persist are append-only. Event types (types.go), JSON field
// names (event.go), error codes and rule identifiers (errors.go) are never
// renamed or reused; a new meaning gets a new name.
package events
