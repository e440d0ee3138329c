package projections

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
)

// Query says which day and which state of the record an answer is about.
type Query struct {
	AsOf    events.Date // the valid date, to the day
	KnownAt *time.Time  // the record time; nil: everything recorded so far
}

func (q Query) check() error {
	if q.AsOf.IsZero() || q.AsOf.Precision() != events.Day {
		return events.Errorf(events.CodeInvalid, "as_of must be a day, YYYY-MM-DD")
	}
	return nil
}

// ActState is the state of one act on a day, as the record stood at a time.
type ActState struct {
	Act     events.ActID `json:"act"`
	Title   string       `json:"title"`
	Kind    events.Kind  `json:"kind"`
	Country string       `json:"country"`
	AsOf    events.Date  `json:"as_of"`
	KnownAt *time.Time   `json:"known_at,omitempty"`

	Status  Status      `json:"status"`
	Reason  string      `json:"reason"`
	Because []events.ID `json:"because,omitempty"` // the events that decide the status
	// Uncertain lists the boundaries known only to the month or year whose
	// span includes as_of: the status on that day may differ.
	Uncertain []events.Date `json:"uncertain,omitempty"`

	Stage     events.Type            `json:"stage"` // the last procedural step
	StageDate events.Date            `json:"stage_date"`
	Dates     map[string]events.Date `json:"dates"` // adopted, signed, published, first_in_force, no_longer_in_force

	AmendmentsReceived []Amendment      `json:"amendments_received,omitempty"` // in effect on as_of
	AmendmentsMade     []MadeAmendment  `json:"amendments_made,omitempty"`     // in effect on as_of
	Provisions         []ProvisionState `json:"provisions,omitempty"`

	Version uint64 `json:"version"` // the act's events known at known_at
}

// MadeAmendment is a change this act made to another.
type MadeAmendment struct {
	Target events.ActID `json:"target"`
	Amendment
}

// ProvisionState is one provision on the day.
type ProvisionState struct {
	EID       string      `json:"eid"`
	Status    string      `json:"status"` // in_force, suspended, not_in_force
	InForce   bool        `json:"in_force"`
	Suspended bool        `json:"suspended,omitempty"`
	Text      string      `json:"text,omitempty"`
	TextFrom  events.Date `json:"text_from,omitzero"`
	TextEvent events.ID   `json:"text_event,omitzero"`
}

// State answers "what was the state of act id on q.AsOf, as known at
// q.KnownAt". An act not recorded by then is a CodeNotFound error.
func (p *Projection) State(id events.ActID, q Query) (ActState, error) {
	if err := q.check(); err != nil {
		return ActState{}, err
	}
	m, n := p.modelAt(id, q.KnownAt)
	if m == nil {
		if q.KnownAt != nil && p.acts[id] != nil {
			return ActState{}, &events.Error{Code: events.CodeNotFound, Act: id, Message: fmt.Sprintf("act %s was not yet recorded at %s: its first event was recorded at %s", id, q.KnownAt.UTC().Format(time.RFC3339Nano), p.firstKnown(id).UTC().Format(time.RFC3339Nano))}
		}
		return ActState{}, &events.Error{Code: events.CodeNotFound, Act: id, Message: fmt.Sprintf("act %s is not in the ledger: check the identifier", id)}
	}
	return p.stateOf(id, m, n, q, true), nil
}

// stateOf renders a model's answer; full adds provisions and amendments.
func (p *Projection) stateOf(id events.ActID, m *model, n int, q Query, full bool) ActState {
	d := q.AsOf.Earliest()
	v := m.statusOn(d)
	s := ActState{
		Act: id, Title: m.title, Kind: m.kind, Country: id.Country(), AsOf: q.AsOf, KnownAt: q.KnownAt,
		Status: v.status, Reason: v.reason, Because: v.by, Uncertain: m.uncertainOn(d),
		Stage: m.stage, StageDate: m.stageDate, Dates: m.keyDates(), Version: uint64(n),
	}
	if !full {
		return s
	}
	for _, a := range m.amendments {
		if a.EffectiveFrom.Earliest() <= d {
			s.AmendmentsReceived = append(s.AmendmentsReceived, a)
		}
	}
	for _, target := range p.madeBy[id] {
		tm, _ := p.modelAt(target, q.KnownAt)
		if tm == nil {
			continue
		}
		for _, a := range tm.amendments {
			if a.Instrument == id && a.EffectiveFrom.Earliest() <= d {
				s.AmendmentsMade = append(s.AmendmentsMade, MadeAmendment{Target: target, Amendment: a})
			}
		}
	}
	for _, eid := range m.sortedProvisions() {
		in, sus, text := m.provisionOn(eid, d)
		ps := ProvisionState{EID: eid, Status: m.provisionStatus(eid, d), InForce: in, Suspended: sus}
		if text != nil {
			ps.Text, ps.TextFrom, ps.TextEvent = text.text, text.from, text.id
		}
		s.Provisions = append(s.Provisions, ps)
	}
	return s
}

// keyDates returns the act's dates in ELI's terms.
func (m *model) keyDates() map[string]events.Date {
	out := make(map[string]events.Date, len(m.dates)+2)
	for k, v := range m.dates {
		out[k] = v
	}
	var first events.Date
	for _, c := range m.commencements {
		if m.wholeEnding(c.fromDay()) != nil {
			continue // commenced while repealed: never in force from it
		}
		if first.IsZero() || c.fromDay() < first.Earliest() {
			first = c.from
		}
	}
	if !first.IsZero() {
		out["first_in_force"] = first
	}
	var last *rule
	for i := range m.endings {
		if e := &m.endings[i]; len(e.provisions) == 0 && (last == nil || e.fromDay() > last.fromDay()) {
			last = e
		}
	}
	if last != nil && m.wholeEnding(forever-1) != nil {
		out["no_longer_in_force"] = last.from
	}
	return out
}

// Filter selects acts.
type Filter struct {
	Country string      // "" for every jurisdiction
	Kind    events.Kind // "" for every kind
	Status  Status      // "" for every status
}

// List answers "which acts of the filter, on q.AsOf, as known at
// q.KnownAt", in identifier order, without provisions. It decides which
// acts the filter holds as pick does, and renders each from its model.
func (p *Projection) List(f Filter, q Query) ([]ActState, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	out := []ActState{}
	p.eachAct(f.Country, func(id events.ActID) {
		if pk, ok := p.pick(id, f, q); ok {
			m := pk.m
			if m == nil {
				m = p.passingModel(pk.r)
			}
			out = append(out, p.stateOf(id, m, pk.n, q, false))
		}
	})
	return out, nil
}

// Kind returns the kind of an act as now recorded; "" for an act not in
// the projection.
func (p *Projection) Kind(id events.ActID) events.Kind {
	if r := p.acts[id]; r != nil {
		return r.kind
	}
	return ""
}

// Acts returns the identifiers of every act the projection knows, in
// order.
func (p *Projection) Acts() []events.ActID {
	ids := make([]events.ActID, 0, len(p.acts))
	p.eachAct("", func(id events.ActID) { ids = append(ids, id) })
	return ids
}

// eachAct calls fn for every act of a country ("" for all), in order.
func (p *Projection) eachAct(country string, fn func(events.ActID)) {
	if country != "" {
		for _, id := range p.idsOf(country) {
			fn(id)
		}
		return
	}
	ids := make([]events.ActID, 0, len(p.acts))
	for id := range p.acts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fn(id)
	}
}

// Interval is a stretch of valid time with one status: [From, To).
type Interval struct {
	From   events.Date `json:"from,omitzero"` // zero: since ever
	To     events.Date `json:"to,omitzero"`   // zero: open
	Status Status      `json:"status"`
	Reason string      `json:"reason"`
	// Opened and Closed name the events whose dates open and close it:
	// those dated on From (To) that can change the act's status there —
	// the adoption, a commencement, a whole-act ending or re-enactment, a
	// whole-act suspension or the lifting of one. The first interval has
	// no Opened; an open one no Closed.
	Opened []events.ID `json:"opened_by,omitempty"`
	Closed []events.ID `json:"closed_by,omitempty"`
}

// TimelineEvent is one event of an act's record.
type TimelineEvent struct {
	Seq        uint64      `json:"sequence"`
	ID         events.ID   `json:"id"`
	Type       events.Type `json:"type"`
	Date       events.Date `json:"date"`
	Effective  bool        `json:"effective"` // false when retracted or a record event
	RecordedAt time.Time   `json:"recorded_at"`
	RecordedBy string      `json:"recorded_by"`
}

// Timeline is the life of an act: its status intervals in valid time and
// its events in record order.
type Timeline struct {
	Act       events.ActID `json:"act"`
	Title     string       `json:"title"`
	KnownAt   *time.Time   `json:"known_at,omitempty"`
	Intervals []Interval   `json:"intervals"`
	// Provisions holds each provision's own intervals: in_force,
	// suspended, not_in_force.
	Provisions map[string][]ProvisionInterval `json:"provisions,omitempty"`
	Events     []TimelineEvent                `json:"events"`
}

// ProvisionInterval is a stretch of valid time in which a provision has one
// status: [From, To).
type ProvisionInterval struct {
	From   events.Date `json:"from,omitzero"`
	To     events.Date `json:"to,omitzero"`
	Status string      `json:"status"`
}

// Timeline returns an act's intervals and events as known at knownAt (nil:
// now).
func (p *Projection) Timeline(id events.ActID, knownAt *time.Time) (Timeline, error) {
	m, n := p.modelAt(id, knownAt)
	if m == nil {
		_, err := p.State(id, Query{AsOf: events.MustDate("2000-01-01"), KnownAt: knownAt})
		return Timeline{}, err
	}
	t := Timeline{Act: id, Title: m.title, KnownAt: knownAt}
	effective := map[events.ID]bool{}
	for _, e := range m.events {
		effective[e] = true
	}
	for r := range p.acts[id].log.Records(0, n) {
		h := p.head(&r)
		t.Events = append(t.Events, TimelineEvent{Seq: r.Seq, ID: r.ID, Type: h.typ, Date: h.date,
			Effective: effective[r.ID], RecordedAt: h.recordedAt, RecordedBy: h.recordedBy})
	}
	bounds := m.boundaries()
	// The status before the first boundary, then at each.
	first := m.statusOn(0)
	t.Intervals = append(t.Intervals, Interval{Status: first.status, Reason: first.reason})
	for _, b := range bounds {
		v := m.statusOn(b.Earliest())
		last := &t.Intervals[len(t.Intervals)-1]
		if v.status == last.Status && v.reason == last.Reason {
			continue
		}
		by := m.changedBy(b.Earliest())
		last.To, last.Closed = b, by
		t.Intervals = append(t.Intervals, Interval{From: b, Status: v.status, Reason: v.reason, Opened: by})
	}
	for _, eid := range m.sortedProvisions() {
		if t.Provisions == nil {
			t.Provisions = map[string][]ProvisionInterval{}
		}
		ivs := []ProvisionInterval{{Status: m.provisionStatus(eid, 0)}}
		for _, b := range bounds {
			st := m.provisionStatus(eid, b.Earliest())
			if last := &ivs[len(ivs)-1]; st != last.Status {
				last.To = b
				ivs = append(ivs, ProvisionInterval{From: b, Status: st})
			}
		}
		t.Provisions[eid] = ivs
	}
	return t, nil
}

// Change is an act whose status differs between two days.
type Change struct {
	Act    events.ActID `json:"act"`
	Title  string       `json:"title"`
	Before Status       `json:"before"`
	After  Status       `json:"after"`
	// EnteredForce and LeftForce say whether the act came into force or
	// ceased to be in force between the two days.
	EnteredForce bool `json:"entered_force,omitempty"`
	LeftForce    bool `json:"left_force,omitempty"`
}

// Diff answers "what changed between d1 and d2" for the acts of a filter
// (Filter.Status is ignored), as known at knownAt.
func (p *Projection) Diff(d1, d2 events.Date, f Filter, knownAt *time.Time) ([]Change, error) {
	var refs []changeRef
	err := p.eachChange(d1, d2, f, knownAt, "", false, func(c changeRef, _ int) bool {
		refs = append(refs, c)
		return true
	})
	if err != nil {
		return nil, err
	}
	out := make([]Change, len(refs))
	for i := range refs {
		out[i] = p.render(&refs[i])
	}
	return out, nil
}

// DiffPage is Diff cut to the page of c, of at most limit changes
// (DefaultLimit when 0), with the totals of the whole list. It decides
// every act's status on the two days (from its rows, for the record as it
// now stands) and counts the changes without keeping them (pageCut),
// rendering the page's changes only: each page costs the whole list's
// walk. DiffPageUncounted answers a page without the totals at the cost
// of the page.
func (p *Projection) DiffPage(d1, d2 events.Date, f Filter, knownAt *time.Time, c Cursor, limit int) (Page[Change], DiffTotals, error) {
	var t DiffTotals
	pc := newPageCut(func(r changeRef) string { return string(r.r.id) }, c, limit)
	err := p.eachChange(d1, d2, f, knownAt, c.Key, false, func(r changeRef, cmp int) bool {
		switch {
		case !r.before.InForceOn() && r.after.InForceOn():
			t.Entered++
		case r.before.InForceOn() && !r.after.InForceOn():
			t.Left++
		}
		pc.add(r, cmp)
		return true
	})
	if err != nil {
		return Page[Change]{}, DiffTotals{}, err
	}
	t.Changes = pc.n
	pg := pc.page()
	out := Page[Change]{Items: make([]Change, len(pg.Items)), Start: pg.Start, Prev: pg.Prev, Next: pg.Next}
	for i := range pg.Items {
		out.Items[i] = p.render(&pg.Items[i])
	}
	return out, t, nil
}

// DiffPageUncounted is DiffPage without the totals: the page after c (the
// changes whose acts' identifiers sort after c.Key), of at most limit
// changes (DefaultLimit when 0), with the cursor of the page after it
// (zero on the last). It walks the changes from the cursor on and stops
// at the first one past the page, so that a page costs about its own
// changes, not the whole list's, as ListPage does for List: for the
// record as it now stands it reads the rows from the cursor on (those
// the day index names, or every row where most change); as known at a
// time it folds the acts from the cursor on as then known, until the
// page is full. Start is -1 and Prev zero: the changes before the page
// are not read. A cursor Before is answered by DiffPage, with its Start
// and Prev. Its pages, followed by their cursors, are PageOf's pages of
// Diff.
func (p *Projection) DiffPageUncounted(d1, d2 events.Date, f Filter, knownAt *time.Time, c Cursor, limit int) (Page[Change], error) {
	if c.Before {
		pg, _, err := p.DiffPage(d1, d2, f, knownAt, c, limit)
		return pg, err
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	var refs []changeRef
	err := p.eachChange(d1, d2, f, knownAt, c.Key, true, func(r changeRef, _ int) bool {
		refs = append(refs, r)
		return len(refs) <= limit // one more: the page is not the last
	})
	if err != nil {
		return Page[Change]{}, err
	}
	pg := Page[Change]{Start: -1}
	if len(refs) > limit {
		refs = refs[:limit]
		pg.Next = Cursor{Key: string(refs[limit-1].r.id)}
	}
	pg.Items = make([]Change, len(refs))
	for i := range refs {
		pg.Items[i] = p.render(&refs[i])
	}
	return pg, nil
}

// DiffTotals counts the changes of a whole diff: all, those into force,
// those out of it.
type DiffTotals struct {
	Changes, Entered, Left int
}

// changeRef is an act whose status differs between two days: its record,
// its model when the answer had to read it, and its two statuses.
type changeRef struct {
	r      *actRec
	m      *model
	before Status
	after  Status
}

// eachChange calls fn with the acts of f whose status on d1 and d2
// differ, as known at knownAt, in identifier order, and how each one's
// identifier compares with key (as eachStatus), until fn returns false;
// when after, only the acts whose identifiers sort after key, reading
// none before it. For the record as it now stands it reads the acts'
// kinds and rows, and neither their records nor their models: a change's
// act is read when rendered.
func (p *Projection) eachChange(d1, d2 events.Date, f Filter, knownAt *time.Time, key string, after bool, fn func(changeRef, int) bool) error {
	for _, d := range []events.Date{d1, d2} {
		if err := (Query{AsOf: d}).check(); err != nil {
			return err
		}
	}
	if knownAt == nil {
		// For the record as it now stands, from the rows of the acts
		// whose status changes in between (dayindex.go).
		p.eachChanged(f.Country, f.Kind, key, after, d1.Earliest(), d2.Earliest(), func(r *actRec, cmp int, st []uint8) bool {
			return fn(changeRef{r: r, before: Statuses[st[0]], after: Statuses[st[1]]}, cmp)
		})
		return nil
	}
	from := "" // eachActAfter's: every act
	if after {
		from = key
	}
	p.eachActAfter(f.Country, from, func(id events.ActID) bool {
		r := p.acts[id]
		m, _ := p.modelAt(id, knownAt)
		if m == nil || (f.Kind != "" && m.kind != f.Kind) {
			return true
		}
		if a, b := m.statusOn(d1.Earliest()).status, m.statusOn(d2.Earliest()).status; a != b {
			return fn(changeRef{r: r, m: m, before: a, after: b}, strings.Compare(string(id), key))
		}
		return true
	})
	return nil
}

// render returns the change c names, with its act's title.
func (p *Projection) render(c *changeRef) Change {
	m := c.m
	if m == nil {
		m = p.model(c.r)
	}
	a, b := c.before, c.after
	return Change{Act: c.r.id, Title: m.title, Before: a, After: b,
		EnteredForce: !a.InForceOn() && b.InForceOn(),
		LeftForce:    a.InForceOn() && !b.InForceOn()}
}
