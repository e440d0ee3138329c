package projections_test

import (
	"slices"
	"sort"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// A naive reference for the property test, written from docs/EVENTS.md's and
// docs/PROJECTIONS.md's semantics without the package's code: the events of
// an act known at T (record time, running maximum), events.Effective, then
// the status on a day by a sweep over valid time.
//
// bugs makes the reference reproduce the package's known defects (see
// bugs_test.go), so that the property test can tell a known defect from a
// new disagreement.
type refBugs struct {
	reenactSameDay   bool // a same-day re-enactment does not undo a repeal
	postponeOverlap  bool // a postponement drops every overlapping commencement
	liftEnded        bool // a lift may attach to a suspension already ended
	textRecordOrder  bool // the text of a day is the last recorded, not the latest dated
	firstInForceAll  bool // first_in_force counts commencements while ended
	listByCountry    bool // List and Diff order by country, then identifier
	madeByRawInstrum bool // AmendmentsMade indexes raw instruments only
	lawFirstRecorded bool // the law date is the first recorded of adopted, ratified, signed
	uncertainByDay   bool // of two boundaries starting on one day, only the less precise is told
}

var allBugs = refBugs{true, true, true, true, true, true, true, true, true}

type refComm struct {
	from       events.Date
	provisions []string
	except     []string // provisions postponed out of it
}

type refRule struct {
	typ        events.Type
	from       events.Date
	provisions []string
	pos        int
}

type refSusp struct {
	from, to, lifted events.Date
	provisions       []string
}

type refText struct {
	from events.Date
	text string
	id   events.ID
	pos  int
}

// refModel is the reference's view of one act as known at some T.
type refModel struct {
	bugs       refBugs
	title      string
	kind       events.Kind
	law        events.Date
	lawType    events.Type
	terminal   *events.Event
	stage      events.Type
	stageDate  events.Date
	dates      map[string]events.Date
	comms      []refComm
	endings    []refRule // whole and provision endings, amendments with effect repeal
	reens      []refRule
	susps      []refSusp
	amendments []projections.Amendment
	texts      map[string][]refText
	provisions map[string]bool
}

func covers(list []string, eid string) bool { return events.Covers(list, eid) }

// excluded reports whether eid is postponed out of c.
func (c *refComm) excluded(eid string) bool { return len(c.except) > 0 && covers(c.except, eid) }

func newRefModel(eff []events.Event, bugs refBugs) *refModel {
	m := &refModel{bugs: bugs, dates: map[string]events.Date{}, texts: map[string][]refText{}, provisions: map[string]bool{}}
	if len(eff) > 0 {
		m.title, m.kind = eff[0].Body.Title, eff[0].Body.Kind
	}
	// The law date, as the validator's rule 4 defines it: the adoption,
	// else the ratification or accession, else (acts adopted when issued)
	// the signature.
	var adopted, ratified, signed *events.Event
	for i := range eff {
		e := &eff[i]
		switch e.Type {
		case events.Adopted:
			adopted = e
		case events.Ratified, events.Acceded:
			ratified = e
		case events.Signed:
			signed = e
		}
	}
	switch {
	case bugs.lawFirstRecorded:
		for i := range eff {
			e := &eff[i]
			if e.Type == events.Adopted || e.Type == events.Ratified || e.Type == events.Acceded ||
				(e.Type == events.Signed && !events.HasPassage(m.kind)) {
				m.law, m.lawType = e.Date, e.Type
				break
			}
		}
	case adopted != nil:
		m.law, m.lawType = adopted.Date, events.Adopted
	case ratified != nil:
		m.law, m.lawType = ratified.Date, ratified.Type
	case signed != nil && !events.HasPassage(m.kind):
		m.law, m.lawType = signed.Date, events.Signed
	}
	for pos := range eff {
		e := &eff[pos]
		for _, p := range e.Provisions {
			m.provisions[p] = true
		}
		for eid := range e.Body.Texts {
			m.provisions[eid] = true
		}
		if spec, _ := events.SpecOf(e.Type); spec.Group == events.Procedure {
			m.stage, m.stageDate = e.Type, e.Date
		}
		text := func(from events.Date) {
			for eid, s := range e.Body.Texts {
				m.texts[eid] = append(m.texts[eid], refText{from, s, e.ID, pos})
			}
		}
		switch e.Type {
		case events.Drafted, events.Introduced, events.Adopted, events.Corrigendum:
			text(e.Date)
		}
		switch e.Type {
		case events.Adopted, events.Signed, events.Published, events.VetoOverridden, events.Ratified, events.Acceded:
			m.dates[string(e.Type)] = e.Date
		case events.Withdrawn, events.Rejected, events.Lapsed:
			m.terminal = e
		case events.Commenced:
			m.comms = append(m.comms, refComm{from: e.EffectiveFrom, provisions: e.Provisions})
		case events.CommencementPostponed:
			m.postpone(e)
		case events.Amended:
			m.amendments = append(m.amendments, projections.Amendment{Event: e.ID, Instrument: e.Instrument, Effect: e.Body.Effect,
				Provisions: e.Provisions, EffectiveFrom: e.EffectiveFrom, Retroactive: e.Retroactive})
			if e.Body.Effect == events.Repeal {
				m.endings = append(m.endings, refRule{events.Repealed, e.EffectiveFrom, e.Provisions, pos})
			}
			text(e.EffectiveFrom)
		case events.Repealed, events.Expired, events.Annulled:
			m.endings = append(m.endings, refRule{e.Type, e.EffectiveFrom, e.Provisions, pos})
		case events.Reenacted:
			m.reens = append(m.reens, refRule{e.Type, e.EffectiveFrom, nil, pos})
		case events.Suspended:
			m.susps = append(m.susps, refSusp{from: e.EffectiveFrom, to: e.EffectiveTo, provisions: e.Provisions})
		case events.SuspensionLifted:
			m.lift(e)
		}
	}
	return m
}

// postpone moves the commencement of the provisions e names (all, when it
// names none) to e's effective_from, or to no date.
func (m *refModel) postpone(e *events.Event) {
	var kept []refComm
	for _, c := range m.comms {
		switch {
		case !events.Overlaps(c.provisions, e.Provisions):
			kept = append(kept, c)
		case m.bugs.postponeOverlap || len(e.Provisions) == 0:
			// dropped
		case len(c.provisions) > 0 && allCovered(c.provisions, e.Provisions):
			// entirely postponed
		default:
			c.except = append(slices.Clone(c.except), e.Provisions...)
			kept = append(kept, c)
		}
	}
	m.comms = kept
	if !e.EffectiveFrom.IsZero() {
		m.comms = append(m.comms, refComm{from: e.EffectiveFrom, provisions: e.Provisions})
	}
}

func allCovered(list, by []string) bool {
	for _, p := range list {
		if !covers(by, p) {
			return false
		}
	}
	return true
}

// lift ends the suspension that the validator finds active on the lift's
// day (events.State.activeSuspension's rule): the latest one, not lifted,
// overlapping, started on or before, not run out.
func (m *refModel) lift(e *events.Event) {
	for i := len(m.susps) - 1; i >= 0; i-- {
		s := &m.susps[i]
		if !s.lifted.IsZero() || !events.Overlaps(s.provisions, e.Provisions) || e.EffectiveFrom.Before(s.from) {
			continue
		}
		if !m.bugs.liftEnded && !s.to.IsZero() && !e.EffectiveFrom.Before(s.to) {
			continue
		}
		s.lifted = e.EffectiveFrom
		return
	}
}

func (s *refSusp) activeOn(d events.DayNum) bool {
	if d < s.from.Earliest() {
		return false
	}
	if !s.to.IsZero() && d >= s.to.Earliest() {
		return false
	}
	if !s.lifted.IsZero() && d >= s.lifted.Earliest() {
		return false
	}
	return true
}

// endedOn returns the whole-act ending in effect on d: a sweep over the
// whole-act endings and re-enactments in valid time, same-day ones in
// ledger order.
func (m *refModel) endedOn(d events.DayNum) *refRule {
	if m.bugs.reenactSameDay {
		var end *refRule
		for i := range m.endings {
			r := &m.endings[i]
			if len(r.provisions) == 0 && r.from.Earliest() <= d && (end == nil || r.from.Earliest() >= end.from.Earliest()) {
				end = r
			}
		}
		if end == nil {
			return nil
		}
		for _, re := range m.reens {
			if re.from.Earliest() > end.from.Earliest() && re.from.Earliest() <= d {
				return nil
			}
		}
		return end
	}
	var items []*refRule
	for i := range m.endings {
		if len(m.endings[i].provisions) == 0 {
			items = append(items, &m.endings[i])
		}
	}
	for i := range m.reens {
		items = append(items, &m.reens[i])
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.from.Earliest() != b.from.Earliest() {
			return a.from.Earliest() < b.from.Earliest()
		}
		return a.pos < b.pos
	})
	var end *refRule
	for _, it := range items {
		if it.from.Earliest() > d {
			break
		}
		if it.typ == events.Reenacted {
			end = nil
		} else {
			end = it
		}
	}
	return end
}

// refVerdict is the reference's status on a day, with every reason it
// accepts (where several events could be named).
type refVerdict struct {
	status  projections.Status
	reasons []string
}

var endingStatus = map[events.Type]projections.Status{events.Repealed: projections.Repealed,
	events.Expired: projections.Expired, events.Annulled: projections.Annulled}

// lawOn: adopted by day d, or adopted later with a commencement reaching
// back to d (a retroactive law).
func (m *refModel) lawOn(d events.DayNum) bool {
	if m.law.IsZero() {
		return false
	}
	if d >= m.law.Earliest() {
		return true
	}
	for i := range m.comms {
		if m.comms[i].from.Earliest() <= d {
			return true
		}
	}
	return false
}

func (m *refModel) statusOn(d events.DayNum) refVerdict {
	if !m.lawOn(d) {
		switch {
		case m.terminal != nil:
			return refVerdict{projections.NotAdopted, []string{string(m.terminal.Type) + " on " + m.terminal.Date.String()}}
		case !m.law.IsZero():
			return refVerdict{projections.NotAdopted, []string{"adopted later, on " + m.law.String()}}
		}
		return refVerdict{projections.NotAdopted, []string{"not adopted; last step: " + string(m.stage) + " " + m.stageDate.String()}}
	}
	if end := m.endedOn(d); end != nil {
		return refVerdict{endingStatus[end.typ], []string{string(end.typ) + " with effect from " + end.from.String()}}
	}
	var v refVerdict
	var whole, part []string
	for i := range m.comms {
		c := &m.comms[i]
		if c.from.Earliest() > d {
			continue
		}
		if len(c.provisions) == 0 && m.exceptsCommenced(c, d) {
			whole = append(whole, "in force from "+c.from.String())
		} else {
			part = append(part, "provisions in force from "+c.from.String())
		}
	}
	switch {
	case whole != nil:
		v = refVerdict{projections.InForce, whole}
	case part != nil:
		v = refVerdict{projections.PartiallyInForce, part}
	default:
		return refVerdict{projections.AdoptedNotInForce, []string{string(m.lawType) + " on " + m.law.String() + ", not commenced"}}
	}
	var sus []string
	for _, s := range m.susps {
		if len(s.provisions) == 0 && s.activeOn(d) {
			sus = append(sus, "suspended from "+s.from.String())
		}
	}
	if sus != nil {
		v = refVerdict{projections.Suspended, sus}
	}
	return v
}

// exceptsCommenced reports whether every provision postponed out of a
// whole-act commencement has commenced by d on its own.
func (m *refModel) exceptsCommenced(c *refComm, d events.DayNum) bool {
	for _, x := range c.except {
		ok := false
		for i := range m.comms {
			o := &m.comms[i]
			if o != c && o.from.Earliest() <= d && covers(o.provisions, x) && !o.excluded(x) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// provisionOn is docs/PROJECTIONS.md's provision rule: a commencement covering it
// has come, no repeal, expiry or annulment covering it has, and the act
// has not ended; suspended while a suspension covering it runs.
func (m *refModel) provisionOn(eid string, d events.DayNum) (status string, text *refText) {
	in, sus := false, false
	if m.lawOn(d) && m.endedOn(d) == nil {
		for i := range m.comms {
			c := &m.comms[i]
			if c.from.Earliest() <= d && covers(c.provisions, eid) && !c.excluded(eid) {
				in = true
			}
		}
		for _, e := range m.endings {
			if len(e.provisions) > 0 && e.from.Earliest() <= d && covers(e.provisions, eid) {
				in = false
			}
		}
		for _, s := range m.susps {
			if in && s.activeOn(d) && covers(s.provisions, eid) {
				sus = true
			}
		}
	}
	for i := range m.texts[eid] {
		v := &m.texts[eid][i]
		if v.from.Earliest() > d {
			continue
		}
		if m.bugs.textRecordOrder || text == nil || v.from.Earliest() >= text.from.Earliest() {
			text = v
		}
	}
	switch {
	case sus:
		return projections.ProvisionSuspended, text
	case in:
		return projections.ProvisionInForce, text
	}
	return projections.ProvisionNotInForce, text
}

// boundaries lists every recorded date at which the act's status or a
// provision's may change.
func (m *refModel) boundaries() []events.Date {
	var out []events.Date
	add := func(d events.Date) {
		if !d.IsZero() {
			out = append(out, d)
		}
	}
	add(m.law)
	for _, c := range m.comms {
		add(c.from)
	}
	for _, r := range m.endings {
		add(r.from)
	}
	for _, r := range m.reens {
		add(r.from)
	}
	for _, s := range m.susps {
		add(s.from)
		add(s.to)
		add(s.lifted)
	}
	return out
}

// uncertainOn lists the boundaries known to the month or year whose span
// includes d, each date once, by first day then precision.
func (m *refModel) uncertainOn(d events.DayNum) []events.Date {
	bs := m.boundaries()
	if m.bugs.uncertainByDay {
		sort.SliceStable(bs, func(i, j int) bool { return bs[i].Earliest() < bs[j].Earliest() })
		var kept []events.Date
		for _, b := range bs {
			if n := len(kept); n > 0 && kept[n-1].Earliest() == b.Earliest() {
				if b.Precision() > kept[n-1].Precision() {
					kept[n-1] = b
				}
				continue
			}
			kept = append(kept, b)
		}
		bs = kept
	}
	var out []events.Date
	for _, b := range bs {
		if b.Precision() != events.Day && b.Earliest() <= d && d <= b.Latest() && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	sortDates(out)
	return out
}

func sortDates(ds []events.Date) {
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].Earliest() != ds[j].Earliest() {
			return ds[i].Earliest() < ds[j].Earliest()
		}
		return ds[i].Precision() < ds[j].Precision()
	})
}

// keyDates: the procedural dates, the first day in force (a commencement
// on a day the act had not ended) and the day it left force for good.
func (m *refModel) keyDates() map[string]events.Date {
	out := map[string]events.Date{}
	for k, v := range m.dates {
		out[k] = v
	}
	var first events.Date
	for _, c := range m.comms {
		if !m.bugs.firstInForceAll && m.endedOn(c.from.Earliest()) != nil {
			continue
		}
		if first.IsZero() || c.from.Earliest() < first.Earliest() {
			first = c.from
		}
	}
	if !first.IsZero() {
		out["first_in_force"] = first
	}
	if end := m.endedOn(events.DayNum(1<<30 - 1)); end != nil {
		out["no_longer_in_force"] = end.from
	}
	return out
}

func (m *refModel) sortedProvisions() []string {
	var out []string
	for p := range m.provisions {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// refWorld is the reference over a whole history.
type refWorld struct {
	h      *genHistory
	bugs   refBugs
	models map[refKey]*refModel
	counts map[countKey]int
}

type countKey struct {
	act events.ActID
	t   *time.Time
}

type refKey struct {
	act events.ActID
	n   int
}

func newRefWorld(h *genHistory, bugs refBugs) *refWorld {
	return &refWorld{h: h, bugs: bugs, models: map[refKey]*refModel{}, counts: map[countKey]int{}}
}

// known returns how many of the act's events are known at t (nil: all):
// those whose running maximum of record times is <= t.
func (w *refWorld) known(id events.ActID, t *time.Time) (n int) {
	hist := w.h.byID[id].hist
	if t == nil {
		return len(hist)
	}
	if n, ok := w.counts[countKey{id, t}]; ok {
		return n
	}
	defer func() { w.counts[countKey{id, t}] = n }()
	var max time.Time
	for i, e := range hist {
		if e.RecordedAt.After(max) {
			max = e.RecordedAt
		}
		if !max.After(*t) {
			n = i + 1
		}
	}
	return n
}

// model returns the act's reference model as known at t, and its version;
// nil when nothing was known.
func (w *refWorld) model(id events.ActID, t *time.Time) (*refModel, int) {
	n := w.known(id, t)
	if n == 0 {
		return nil, 0
	}
	k := refKey{id, n}
	if m := w.models[k]; m != nil {
		return m, n
	}
	m := newRefModel(w.h.effective(id, n), w.bugs)
	w.models[k] = m
	return m, n
}

// order returns the acts in the order List and Diff answer.
func (w *refWorld) order(country string) []events.ActID {
	var ids []events.ActID
	for _, a := range w.h.acts {
		if country == "" || a.id.Country() == country {
			ids = append(ids, a.id)
		}
	}
	if w.bugs.listByCountry {
		slices.SortStableFunc(ids, func(a, b events.ActID) int {
			ca, cb := a.Country(), b.Country()
			switch {
			case ca < cb:
				return -1
			case ca > cb:
				return 1
			case a < b:
				return -1
			case a > b:
				return 1
			}
			return 0
		})
	}
	return ids
}

// amendmentsMade lists the amendments in effect on d that other acts, known
// at t, received from the instrument id, by target.
func (w *refWorld) amendmentsMade(id events.ActID, d events.DayNum, t *time.Time) []projections.MadeAmendment {
	var out []projections.MadeAmendment
	for _, a := range w.h.acts {
		if w.bugs.madeByRawInstrum {
			named := false
			for _, e := range a.hist {
				named = named || (e.Type == events.Amended && e.Instrument == id)
			}
			if !named {
				continue
			}
		}
		m, _ := w.model(a.id, t)
		if m == nil {
			continue
		}
		for _, am := range m.amendments {
			if am.Instrument == id && am.EffectiveFrom.Earliest() <= d {
				out = append(out, projections.MadeAmendment{Target: a.id, Amendment: am})
			}
		}
	}
	return out
}
