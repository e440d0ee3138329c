// Package eventlog is the event log's port: an event at its stream sequence
// (Entry), and the Store that the ledger appends through and reads back
// from. Package natsjs implements Store on NATS JetStream; package ledger,
// the projections and the transports speak Entry.
//
// It holds types and errors, and the checks that every reader makes of a
// stored message (Inspect, Chain: a message that is not a readable,
// well-sealed event of its act is a Defect, never a reason to stop); it
// imports nothing but package events and the standard library.
package eventlog
