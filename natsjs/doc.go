// Package natsjs is the ledger's adapter to NATS JetStream: the ledger and
// the projector reach JetStream (and the embedded server) only through it.
// Besides it, only backup (the snapshot API), bench (the raw engine it
// measures against) and examples/subscriber import nats.go's jetstream.
// It keeps the events in one stream with the immutable configuration of
// docs/NATS-LAYOUT.md, one literal subject per act, and
// implements eventlog.Store on it: atomic appends with per-act expected
// sequences, per-act reads, and whole-stream replay. It also serves the
// clerks' commands as a NATS micro service, and starts an embedded server.
//
// # Subjects and headers (a stable contract for downstream services)
//
// An act /akn/{country}/{type}[/{subtype}]/{date}/{number} is stored on the
// literal subject
//
//	lex.events.{country}.{type}[.{subtype}].{date}.{number}
//
// so that a JetStream consumer filtered on lex.events.kz.> follows a
// country and lex.events.kz.act.> its acts. Live subscribers without
// JetStream subscribe to lex.recorded.> instead: the stream republishes
// there each event once stored (a core subscription on lex.events.> would
// also see writes that JetStream refused). Every message carries the
// event's JSON as its payload and the headers
//
//	Lex-Event-Id    the event id (a ULID), as in the payload
//	Lex-Event-Type  the event type, as in the payload
//	Lex-Schema      the payload's schema version
//
// and the act is the subject's tokens after the prefix (Store.ActOfSubject).
//
// Beside the events, the stream LEX_IDS holds the claim of each event id
// on lex.ids.{id} (ids.go): written before the event, one per id, so that
// an id names one event in the whole ledger.
package natsjs
