package eventlog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/lexledger/lexledger/events"
)

// Scope is the part of the ledger that a reader follows: the acts whose
// identifiers match one of its patterns. A pattern is written over the
// components of an act identifier after /akn/, joined by dots, as the
// act's subject is after the stream's prefix (natsjs): "kz.>" is every act
// of Kazakhstan, "kz.act.>" its acts of type act, "*.code.>" every code.
// "*" stands for one component, ">" (last only) for one or more. The zero
// Scope is the whole ledger.
type Scope struct {
	patterns []string   // as given, in order
	tokens   [][]string // each pattern's components
}

// maxScopePatterns bounds the patterns of a scope: a consumer takes a few
// filters, not a list of acts.
const maxScopePatterns = 64

// ParseScope reads patterns into a Scope. It refuses (events.CodeInvalid)
// an empty pattern, a component that is not "*", ">" or 1 to 64 of a-z,
// 0-9, '-' or '_', a ">" before the end, a country component that is no
// country, more than 6 components, and two patterns that overlap (an act
// matched by both: a JetStream consumer takes no overlapping filters).
// No patterns is the whole ledger.
func ParseScope(patterns ...string) (Scope, error) {
	if len(patterns) > maxScopePatterns {
		return Scope{}, events.Errorf(events.CodeInvalid, "a scope has at most %d patterns, not %d: follow jurisdictions or kinds, not single acts", maxScopePatterns, len(patterns))
	}
	var sc Scope
	for _, p := range patterns {
		toks, err := parsePattern(p)
		if err != nil {
			return Scope{}, err
		}
		for i, other := range sc.tokens {
			if overlap(toks, other) {
				return Scope{}, events.Errorf(events.CodeInvalid, "the scope's patterns %q and %q overlap (an act could match both): give disjoint patterns", sc.patterns[i], p)
			}
		}
		sc.patterns = append(sc.patterns, p)
		sc.tokens = append(sc.tokens, toks)
	}
	return sc, nil
}

// JurisdictionPattern is the pattern of every act of a jurisdiction (its
// country component, such as kz or us-ca): "kz.>".
func JurisdictionPattern(country string) string { return country + ".>" }

func parsePattern(p string) ([]string, error) {
	bad := func(why string) error {
		return events.Errorf(events.CodeInvalid, "scope pattern %q is not valid: %s; write the components of act identifiers after /akn/ joined by dots, with * for one component and > for the rest, such as kz.> or kz.act.>", p, why)
	}
	if p == "" {
		return nil, bad("it is empty")
	}
	toks := strings.Split(p, ".")
	if len(toks) > 5 {
		return nil, bad("an act identifier has at most 5 components after /akn/")
	}
	for i, t := range toks {
		switch {
		case t == "*":
		case t == ">":
			if i != len(toks)-1 {
				return nil, bad("> may only be the last component")
			}
		case i == 0 && !isCountry(t):
			return nil, bad(fmt.Sprintf("the first component %q is the country: two lower-case letters, optionally followed by -subdivision", t))
		case !isComponent(t):
			return nil, bad(fmt.Sprintf("component %q must be *, >, or 1 to 64 of a-z, 0-9, '-' or '_'", t))
		}
	}
	if toks[len(toks)-1] != ">" && len(toks) < 4 {
		return nil, bad("it matches no act: an act identifier has 4 or 5 components after /akn/ (end the pattern with > to match the rest)")
	}
	return toks, nil
}

func isComponent(t string) bool {
	if len(t) == 0 || len(t) > 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isCountry(t string) bool {
	head, sub, hasSub := strings.Cut(t, "-")
	if len(head) != 2 || head[0] < 'a' || head[0] > 'z' || head[1] < 'a' || head[1] > 'z' {
		return false
	}
	return !hasSub || (len(sub) > 0 && len(sub) <= 8 && !strings.ContainsAny(sub, "-_"))
}

// overlap reports whether some act matches both patterns.
func overlap(a, b []string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == ">" || b[i] == ">" {
			return true
		}
		if a[i] != "*" && b[i] != "*" && a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// match reports whether the act's components match the pattern.
func match(pattern, comps []string) bool {
	for i, t := range pattern {
		if t == ">" {
			return len(comps) > i
		}
		if i >= len(comps) || (t != "*" && t != comps[i]) {
			return false
		}
	}
	return len(comps) == len(pattern)
}

// All reports whether the scope is the whole ledger.
func (s Scope) All() bool { return len(s.patterns) == 0 }

// Patterns returns the scope's patterns as given; none for the whole
// ledger.
func (s Scope) Patterns() []string { return slices.Clone(s.patterns) }

// Covers reports whether act is in the scope.
func (s Scope) Covers(act events.ActID) bool {
	if s.All() {
		return true
	}
	var buf [5]string
	comps := buf[:0]
	for c := range strings.SplitSeq(strings.TrimPrefix(string(act), "/akn/"), "/") {
		if len(comps) == len(buf) {
			return false
		}
		comps = append(comps, c)
	}
	for _, p := range s.tokens {
		if match(p, comps) {
			return true
		}
	}
	return false
}

// Overlaps reports whether an act could be in both scopes.
func (s Scope) Overlaps(o Scope) bool {
	if s.All() || o.All() {
		return true
	}
	for _, a := range s.tokens {
		for _, b := range o.tokens {
			if overlap(a, b) {
				return true
			}
		}
	}
	return false
}

// String is the patterns joined by commas, or "the whole ledger".
func (s Scope) String() string {
	if s.All() {
		return "the whole ledger"
	}
	return strings.Join(s.patterns, ",")
}

// Key is a short name of the scope that does not depend on the patterns'
// order: the first 12 hex digits of the SHA-256 of its sorted patterns;
// empty for the whole ledger. Snapshots of a part are named with it.
func (s Scope) Key() string {
	if s.All() {
		return ""
	}
	sorted := slices.Sorted(slices.Values(s.patterns))
	sum := sha256.Sum256([]byte(strings.Join(sorted, "\n")))
	return hex.EncodeToString(sum[:6])
}

// Same reports whether the two scopes cover the same patterns, in any order.
func (s Scope) Same(o Scope) bool { return s.Key() == o.Key() }
