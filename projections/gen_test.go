package projections_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// A generator of random but valid histories: a random walk over several
// acts, keeping only the events that events.Validate accepts against the
// act's prior events, as the ledger would.

type genAct struct {
	id   events.ActID
	kind events.Kind
	hist []events.Event
}

type genHistory struct {
	acts    []*genAct // in identifier order
	byID    map[events.ActID]*genAct
	entries []eventlog.Entry // the stream
	eff     map[refKey][]events.Event
}

// effective returns events.Effective of the act's first n events, cached.
func (h *genHistory) effective(id events.ActID, n int) []events.Event {
	k := refKey{id, n}
	if eff, ok := h.eff[k]; ok {
		return eff
	}
	eff, err := events.Effective(h.byID[id].hist[:n])
	if err != nil {
		panic("a generated history that events.Effective refuses: " + err.Error())
	}
	h.eff[k] = eff
	return eff
}

// genOptions shape a history.
type genOptions struct {
	acts, events int
	// countries to draw from.
	countries []string
}

var (
	genCountries = []string{"kz", "kz", "uz", "za", "za-cpt"}
	genKinds     = []events.Kind{events.Law, events.Law, events.CodeKind, events.Constitution, events.Decree,
		events.Programme, events.Treaty, events.Treaty, events.CourtResolution, events.Institution}
	genProvisions = []string{"art_1", "art_2", "art_3", "art_2__para_1"}
	// externalInstrument is an amending act that is not in the projection.
	externalInstrument events.ActID = "/akn/kz/act/2011-01-18/378"
)

type weighted struct {
	t events.Type
	w int
}

var genTypes = []weighted{
	{events.Introduced, 2}, {events.Passed, 2}, {events.Adopted, 8}, {events.Rejected, 1}, {events.Vetoed, 1},
	{events.VetoOverridden, 1}, {events.Withdrawn, 1}, {events.Lapsed, 1}, {events.Signed, 4}, {events.Published, 2},
	{events.Ratified, 3}, {events.Acceded, 1},
	{events.Commenced, 10}, {events.CommencementPostponed, 2}, {events.Amended, 5}, {events.Suspended, 4},
	{events.SuspensionLifted, 4}, {events.Repealed, 4}, {events.Expired, 1}, {events.Annulled, 1},
	{events.Corrigendum, 1}, {events.Reenacted, 3},
	{events.RecordCorrected, 5}, {events.RecordRetracted, 3},
}

var genTypeTotal = func() int {
	n := 0
	for _, w := range genTypes {
		n += w.w
	}
	return n
}()

func pickType(r *rand.Rand) events.Type {
	n := r.IntN(genTypeTotal)
	for _, w := range genTypes {
		if n < w.w {
			return w.t
		}
		n -= w.w
	}
	panic("unreachable")
}

// generate returns a random valid history. Record times increase (some
// events share one), sequences increase with gaps.
func generate(r *rand.Rand, o genOptions) *genHistory {
	if o.countries == nil {
		o.countries = genCountries
	}
	h := &genHistory{byID: map[events.ActID]*genAct{}, eff: map[refKey][]events.Event{}}
	for i := 0; i < o.acts; i++ {
		c := o.countries[r.IntN(len(o.countries))]
		k := genKinds[r.IntN(len(genKinds))]
		var id events.ActID
		switch k {
		case events.Decree, events.Treaty, events.Programme:
			id = events.ActID(fmt.Sprintf("/akn/%s/act/%s/%d/%d", c, k, 1990+r.IntN(20), i))
		default:
			id = events.ActID(fmt.Sprintf("/akn/%s/act/%d-%02d-%02d/%d", c, 1990+r.IntN(20), 1+r.IntN(12), 1+r.IntN(28), i))
		}
		if h.byID[id] != nil {
			continue
		}
		a := &genAct{id: id, kind: k}
		h.acts = append(h.acts, a)
		h.byID[id] = a
	}
	slices.SortFunc(h.acts, func(a, b *genAct) int {
		if a.id < b.id {
			return -1
		}
		return 1
	})
	clock := base
	var seq uint64
	for tries := 0; len(h.entries) < o.events && tries < o.events*60; tries++ {
		a := h.acts[r.IntN(len(h.acts))]
		e, ok := h.propose(r, a)
		if !ok {
			continue
		}
		if r.IntN(10) > 0 {
			clock = clock.Add(time.Duration(1+r.IntN(180)) * time.Minute)
		}
		seq += 1 + uint64(r.IntN(2))
		e.RecordedAt, e.RecordedBy = clock, "gen@test"
		a.hist = append(a.hist, e)
		h.entries = append(h.entries, eventlog.Entry{Seq: seq, Event: e})
	}
	return h
}

// propose builds one random event for a and keeps it if the ledger would.
func (h *genHistory) propose(r *rand.Rand, a *genAct) (events.Event, bool) {
	e := events.Event{Schema: 1, ID: events.NewID(), Act: a.id}
	if len(a.hist) == 0 || (r.IntN(40) == 0 && !h.exists(a)) {
		var choices []events.Type
		switch {
		case a.kind == events.Treaty:
			choices = []events.Type{events.Ratified, events.Acceded, events.Drafted, events.Adopted}
		case events.HasPassage(a.kind):
			choices = []events.Type{events.Drafted, events.Introduced, events.Adopted, events.Adopted}
		default:
			choices = []events.Type{events.Drafted, events.Adopted, events.Adopted}
		}
		e.Type = choices[r.IntN(len(choices))]
		e.Date = h.date(r, a)
		e.Body.Title, e.Body.Kind = "Act "+string(a.id), a.kind
		if e.Type == events.Introduced {
			e.Body.Chamber = "Mazhilis"
		}
		if e.Type != events.Ratified && e.Type != events.Acceded && r.IntN(3) == 0 {
			e.Body.Texts = h.texts(r, nil, "v0")
		}
	} else {
		e.Type = pickType(r)
		if !h.fill(r, a, &e) {
			return e, false
		}
	}
	if events.Validate(a.hist, e) != nil {
		return e, false
	}
	return e, true
}

// exists reports whether a's effective history holds a creation.
func (h *genHistory) exists(a *genAct) bool {
	s, err := events.Fold(a.hist)
	return err == nil && s.Exists()
}

func (h *genHistory) fill(r *rand.Rand, a *genAct, e *events.Event) bool {
	e.Date = h.date(r, a)
	from := func() { e.EffectiveFrom = h.date(r, a) }
	switch e.Type {
	case events.Introduced, events.Passed:
		e.Body.Chamber = "Mazhilis"
	case events.Adopted:
		if r.IntN(3) == 0 {
			e.Body.Texts = h.texts(r, nil, "adopted")
		}
	case events.Rejected, events.Withdrawn, events.Lapsed:
		e.Body.Reason = "no majority"
	case events.Published:
		e.Body.Gazette = "Gazette 1"
	case events.Commenced:
		from()
		e.Provisions = h.provisions(r, 2)
		e.Retroactive = r.IntN(6) == 0
	case events.CommencementPostponed:
		if r.IntN(4) > 0 {
			from()
		}
		e.Provisions = h.provisions(r, 2)
	case events.Amended:
		e.Instrument = externalInstrument
		if other := h.acts[r.IntN(len(h.acts))]; other.id != a.id && r.IntN(3) > 0 {
			e.Instrument = other.id
		}
		from()
		e.Body.Effect = events.AmendmentEffects[r.IntN(len(events.AmendmentEffects))]
		e.Provisions = h.provisions(r, 2)
		if e.Body.Effect == events.Repeal {
			// An amendment with effect repeal and no provisions is a
			// question left open (see the report): always name some.
			for len(e.Provisions) == 0 {
				e.Provisions = h.provisions(r, 1)
			}
		}
		if e.Body.Effect != events.Repeal && r.IntN(2) == 0 {
			e.Body.Texts = h.texts(r, e.Provisions, "amended")
		}
		e.Retroactive = r.IntN(8) == 0
	case events.Suspended:
		from()
		if r.IntN(5) < 2 {
			e.EffectiveTo = h.after(r, e.EffectiveFrom)
		}
		e.Provisions = h.provisions(r, 3)
		e.Retroactive = r.IntN(8) == 0
	case events.SuspensionLifted:
		from()
		if r.IntN(3) == 0 {
			e.Provisions = h.provisions(r, 1)
		}
	case events.Repealed, events.Annulled:
		from()
		if r.IntN(10) < 3 {
			e.Provisions = h.provisions(r, 1)
		}
		e.Retroactive = r.IntN(8) == 0
	case events.Expired:
		from()
		if r.IntN(5) == 0 {
			e.Provisions = h.provisions(r, 1)
		}
	case events.Corrigendum:
		e.Body.Texts = h.texts(r, nil, "corrigendum")
		e.Body.Gazette = "Gazette 2"
	case events.Reenacted:
		from()
		e.Retroactive = r.IntN(10) == 0
	case events.RecordCorrected:
		return h.correction(r, a, e)
	case events.RecordRetracted:
		var targets []events.Event
		for _, x := range a.hist {
			if x.Type != events.RecordRetracted && !retracted(a.hist, x.ID) {
				targets = append(targets, x)
			}
		}
		if len(targets) == 0 {
			return false
		}
		e.Body.Retracts = targets[r.IntN(len(targets))].ID
		e.Body.Reason = "recorded in error"
	}
	return true
}

func retracted(hist []events.Event, id events.ID) bool {
	for _, x := range hist {
		if x.Type == events.RecordRetracted && x.Body.Retracts == id {
			return true
		}
	}
	return false
}

// correction makes e a record_corrected of a random event of a: its date,
// valid time, provisions, instrument or texts, or a field no model reads.
func (h *genHistory) correction(r *rand.Rand, a *genAct, e *events.Event) bool {
	var targets []events.Event
	for _, x := range a.hist {
		if spec, _ := events.SpecOf(x.Type); spec.Group != events.Record && !retracted(a.hist, x.ID) {
			targets = append(targets, x)
		}
	}
	if len(targets) == 0 {
		return false
	}
	x := targets[r.IntN(len(targets))]
	c := map[string]any{}
	spec, _ := events.SpecOf(x.Type)
	has := func(f events.Field) bool {
		return slices.Contains(spec.Required, f) || slices.Contains(spec.Optional, f)
	}
	options := []func(){func() { c["date"] = h.date(r, a).String() }}
	if has(events.FEffectiveFrom) {
		f := func() { c["effective_from"] = h.date(r, a).String() }
		options = append(options, f, f, f)
	}
	if x.Type == events.Suspended {
		options = append(options, func() {
			if r.IntN(3) == 0 {
				c["effective_to"] = nil
			} else {
				c["effective_to"] = h.after(r, x.EffectiveFrom).String()
			}
		})
	}
	if has(events.FProvisions) && !(x.Type == events.Amended && x.Body.Effect == events.Repeal) {
		options = append(options, func() {
			if p := h.provisions(r, 1); p != nil {
				c["provisions"] = p
			} else {
				c["provisions"] = nil
			}
		})
	}
	if x.Type == events.Amended {
		options = append(options, func() { c["instrument"] = string(h.acts[r.IntN(len(h.acts))].id) })
	}
	if has(events.FRetroactive) {
		options = append(options, func() { c["retroactive"] = !x.Retroactive })
	}
	if has(events.FTexts) && x.Type != events.Amended {
		options = append(options, func() { c["body"] = map[string]any{"texts": h.texts(r, nil, "corrected")} })
	}
	// Corrections that leave every field the fold reads as it was: a note,
	// the gazette, a date restated (as first recorded: a change back where
	// an earlier correction moved it).
	options = append(options,
		func() { c["body"] = map[string]any{"note": "noted on review"} },
		func() { c["date"] = x.Date.String() })
	if x.Type == events.Published {
		options = append(options, func() { c["body"] = map[string]any{"gazette": "Gazette 3"} })
	}
	options[r.IntN(len(options))]()
	raw, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	e.Body.Corrects, e.Body.Correction, e.Body.Reason = x.ID, raw, "recorded wrongly"
	return true
}

// date returns a random date near the act's other dates (or anywhere in
// 1998-2012), of day precision mostly, some of month or year precision.
func (h *genHistory) date(r *rand.Rand, a *genAct) events.Date {
	var anchors []events.DayNum
	for _, x := range a.hist {
		for _, d := range []events.Date{x.Date, x.EffectiveFrom, x.EffectiveTo} {
			if !d.IsZero() {
				anchors = append(anchors, d.Earliest())
			}
		}
	}
	var day events.DayNum
	if len(anchors) == 0 || r.IntN(5) == 0 {
		day = events.MustDate("1998-01-01").Earliest() + events.DayNum(r.IntN(15*365))
	} else {
		day = anchors[r.IntN(len(anchors))] + events.DayNum(r.IntN(1500)-300)
	}
	d := day.Date()
	switch r.IntN(25) {
	case 0, 1, 2:
		d.Day = 0
	case 3:
		d.Day, d.Month = 0, 0
	}
	return d
}

// after returns a random date after d (for effective_to).
func (h *genHistory) after(r *rand.Rand, d events.Date) events.Date {
	out := (d.Latest() + 1 + events.DayNum(r.IntN(900))).Date()
	if r.IntN(8) == 0 {
		out.Day = 0
		if out.Earliest() <= d.Latest() {
			out.Day = 1
		}
	}
	return out
}

// provisions returns nil (the whole act) about half the time, else one or
// two of genProvisions; at most max.
func (h *genHistory) provisions(r *rand.Rand, max int) []string {
	if r.IntN(2) == 0 {
		return nil
	}
	n := 1 + r.IntN(max)
	var out []string
	for _, i := range r.Perm(len(genProvisions))[:min(n, len(genProvisions))] {
		out = append(out, genProvisions[i])
	}
	return out
}

// texts returns texts for some provisions (of eids, or the pool).
func (h *genHistory) texts(r *rand.Rand, eids []string, tag string) map[string]string {
	if len(eids) == 0 {
		eids = genProvisions[:1+r.IntN(2)]
	}
	out := map[string]string{}
	for _, eid := range eids {
		out[eid] = fmt.Sprintf("%s %s %d", eid, tag, r.IntN(1000))
	}
	return out
}

// project applies entries to a new projection.
func project(tb testing.TB, entries []eventlog.Entry) *projections.Projection {
	tb.Helper()
	p := newProjection(tb)
	for _, e := range entries {
		if _, err := p.Apply(e); err != nil {
			tb.Fatalf("Apply(%d): %v", e.Seq, err)
		}
	}
	return p
}
