package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/lexledger/lexledger/eventlog"
)

// scopeFlags are the flags of the part of the ledger a projector follows:
// --jurisdiction COUNTRY and --subjects FILTER, both repeatable, together
// one scope (eventlog.Scope). None: the whole ledger.
type scopeFlags struct {
	jurisdictions, subjects []string
}

func addScopeFlags(fs *flag.FlagSet) *scopeFlags {
	f := &scopeFlags{}
	fs.Func("jurisdiction", "follow only the acts of this jurisdiction (the country of /akn/{country}/..., such as kz or us-ca), by the subject filter {prefix}.{country}.>; repeatable. A partial projector answers only for its acts, keeps no Merkle tree and signs no checkpoint (docs/OPERATIONS.md, Spreading read load)", func(s string) error {
		f.jurisdictions = append(f.jurisdictions, s)
		return nil
	})
	fs.Func("subjects", "follow only the acts whose subjects match this JetStream filter under the stream's prefix, such as 'lex.events.kz.act.>' or 'lex.events.*.code.>'; repeatable, combined with --jurisdiction", func(s string) error {
		f.subjects = append(f.subjects, s)
		return nil
	})
	return f
}

// scope reads the flags into a scope over a stream whose subjects are under
// prefix. It refuses a jurisdiction that is no country, a filter outside
// the prefix or not over acts' subjects, and overlapping parts.
func (f *scopeFlags) scope(prefix string) (eventlog.Scope, error) {
	var patterns []string
	for _, j := range f.jurisdictions {
		if j == "" || strings.ContainsAny(j, ".*>/ ") {
			return eventlog.Scope{}, fmt.Errorf("--jurisdiction %q: give the country of the acts' identifiers alone, such as kz or us-ca (for a finer part, use --subjects)", j)
		}
		patterns = append(patterns, eventlog.JurisdictionPattern(j))
	}
	for _, s := range f.subjects {
		p, ok := strings.CutPrefix(s, prefix+".")
		if !ok {
			return eventlog.Scope{}, fmt.Errorf("--subjects %q is not under the stream's subjects %s.>: give a filter such as %s.kz.>", s, prefix, prefix)
		}
		patterns = append(patterns, p)
	}
	sc, err := eventlog.ParseScope(patterns...)
	if err != nil {
		return eventlog.Scope{}, fmt.Errorf("--jurisdiction/--subjects: %w", err)
	}
	return sc, nil
}
