package projections

import (
	"slices"
	"sort"

	"github.com/lexledger/lexledger/events"
)

// Status is the force status of an act on a day. The names are stored in
// snapshots and sent to subscribers: append-only.
type Status string

// The statuses.
const (
	NotAdopted        Status = "not_adopted"          // a bill or draft, possibly withdrawn, rejected or lapsed
	AdoptedNotInForce Status = "adopted_not_in_force" // law, not (yet) commenced
	PartiallyInForce  Status = "partially_in_force"   // some provisions commenced, not the whole act
	InForce           Status = "in_force"
	Suspended         Status = "in_force_suspended" // in force, but not applied
	Repealed          Status = "repealed"
	Expired           Status = "expired"
	Annulled          Status = "annulled"
)

// Statuses lists the statuses, for validating filters.
var Statuses = []Status{NotAdopted, AdoptedNotInForce, PartiallyInForce, InForce, Suspended, Repealed, Expired, Annulled}

// InForceOn reports whether the status counts as in force: in force,
// partially, or in force but suspended.
func (s Status) InForceOn() bool {
	return s == InForce || s == PartiallyInForce || s == Suspended
}

// forever is the day after every day: the end of an open interval.
const forever = events.DayNum(1 << 30)

// rule is an effect on valid time: a commencement, an ending, a suspension.
type rule struct {
	id         events.ID
	typ        events.Type
	provisions []string // none: the whole act
	from       events.Date
	to         events.Date // suspensions: zero when open-ended
	lifted     events.Date // suspensions: the day a lift takes effect
	liftedBy   events.ID   // suspensions: the lifting event
	pos        int         // the event's position among the act's effective events
	except     []string    // commencements: provisions postponed out of it
}

func (r *rule) fromDay() events.DayNum { return r.from.Earliest() }

// toDay is the first day a suspension no longer applies.
func (r *rule) toDay() events.DayNum {
	end := forever
	if !r.to.IsZero() {
		end = r.to.Earliest()
	}
	if !r.lifted.IsZero() && r.lifted.Earliest() < end {
		end = r.lifted.Earliest()
	}
	return end
}

// textVersion is one recorded text of a provision.
type textVersion struct {
	from events.Date
	text string
	id   events.ID
}

// model is everything known of one act from its effective events: the
// input of every answer about it.
type model struct {
	act   events.ActID
	title string
	kind  events.Kind

	stage     events.Type // the last procedural step
	stageDate events.Date
	terminal  *step       // withdrawn, rejected, lapsed
	law       events.Date // adopted, ratified, or issued (signed): zero if never
	lawType   events.Type
	lawBy     events.ID              // the event that made it law
	dates     map[string]events.Date // adopted, signed, published, ratified

	commencements []rule
	endings       []rule // repealed, expired, annulled (whole or provisions); amended with effect repeal
	reenactments  []rule
	suspensions   []rule
	amendments    []Amendment
	texts         map[string][]textVersion
	provisions    map[string]bool // every eId the record names
	// leaves are the paths (eIds from the top) of the provisions without
	// provisions under them in the act's recorded structure, nil when
	// none is recorded: an act whose every one is in force is in force.
	leaves [][]string
	events []events.ID // the effective events, in order
	// named is the acts that the act's amendments name as instrument, as
	// recorded or as corrected, sorted: what it adds to madeBy.
	named []events.ActID
}

// step is what a model keeps of an event that ended the act's passage:
// not the event, whose other fields (and the events decoded beside it)
// the model has no use for.
type step struct {
	typ  events.Type
	date events.Date
	id   events.ID
}

// Amendment is a change made to an act by another.
type Amendment struct {
	Event         events.ID              `json:"event"`
	Instrument    events.ActID           `json:"instrument"`
	Effect        events.AmendmentEffect `json:"effect"`
	Provisions    []string               `json:"provisions,omitempty"`
	EffectiveFrom events.Date            `json:"effective_from"`
	Retroactive   bool                   `json:"retroactive,omitempty"`
}

// build folds an act's effective events (corrections applied, retractions
// and record events left out; see events.Effective) into a model.
func build(act events.ActID, eff []events.Event) *model {
	m := &model{act: act, dates: map[string]events.Date{}, texts: map[string][]textVersion{}, provisions: map[string]bool{}}
	for i := range eff {
		m.add(&eff[i])
	}
	return m
}

// add folds one more effective event into m: what build does for each.
// Events that change the meaning of earlier ones (corrections,
// retractions) need a new build instead.
func (m *model) add(e *events.Event) {
	first, pos := len(m.events) == 0, len(m.events)
	m.events = append(m.events, e.ID)
	for _, p := range e.Provisions {
		m.provisions[p] = true
	}
	if first {
		m.title, m.kind = e.Body.Title, e.Body.Kind
	}
	spec, _ := events.SpecOf(e.Type)
	if spec != nil && spec.Group == events.Procedure {
		m.stage, m.stageDate = e.Type, e.Date
		if len(e.Body.Structure) > 0 {
			m.leaves = leafPaths(e.Body.Structure, nil, nil)
		}
	}
	addTexts := func(from events.Date) {
		add := func(eid, text string) {
			m.provisions[eid] = true
			m.texts[eid] = append(m.texts[eid], textVersion{from: from, text: text, id: e.ID})
		}
		for eid, text := range e.Body.Texts {
			add(eid, text)
		}
		// A text recorded as a structure, and the changes that give a
		// provision its whole text; a change of words is in the
		// consolidated text only (Projection.Text).
		var walk func(ns []events.Node)
		walk = func(ns []events.Node) {
			for i := range ns {
				if ns[i].Text != "" {
					add(ns[i].EID, ns[i].Text)
				}
				walk(ns[i].Children)
			}
		}
		walk(e.Body.Structure)
		for _, c := range e.Body.Changes {
			switch {
			case c.Node != nil:
				walk([]events.Node{*c.Node})
			case c.Op == events.OpSubstitute && c.Words == "":
				add(c.Target, c.With)
			}
		}
	}
	switch e.Type {
	case events.Drafted, events.Introduced:
		addTexts(e.Date)
	case events.Adopted:
		// The day an act becomes law, by the validator's priority:
		// adopted, then ratified or acceded, then (for acts adopted when
		// issued) signed — whatever the order they were recorded in.
		m.dates["adopted"] = e.Date
		m.law, m.lawType, m.lawBy = e.Date, e.Type, e.ID
		addTexts(e.Date)
	case events.Ratified, events.Acceded:
		m.dates[string(e.Type)] = e.Date
		if m.lawType != events.Adopted {
			m.law, m.lawType, m.lawBy = e.Date, e.Type, e.ID
		}
	case events.Signed:
		m.dates["signed"] = e.Date
		if m.law.IsZero() && !events.HasPassage(m.kind) {
			m.law, m.lawType, m.lawBy = e.Date, e.Type, e.ID
		}
	case events.VetoOverridden:
		m.dates["veto_overridden"] = e.Date
	case events.Published:
		m.dates["published"] = e.Date
	case events.Withdrawn, events.Rejected, events.Lapsed:
		m.terminal = &step{typ: e.Type, date: e.Date, id: e.ID}
	case events.Commenced:
		m.commencements = append(m.commencements, rule{id: e.ID, typ: e.Type, provisions: e.Provisions, from: e.EffectiveFrom, pos: pos})
	case events.CommencementPostponed:
		kept := m.commencements[:0:0]
		for _, c := range m.commencements {
			switch {
			case len(c.provisions) == 0 && len(e.Provisions) > 0:
				// Some provisions of a whole-act commencement are put off:
				// the rest still commence.
				c.except = append(slices.Clip(c.except), e.Provisions...)
				kept = append(kept, c)
			case !events.Overlaps(c.provisions, e.Provisions):
				kept = append(kept, c)
			case len(e.Provisions) > 0:
				// Keep the provisions of c that are not put off.
				var rest []string
				for _, p := range c.provisions {
					if !events.Covers(e.Provisions, p) {
						rest = append(rest, p)
					}
				}
				if len(rest) > 0 {
					c.provisions = rest
					// Parts put off of a provision that still commences.
					for _, q := range e.Provisions {
						if events.Covers(rest, q) {
							c.except = append(slices.Clip(c.except), q)
						}
					}
					kept = append(kept, c)
				}
			}
		}
		m.commencements = kept
		if !e.EffectiveFrom.IsZero() {
			m.commencements = append(m.commencements, rule{id: e.ID, typ: e.Type, provisions: e.Provisions, from: e.EffectiveFrom, pos: pos})
		}
	case events.Amended:
		m.amendments = append(m.amendments, Amendment{Event: e.ID, Instrument: e.Instrument, Effect: e.Body.Effect,
			Provisions: e.Provisions, EffectiveFrom: e.EffectiveFrom, Retroactive: e.Retroactive})
		if e.Body.Effect == events.Repeal {
			m.endings = append(m.endings, rule{id: e.ID, typ: events.Repealed, provisions: e.Provisions, from: e.EffectiveFrom, pos: pos})
		}
		addTexts(e.EffectiveFrom)
	case events.Corrigendum:
		addTexts(e.Date)
	case events.Repealed, events.Expired, events.Annulled:
		m.endings = append(m.endings, rule{id: e.ID, typ: e.Type, provisions: e.Provisions, from: e.EffectiveFrom, pos: pos})
	case events.Reenacted:
		m.reenactments = append(m.reenactments, rule{id: e.ID, typ: e.Type, from: e.EffectiveFrom, pos: pos})
	case events.Suspended:
		m.suspensions = append(m.suspensions, rule{id: e.ID, typ: e.Type, provisions: e.Provisions, from: e.EffectiveFrom, to: e.EffectiveTo, pos: pos})
	case events.SuspensionLifted:
		for k := len(m.suspensions) - 1; k >= 0; k-- {
			s := &m.suspensions[k]
			ended := !s.to.IsZero() && !e.EffectiveFrom.Before(s.to)
			if s.lifted.IsZero() && !ended && events.Overlaps(s.provisions, e.Provisions) && !e.EffectiveFrom.Before(s.from) {
				s.lifted, s.liftedBy = e.EffectiveFrom, e.ID
				break
			}
		}
	}
}

// verdict is the status of the act on one day, with the events that decide it.
type verdict struct {
	status Status
	reason string
	by     []events.ID
}

// wholeEnding returns the whole-act ending in effect on day d, if any: the
// latest one that started on or before d and was not undone by a
// re-enactment on or before d.
func (m *model) wholeEnding(d events.DayNum) *rule {
	var end *rule
	for i := range m.endings {
		r := &m.endings[i]
		if len(r.provisions) == 0 && r.fromDay() <= d && (end == nil || r.fromDay() >= end.fromDay()) {
			end = r
		}
	}
	if end == nil {
		return nil
	}
	for _, re := range m.reenactments {
		after := re.fromDay() > end.fromDay() || (re.fromDay() == end.fromDay() && re.pos > end.pos)
		if after && re.fromDay() <= d {
			return nil
		}
	}
	return end
}

// lawOn reports whether the act is law on day d for valid time: adopted
// by then, or adopted later with a commencement that reaches back to d (a
// retroactive law: the validator admits a commencement before adoption
// only when it is flagged so).
func (m *model) lawOn(d events.DayNum) bool {
	if m.law.IsZero() {
		return false
	}
	if d >= m.law.Earliest() {
		return true
	}
	for i := range m.commencements {
		if m.commencements[i].fromDay() <= d {
			return true
		}
	}
	return false
}

// statusOn decides the act's status on day d.
func (m *model) statusOn(d events.DayNum) verdict {
	if !m.lawOn(d) {
		if m.terminal != nil {
			return verdict{NotAdopted, string(m.terminal.typ) + " on " + m.terminal.date.String(), []events.ID{m.terminal.id}}
		}
		if !m.law.IsZero() {
			return verdict{NotAdopted, "adopted later, on " + m.law.String(), nil}
		}
		return verdict{NotAdopted, "not adopted; last step: " + string(m.stage) + " " + m.stageDate.String(), nil}
	}
	if end := m.wholeEnding(d); end != nil {
		st := map[events.Type]Status{events.Repealed: Repealed, events.Expired: Expired, events.Annulled: Annulled}[end.typ]
		return verdict{st, string(end.typ) + " with effect from " + end.from.String(), []events.ID{end.id}}
	}
	var whole, part *rule
	for i := range m.commencements {
		c := &m.commencements[i]
		if c.fromDay() > d {
			continue
		}
		if len(c.provisions) == 0 && m.exceptionsCommenced(c, d) {
			whole = c
		} else if part == nil {
			part = c
		}
	}
	var v verdict
	switch {
	case whole != nil:
		v = verdict{InForce, "in force from " + whole.from.String(), []events.ID{whole.id}}
	case part != nil && m.leaves != nil:
		if last, by := m.everyProvisionCommenced(d); last != nil {
			v = verdict{InForce, "every provision in force, the last from " + last.from.String(), by}
			break
		}
		v = verdict{PartiallyInForce, "provisions in force from " + part.from.String(), []events.ID{part.id}}
	case part != nil:
		v = verdict{PartiallyInForce, "provisions in force from " + part.from.String(), []events.ID{part.id}}
	default:
		return verdict{AdoptedNotInForce, string(m.lawType) + " on " + m.law.String() + ", not commenced", nil}
	}
	for i := range m.suspensions {
		s := &m.suspensions[i]
		if len(s.provisions) == 0 && s.fromDay() <= d && d < s.toDay() {
			v = verdict{Suspended, "suspended from " + s.from.String(), append(v.by, s.id)}
		}
	}
	return v
}

// leafPaths returns the paths of the provisions of ns without provisions
// under them, each the eIds from the top, under path.
func leafPaths(ns []events.Node, path []string, out [][]string) [][]string {
	for i := range ns {
		p := append(path[:len(path):len(path)], ns[i].EID)
		if len(ns[i].Children) == 0 {
			out = append(out, p)
			continue
		}
		out = leafPaths(ns[i].Children, p, out)
	}
	return out
}

// everyProvisionCommenced returns, when every provision of the act's
// recorded structure has commenced by day d (a commencement names it or a
// provision it is in, and does not put it off), the latest of the
// commencements that did it, and them all; nil otherwise.
func (m *model) everyProvisionCommenced(d events.DayNum) (*rule, []events.ID) {
	var last *rule
	var by []events.ID
	for _, path := range m.leaves {
		var found *rule
		for i := range m.commencements {
			c := &m.commencements[i]
			if c.fromDay() <= d && len(c.provisions) > 0 && coversAny(c.provisions, path) && !(len(c.except) > 0 && coversAny(c.except, path)) {
				if found == nil || c.fromDay() < found.fromDay() {
					found = c
				}
			}
		}
		if found == nil {
			return nil, nil
		}
		if last == nil || found.fromDay() > last.fromDay() {
			last = found
		}
		if !slices.Contains(by, found.id) {
			by = append(by, found.id)
		}
	}
	return last, by
}

// exceptionsCommenced reports whether every provision put off from the
// whole-act commencement c has commenced by day d some other way.
func (m *model) exceptionsCommenced(c *rule, d events.DayNum) bool {
	for _, p := range c.except {
		ok := false
		for i := range m.commencements {
			o := &m.commencements[i]
			if o != c && o.fromDay() <= d && len(o.provisions) > 0 && events.Covers(o.provisions, p) && !touches(o.except, p) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// boundaries returns every day on which the act's status may change, with
// the date as recorded (for its precision), sorted and unique by day.
func (m *model) boundaries() []events.Date {
	var ds []events.Date
	m.eachBoundary(func(d events.Date) { ds = append(ds, d) })
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Earliest() < ds[j].Earliest() })
	out := ds[:0]
	for _, d := range ds {
		if len(out) > 0 && out[len(out)-1].Earliest() == d.Earliest() {
			// Keep the less precise date: its uncertainty must be told.
			if d.Precision() > out[len(out)-1].Precision() {
				out[len(out)-1] = d
			}
			continue
		}
		out = append(out, d)
	}
	return out
}

// eachBoundary calls fn with every date on which the act's status may
// change, as recorded, in no order, possibly repeated.
func (m *model) eachBoundary(fn func(events.Date)) {
	add := func(d events.Date) {
		if !d.IsZero() {
			fn(d)
		}
	}
	add(m.law)
	for _, list := range [][]rule{m.commencements, m.endings, m.reenactments, m.suspensions} {
		for _, r := range list {
			add(r.from)
			add(r.to)
			add(r.lifted)
		}
	}
}

// changedBy returns the events whose dates fall on day d and can change
// the whole act's status there: the event that made it law, commencements
// and postponements that commence, whole-act endings and re-enactments,
// and whole-act suspensions starting or ending (by their own end date or
// by the lifting event). These open the interval that starts on d and
// close the one before it. In the order of the record.
func (m *model) changedBy(d events.DayNum) []events.ID {
	type hit struct {
		pos int
		id  events.ID
	}
	var hits []hit
	add := func(pos int, id events.ID) {
		for _, h := range hits {
			if h.id == id {
				return
			}
		}
		hits = append(hits, hit{pos, id})
	}
	if !m.law.IsZero() && m.law.Earliest() == d {
		add(slices.Index(m.events, m.lawBy), m.lawBy)
	}
	for _, r := range m.commencements {
		if r.fromDay() == d {
			add(r.pos, r.id)
		}
	}
	for _, list := range [][]rule{m.endings, m.reenactments} {
		for _, r := range list {
			if len(r.provisions) == 0 && r.fromDay() == d {
				add(r.pos, r.id)
			}
		}
	}
	for _, s := range m.suspensions {
		if len(s.provisions) > 0 {
			continue
		}
		if s.fromDay() == d {
			add(s.pos, s.id)
		}
		if s.toDay() == d && s.fromDay() < d {
			if !s.lifted.IsZero() && s.lifted.Earliest() == d {
				add(slices.Index(m.events, s.liftedBy), s.liftedBy)
			} else {
				add(s.pos, s.id)
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.pos - b.pos })
	ids := make([]events.ID, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	return ids
}

// uncertainOn returns the recorded boundaries whose uncertainty covers day
// d: dates of month or year precision whose span includes d.
func (m *model) uncertainOn(d events.DayNum) []events.Date {
	var out []events.Date
	m.eachBoundary(func(b events.Date) {
		if b.Precision() != events.Day && b.Earliest() <= d && d <= b.Latest() && !slices.Contains(out, b) {
			out = append(out, b)
		}
	})
	slices.SortFunc(out, func(a, b events.Date) int { return int(a.Earliest()-b.Earliest()) + int(b.Precision()-a.Precision()) })
	return out
}

// provisionOn reports a provision's state on day d.
func (m *model) provisionOn(eid string, d events.DayNum) (inForce, suspended bool, text *textVersion) {
	if m.lawOn(d) && m.wholeEnding(d) == nil {
		for _, c := range m.commencements {
			if c.fromDay() <= d && events.Covers(c.provisions, eid) && !(len(c.except) > 0 && events.Covers(c.except, eid)) {
				inForce = true
			}
		}
		for _, e := range m.endings {
			if len(e.provisions) > 0 && e.fromDay() <= d && events.Covers(e.provisions, eid) {
				inForce = false
			}
		}
		for _, s := range m.suspensions {
			if inForce && s.fromDay() <= d && d < s.toDay() && events.Covers(s.provisions, eid) {
				suspended = true
			}
		}
	}
	// The latest version dated on or before d; of versions of one day,
	// the one recorded last.
	versions := m.texts[eid]
	for i := range versions {
		if f := versions[i].from.Earliest(); f <= d && (text == nil || f >= text.from.Earliest()) {
			text = &versions[i]
		}
	}
	return inForce, suspended, text
}

// Provision statuses, as ProvisionState.Status and in provision timelines.
const (
	ProvisionInForce    = "in_force"
	ProvisionSuspended  = "suspended"
	ProvisionNotInForce = "not_in_force"
)

// provisionStatus names a provision's state on day d.
func (m *model) provisionStatus(eid string, d events.DayNum) string {
	in, sus, _ := m.provisionOn(eid, d)
	switch {
	case sus:
		return ProvisionSuspended
	case in:
		return ProvisionInForce
	}
	return ProvisionNotInForce
}

// sortedProvisions returns the eIds the record names, sorted.
func (m *model) sortedProvisions() []string {
	out := make([]string, 0, len(m.provisions))
	for p := range m.provisions {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// touches reports whether any provision of list is p, inside p, or
// contains p.
func touches(list []string, p string) bool {
	for _, q := range list {
		if events.Covers([]string{p}, q) || events.Covers([]string{q}, p) {
			return true
		}
	}
	return false
}
