package httpapi

import (
	"net/http"
	"strings"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// HeaderScope is set on the queries' answers of a projector that follows
// part of the ledger: its scope's patterns over act identifiers, comma-
// separated (eventlog.Scope), such as "kz.>". Lists and diffs then hold
// the acts of that part only. A projector of the whole ledger sets none.
const HeaderScope = "Lex-Projection-Scope"

// Scoped is implemented by a Projector that may follow part of the ledger
// (*projector.Service does): a question about an act outside its scope is
// answered with CheckScope's error (events.CodeOutOfScope, 421), not with
// "not found".
type Scoped interface {
	Scope() eventlog.Scope
	CheckScope(act events.ActID) error
}

// scopeHeader sets HeaderScope when the projector follows part of the
// ledger.
func (q *Queries) scopeHeader(w http.ResponseWriter) {
	if sc, ok := q.Projector.(Scoped); ok && !sc.Scope().All() {
		w.Header().Set(HeaderScope, strings.Join(sc.Scope().Patterns(), ","))
	}
}

// checkScope returns the projector's refusal of an act outside its scope.
func (q *Queries) checkScope(act events.ActID) error {
	if sc, ok := q.Projector.(Scoped); ok {
		return sc.CheckScope(act)
	}
	return nil
}
