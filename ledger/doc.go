// Package ledger is the clerks' service: it turns commands (record this event,
// record these events together) into appends to an event store, enforcing the
// lifecycle rules of package events with no lost update. It appends
// through an eventlog.Store (package eventlog is the port; natsjs implements
// it on JetStream).
//
// # How an append is decided
//
// One goroutine, the sequencer, owns a cache of the acts it used last: each
// act's rule state (events.State), the stream sequence and record time of each
// of its events, and their ids. The cache holds at most Options.ActCache
// events; an act it dropped is read back from the store before its next
// command, as one the cache found stale is. Commands queue to it; it takes as many as are
// waiting (up to MaxBatch events), checks each against the cache as it would
// stand after the ones before it, and writes them all in one atomic batch in
// which the first event of every act carries the act's expected last stream
// sequence. The store refuses the batch if any act moved on (another ledger
// process wrote to it), so the cache is a guess that the store verifies, never
// a source of truth: on a conflict the sequencer reloads the acts concerned
// and decides each command again on its own.
//
// Grouping concurrent commands into one batch shares one disk sync among
// them: with fsync before acknowledgement this is what lets many clerks
// append at once.
//
// An act that the sequencer has never seen is assumed to be new: its first
// event is written with the expectation "no event yet", which the store
// checks. If the assumption fails (the act exists), or a rule fails on an act
// that was only assumed new, the act is loaded from the store and the command
// is decided again.
//
// # Idempotency
//
// Every event has an id (a ULID), assigned by the ledger when the client gives
// none, and an id names one event in the whole ledger. A command whose event
// id is already recorded for its act with the same content
// (events.Event.ContentDigest) returns the first receipt with Duplicate set,
// however long ago it was recorded: the cache, loaded from the store, knows
// every id of the act and its content, and an act dropped from it is loaded
// again before it is decided on. The same id with other content, or
// on another act, is refused (CodeConflict, events.RuleIDUsed), naming the
// event that has it: the cache catches it on the act, the store's claims
// (eventlog.Store, eventlog.IDUsedError) across acts and ledgers.
//
// # Errors
//
// Every error a command or a read ends with is an *events.Error, or is given
// one's kind by DescribeError (Kind): the store's eventlog.ErrUnavailable,
// ErrClosed and deadlines are unavailable, and the *events.Error wraps them,
// so that errors.Is still finds them. DescribeError gives the status, the
// code's (events.Code).Status, and the wire form; both transports answer
// with it. The package does not import net/http.
package ledger
