// Package eventlog is the event log's port: an event at its stream sequence
// (Entry), and the Store that the ledger appends through and reads back
// from. Package natsjs implements Store on NATS JetStream; package ledger,
// the projections and the transports speak Entry.
//
// It holds types and errors only, and imports nothing but package events
// and the standard library.
package eventlog
