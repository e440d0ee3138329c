// Package projections folds the ledger's events into the views that
// auditors and downstream services ask for: the current state of every act,
// and bitemporal answers — what was in force on a valid date D, as the
// record stood at a record time T.
//
// It is pure: no NATS, no clock, no disk. The same events, applied in the
// same order, give the same views and the same snapshot bytes, so that two
// projectors on one stream agree to the byte and a restarted projector can
// prove it caught up with a fresh one.
//
// Its input is eventlog.Entry, an event at its stream sequence; it keeps of
// each only the sequence and the event, encoded, in a Store: the port
// behind which what grows with every event lives (store.go). NewMemStore
// keeps it in memory; package pebblestore, an adapter, on disk, and Open
// restores a projection from such a store without the stream. What the
// projection keeps in memory is per act: its chain, its kind, its status
// in each stretch of valid time (what lists and counts read), its place
// in the indexes; the acts' current models are a cache bounded by the
// events of their acts (models.go), folded again from the records when
// dropped. Snapshots have their own line encoding,
// {"seq": N, "event": {...}}, versioned by Version.
//
// # Semantics (docs/PROJECTIONS.md has the long form)
//
//   - Valid time has day granularity and half-open intervals: in force "from
//     X" means from the start of day X; repealed with effect from X means not
//     in force on X.
//   - A date known only to the month or year counts from its first day, and
//     an answer on a day inside such a boundary says that it is uncertain.
//   - known_at T folds only the events recorded at or before T, with the
//     corrections and retractions recorded by then applied, and later ones
//     ignored. Events of one day are ordered by their position in the ledger.
package projections
