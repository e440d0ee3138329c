// Package consolidation computes the law as it stood: an act's whole text on
// a day, from the text recorded with the act (events.Body.Structure) and the
// textual changes of its amendments (events.Body.Changes) in effect by that
// day, each provision annotated with the changes that made it read as it
// does; the effects recorded without text, or that no longer apply, listed
// as outstanding, as legislation.gov.uk's "changes to legislation" panel
// lists them; and the act's versions, the days its text or its force
// changed.
//
// It is a pure function of an act's events as the record stood at a time
// (corrections applied and retractions left out: events.Effective): the
// projections answer the auditors' questions with it, and the ledger checks
// each new amendment's changes against the text in force on its date with
// Check before writing it. docs/TEXT.md.
package consolidation
