package web

import (
	"net/http"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// jurisdictionPage is a jurisdiction's acts in force on a day, and what
// changed between two days: each a page of at most a limit of acts, in
// identifier order, with the counts of the whole above it.
type jurisdictionPage struct {
	page
	Country, AsOf, From, To, KnownAt, Kind string
	Kinds                                  []option
	// Counts are the acts of the jurisdiction (of the kind) by status on
	// AsOf, in the order of projections.Statuses, those of none left out.
	Counts                   []statusCount
	Total, InForceTotal      int
	InForce                  []actRow
	InForceFrom, InForceTo   int // 1-based, of InForceTotal
	InForcePrev, InForceNext string
	Changes                  []changeRow
	ChangesTotal             int
	ChangesFrom, ChangesTo   int
	ChangesPrev, ChangesNext string
	Entered, Left            int
	Limit                    int    // a page's size
	LimitAsked               string // limit= as asked, kept by the links and the form
}

type statusCount struct {
	Status, Label string
	N             int
}

type changeRow struct {
	Act                  events.ActID
	URL                  string
	Title                string
	Before, After        string
	BeforeSt, AfterSt    string
	Entered, Left, Other bool
}

// jurisdiction serves GET /ui/jurisdiction?country=: the acts in force on
// as_of (a page of limit, default 100, from cursor=) and the changes
// between from and to (a page from changes_cursor=), with counts.
func (s *Server) jurisdiction(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	country := q.Get("country")
	if country == "" {
		s.fail(w, r, events.Errorf(events.CodeInvalid, "name the jurisdiction with country=, such as country=kz; the home page lists them"))
		return
	}
	params, err := s.params(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	asOf, knownAt, kind := params.AsOf, params.KnownAt, params.Filter.Kind
	to, err := projections.ParseDay("to", q.Get("to"), asOf)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	from, err := projections.ParseDay("from", q.Get("from"), yearBefore(to))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	changesAt, err := projections.ParseCursor("changes_cursor", q.Get("changes_cursor"))
	if err == nil { // both list acts: a history's cursor is not one of theirs
		err = projections.CheckCursor("changes_cursor", changesAt, false)
	}
	if err == nil {
		err = projections.CheckCursor("cursor", params.Cursor, false)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit := params.Limit
	if limit == 0 {
		limit = pageSize
	}
	// A page's links and form keep limit= only when it was asked.
	limitAsked := ""
	if params.Limit != 0 {
		limitAsked = q.Get("limit")
	}
	v := jurisdictionPage{Country: country, AsOf: asOf.String(), From: from.String(), To: to.String(),
		KnownAt: knownAtValue(q.Get("known_at"), knownAt), Kind: string(kind), Limit: limit, LimitAsked: limitAsked}
	var (
		counts map[projections.Status]int
		pg     projections.Page[projections.ActState]
		cp     projections.Page[projections.Change]
		ct     projections.DiffTotals
		seq    uint64
	)
	// The counts of the whole, the page of those in force and the page of
	// the changes, each decided without rendering more than its page.
	f := projections.Filter{Country: country, Kind: kind}
	q0 := projections.Query{AsOf: asOf, KnownAt: knownAt}
	s.p.Read(func(p *projections.Projection) {
		seq = p.LastSeq()
		if err = p.CheckKnownAt(knownAt); err != nil {
			return
		}
		if counts, err = p.Tally(f, q0); err != nil {
			return
		}
		if pg, v.InForceTotal, err = p.SelectPage(f, q0, projections.Status.InForceOn, params.Cursor, limit); err != nil {
			return
		}
		cp, ct, err = p.DiffPage(from, to, f, knownAt, changesAt, limit)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.page = s.page(r, "Jurisdiction "+country+" as of "+asOf.String(), "jurisdiction")
	v.Seq, v.Live = seq, link("/ui/events", "country", country, "kind", v.Kind, "known_at", v.KnownAt)
	for _, st := range projections.Statuses {
		if n := counts[st]; n > 0 {
			v.Counts = append(v.Counts, statusCount{Status: string(st), Label: statusLabel(st), N: n})
		}
		v.Total += counts[st]
	}
	for _, a := range pg.Items {
		v.InForce = append(v.InForce, actRow{Act: a.Act, URL: link("/ui/act", "act", string(a.Act), "as_of", v.AsOf, "known_at", v.KnownAt),
			Title: a.Title, Kind: words(string(a.Kind)), Status: string(a.Status), Label: statusLabel(a.Status), Reason: a.Reason, Unsure: len(a.Uncertain) > 0})
	}
	v.InForceFrom, v.InForceTo = pg.Start+1, pg.Start+len(pg.Items)

	v.ChangesTotal, v.Entered, v.Left = ct.Changes, ct.Entered, ct.Left
	for _, c := range cp.Items {
		v.Changes = append(v.Changes, changeRow{Act: c.Act, URL: link("/ui/act", "act", string(c.Act), "as_of", v.To, "known_at", v.KnownAt), Title: c.Title,
			Before: statusLabel(c.Before), After: statusLabel(c.After), BeforeSt: string(c.Before), AfterSt: string(c.After),
			Entered: c.EnteredForce, Left: c.LeftForce, Other: !c.EnteredForce && !c.LeftForce})
	}
	v.ChangesFrom, v.ChangesTo = cp.Start+1, cp.Start+len(cp.Items)

	// Each section's links keep the other's cursor, and every parameter
	// asked, so that the URL of a page is its bookmark.
	here := func(inForceAt, changesAt projections.Cursor) string {
		args := []string{"country", country, "as_of", v.AsOf, "from", v.From, "to", v.To, "kind", v.Kind, "known_at", v.KnownAt,
			"limit", limitAsked, "cursor", inForceAt.String(), "changes_cursor", changesAt.String()}
		return link("/ui/jurisdiction", args...)
	}
	if !pg.Prev.IsZero() {
		v.InForcePrev = here(pg.Prev, changesAt)
	}
	if !pg.Next.IsZero() {
		v.InForceNext = here(pg.Next, changesAt)
	}
	if !cp.Prev.IsZero() {
		v.ChangesPrev = here(params.Cursor, cp.Prev)
	}
	if !cp.Next.IsZero() {
		v.ChangesNext = here(params.Cursor, cp.Next)
	}
	v.Kinds = []option{{Value: "", Label: "every kind"}}
	for _, k := range events.Kinds {
		v.Kinds = append(v.Kinds, option{Value: string(k.Kind), Label: words(string(k.Kind)), Selected: k.Kind == kind})
	}
	s.render(w, r, http.StatusOK, "jurisdiction", v, seq)
}
