package projections

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
)

// Read-your-writes waits (min_seq with wait), bounded.
const (
	DefaultWait = 5 * time.Second
	MaxWait     = 30 * time.Second
)

// Params are the query parameters that the auditors' query API (package
// httpapi) and the web interface (package web) share. ParseParams is their
// one parser, so that both accept the same forms and refuse the others with
// the same messages.
type Params struct {
	AsOf    events.Date   // as_of: the valid day; today when absent
	KnownAt *time.Time    // known_at: the record time; nil: the record as it stands
	Filter  Filter        // country, kind, status
	MinSeq  uint64        // min_seq: answer once the projection includes this sequence; 0: at once
	Wait    time.Duration // wait: how long MinSeq may be waited for
	Page    int           // page: of a paged list (the web's), from 1
	Limit   int           // limit: a page's size, 1 to MaxLimit; 0 when absent
	Cursor  Cursor        // cursor: where a page starts (ParseCursor); zero: the first page
}

// Query is the bitemporal question of p.
func (p Params) Query() Query { return Query{AsOf: p.AsOf, KnownAt: p.KnownAt} }

// ParseParams reads the shared query parameters of q; today is the default
// of as_of. Every refusal is an *events.Error of code invalid that names the
// parameter and says what to give instead.
func ParseParams(q url.Values, today events.Date) (Params, error) {
	p := Params{Wait: DefaultWait, Page: 1}
	var err error
	if p.AsOf, err = ParseDay("as_of", q.Get("as_of"), today); err != nil {
		return p, err
	}
	if p.KnownAt, err = ParseKnownAt(q.Get("known_at")); err != nil {
		return p, err
	}
	p.Filter = Filter{Country: q.Get("country"), Kind: events.Kind(q.Get("kind")), Status: Status(q.Get("status"))}
	if c := p.Filter.Country; c != "" && (len(c) > 16 || strings.Trim(c, "abcdefghijklmnopqrstuvwxyz-") != "") {
		return p, BadParam("country", c, "give a jurisdiction code such as kz or za-cpt")
	}
	if k := p.Filter.Kind; k != "" && !events.ValidKind(k) {
		return p, BadParam("kind", string(k), "give an act kind such as law or code (docs/EVENTS.md lists them)")
	}
	if st := p.Filter.Status; st != "" && !slices.Contains(Statuses, st) {
		return p, BadParam("status", string(st), fmt.Sprintf("give one of %v", Statuses))
	}
	if v := q.Get("min_seq"); v != "" {
		if p.MinSeq, err = strconv.ParseUint(v, 10, 64); err != nil {
			return p, BadParam("min_seq", v, "give the stream sequence of a receipt")
		}
	}
	if v := q.Get("wait"); v != "" {
		if p.Wait, err = time.ParseDuration(v); err != nil || p.Wait < 0 || p.Wait > MaxWait {
			return p, BadParam("wait", v, "give a duration up to 30s, such as 2s")
		}
	}
	if v := q.Get("page"); v != "" {
		if p.Page, err = strconv.Atoi(v); err != nil || p.Page < 1 {
			return p, BadParam("page", v, "give a page number from 1")
		}
	}
	if p.Limit, err = ParseLimit(q.Get("limit")); err != nil {
		return p, err
	}
	if p.Cursor, err = ParseCursor("cursor", q.Get("cursor")); err != nil {
		return p, err
	}
	return p, nil
}

// BadParam is the refusal of a query parameter: name=value is not valid,
// and want says what to give instead.
func BadParam(name, value, want string) error {
	return events.Errorf(events.CodeInvalid, "%s=%q is not valid: %s", name, value, want)
}

// ParseDay reads a valid-time day, YYYY-MM-DD, of the parameter name; empty
// means def.
func ParseDay(name, v string, def events.Date) (events.Date, error) {
	if v == "" {
		return def, nil
	}
	d, err := events.ParseDate(v)
	if err != nil || d.Precision() != events.Day {
		return events.Date{}, BadParam(name, v, "give a day as YYYY-MM-DD, such as 2009-07-01")
	}
	return d, nil
}

// knownAtLayouts are the forms of a record time without a zone, read as
// UTC: what a person types, or a datetime-local input sends.
var knownAtLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"}

// ParseKnownAt reads a record time (known_at): RFC 3339 with its zone; a
// time without a zone (2006-01-02T15:04 or with seconds and a fraction),
// read as UTC; or a day, meaning the end of that day (UTC): "as the record
// stood on 2009-01-01". Empty means nil: the record as it stands.
func ParseKnownAt(v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return &t, nil
	}
	for _, layout := range knownAtLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return &t, nil
		}
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		t := d.Add(24*time.Hour - time.Nanosecond)
		return &t, nil
	}
	return nil, BadParam("known_at", v, "give a record time such as 2009-01-01T12:00:00Z (UTC when it has no zone), or a day (the end of that day, UTC), or leave it empty for the record as it stands")
}

// CheckKnownAt refuses a record time before the ledger's first record:
// nothing was on record then. A nil t (the record as it stands) passes.
func (p *Projection) CheckKnownAt(t *time.Time) error {
	if t == nil {
		return nil
	}
	if first, ok := p.FirstRecord(); ok && t.Before(first) {
		return events.Errorf(events.CodeInvalid, "known_at %s is before the ledger began (its first event was recorded at %s): nothing was on record then; ask about a later time, or leave known_at empty",
			t.UTC().Format(time.RFC3339Nano), first.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// Await waits, up to p.Wait, until waitFor says the projection has applied
// p.MinSeq; it returns at once when MinSeq is 0. Its error (code
// unavailable) says how far the projection got and what to do.
func (p Params) Await(ctx context.Context, waitFor func(ctx context.Context, seq uint64) (uint64, error)) error {
	if p.MinSeq == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.Wait)
	defer cancel()
	if got, err := waitFor(ctx, p.MinSeq); err != nil {
		return events.Errorf(events.CodeUnavailable, "the projection has applied up to sequence %d, not yet %d, after waiting %s: retry, or wait longer with wait=", got, p.MinSeq, p.Wait)
	}
	return nil
}
