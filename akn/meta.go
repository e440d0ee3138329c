package akn

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// eventRef is one event of the lifecycle.
type eventRef struct {
	eID      string
	date     events.Date // the date it stands for, to its precision
	typ      string      // generation, amendment, repeal, or "" for other events
	source   string      // eId of the <original> or <passiveRef> that caused it
	refersTo string
	event    *events.Event
	end      bool // the end of a suspension (its effective_to), not the event's start
}

// step is one procedural step of the workflow.
type step struct {
	date     events.Date
	by       string // eId of the agent
	refersTo string
}

// activeMod is one amendment this act made to another, in effect on the
// day.
type activeMod struct {
	eID, typ, source string
	destinations     []string
}

// textualMod is one amendment in effect on the day.
type textualMod struct {
	eID          string
	typ          string
	source       string // eId of the amending act's passiveRef
	destinations []string
	period       string // eId of the temporal group from its effective date
}

type timeInterval struct {
	start, end string // eIds of eventRefs; "" when open or unknown
	refersTo   string
}

type temporalGroup struct {
	eID       string
	intervals []timeInterval
}

// reference is an entry of <references>.
type reference struct {
	elem, eID, href, showAs string
}

// The concepts the document may refer to, in the order they are listed.
var conceptDefs = []struct{ eID, showAs string }{
	{"inForce", "In force"},
	{"partiallyInForce", "Partially in force: some provisions commenced"},
	{"efficacySuspended", "Suspended: in force, but not applied"},
	{"monthPrecision", "Date known to the month only: its first day stands for it"},
	{"yearPrecision", "Date known to the year only: its first day stands for it"},
}

// suspensionEnd names the end of a suspension at its effective_to: an
// eventRef of its own, since a period may end there.
const suspensionEnd = "suspension_end"

func (x *exporter) concept(eID string) string {
	x.concepts[eID] = true
	return eID
}

// tlcEvent registers the TLCEvent for an event type and returns its eId.
func (x *exporter) tlcEvent(typ string) string {
	x.tlcEvents[typ] = true
	return camel(typ)
}

// passiveRef registers the passiveRef of an instrument and returns its eId.
func (x *exporter) passiveRef(inst events.ActID) string {
	if id, ok := x.passiveOf[inst]; ok {
		return id
	}
	id := fmt.Sprintf("ref_%d", len(x.passive)+1)
	show := x.titleOf(inst)
	if show == "" {
		show = string(inst)
	}
	x.passive = append(x.passive, reference{"passiveRef", id, string(inst), show})
	x.passiveOf[inst] = id
	return id
}

// Agent kinds.
const (
	organization = "organization"
	person       = "person"
)

// unknownAgent stands for an agent the ledger did not record.
const unknownAgent = "unknownAgent"

// agent registers an organization or person by name and returns its eId;
// an empty name is the unknown agent.
func (x *exporter) agent(kind, name string) string {
	key := kind + "\x00" + name
	if name == "" {
		key = unknownAgent
	}
	if id, ok := x.agentOf[key]; ok {
		return id
	}
	var r reference
	switch {
	case name == "":
		r = reference{"TLCOrganization", unknownAgent, "/ontology/organization/lexledger/" + unknownAgent, "Not recorded in the ledger"}
	case kind == person:
		n := 1
		for _, a := range x.agents {
			if a.elem == "TLCPerson" {
				n++
			}
		}
		r = reference{"TLCPerson", fmt.Sprintf("person_%d", n), "/ontology/person/" + x.act.Country() + "/" + slug(name), name}
	default:
		n := 1
		for _, a := range x.agents {
			if a.elem == "TLCOrganization" && a.eID != unknownAgent {
				n++
			}
		}
		r = reference{"TLCOrganization", fmt.Sprintf("org_%d", n), "/ontology/organization/" + x.act.Country() + "/" + slug(name), name}
	}
	x.agents = append(x.agents, r)
	x.agentOf[key] = r.eID
	return r.eID
}

// slug turns a name into a path segment: lower-case letters and digits
// joined by '-', percent-encoded beyond ASCII.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
		if b.Len() >= 96 {
			break
		}
	}
	if b.Len() == 0 {
		return "unnamed"
	}
	return url.PathEscape(b.String())
}

// stepAgent returns the agent of a procedural step, as far as the event
// names it.
func (x *exporter) stepAgent(e *events.Event) string {
	switch e.Type {
	case events.Drafted:
		return x.agent(organization, e.Body.DraftingBody)
	case events.Introduced, events.Passed, events.Rejected, events.VetoOverridden:
		return x.agent(organization, e.Body.Chamber)
	case events.Adopted:
		if e.Body.Chamber == "" && !events.HasPassage(x.st.Kind) {
			return x.agent(organization, e.Body.DraftingBody)
		}
		return x.agent(organization, e.Body.Chamber)
	case events.Vetoed, events.Signed:
		return x.agent(person, e.Body.Signatory)
	}
	return x.agent(organization, "")
}

// workAuthor returns the work's author: for a decree, its signatory; the
// chamber that adopted or passed it; for other acts adopted when issued,
// and for bills, the body that drafted it, else the signatory; otherwise
// the unknown agent.
func (x *exporter) workAuthor() string {
	var adoptedBy, passedBy, drafter, signatory string
	adopted := false
	for i := range x.evs {
		e := &x.evs[i]
		switch e.Type {
		case events.Adopted:
			adopted = true
			if e.Body.Chamber != "" {
				adoptedBy = e.Body.Chamber
			}
		case events.Passed:
			passedBy = e.Body.Chamber
		case events.Signed:
			if e.Body.Signatory != "" {
				signatory = e.Body.Signatory
			}
		}
		if e.Body.DraftingBody != "" {
			drafter = e.Body.DraftingBody
		}
	}
	decreeLike := !events.HasPassage(x.st.Kind)
	switch {
	case x.st.Kind == events.Decree && signatory != "":
		return x.agent(person, signatory)
	case adoptedBy != "":
		return x.agent(organization, adoptedBy)
	case passedBy != "":
		return x.agent(organization, passedBy)
	case drafter != "" && (decreeLike || !adopted):
		return x.agent(organization, drafter)
	case signatory != "" && decreeLike:
		return x.agent(person, signatory)
	}
	return x.agent(organization, "")
}

// lifecycle makes one eventRef per effective event, dated by its
// effective_from for an effect and by its legal date otherwise, and one
// more at the end of each suspension that has an effective_to: those
// dated at or before the version the document is (x.cut), so that every
// day of one version gives the same lifecycle.
func (x *exporter) lifecycle() {
	for i := range x.evs {
		e := &x.evs[i]
		spec, _ := events.SpecOf(e.Type)
		d := e.Date
		if spec != nil && spec.Group == events.Effect && !e.EffectiveFrom.IsZero() {
			d = e.EffectiveFrom
		}
		if d.Earliest() > x.cut {
			continue
		}
		r := &eventRef{eID: "evt_" + e.ID.String(), date: d, event: e, source: "original",
			refersTo: refersTo(x.tlcEvent(string(e.Type)), x.precisionConcept(d))}
		switch {
		case i == 0:
			r.typ = "generation"
		case e.Type == events.Repealed || e.Type == events.Annulled || (e.Type == events.Amended && e.Body.Effect == events.Repeal):
			r.typ = "repeal"
		case e.Type == events.Amended || e.Type == events.Corrigendum:
			r.typ = "amendment"
		}
		if i > 0 && e.Instrument != "" {
			r.source = x.passiveRef(e.Instrument)
		}
		x.refs = append(x.refs, r)
		x.refOf[e.ID] = r
		if e.Type == events.Suspended && !e.EffectiveTo.IsZero() && e.EffectiveTo.Earliest() <= x.cut {
			x.refs = append(x.refs, &eventRef{eID: r.eID + "_end", date: e.EffectiveTo, event: e, source: r.source, end: true,
				refersTo: refersTo(x.tlcEvent(suspensionEnd), x.precisionConcept(e.EffectiveTo))})
		}
	}
	slices.SortStableFunc(x.refs, func(a, b *eventRef) int { return cmp.Compare(a.date.Earliest(), b.date.Earliest()) })
}

// workflow makes one step per procedural event, in date order.
func (x *exporter) workflow() {
	for i := range x.evs {
		e := &x.evs[i]
		if spec, _ := events.SpecOf(e.Type); spec == nil || spec.Group != events.Procedure || e.Date.Earliest() > x.cut {
			continue
		}
		x.steps = append(x.steps, step{date: e.Date, by: x.stepAgent(e),
			refersTo: refersTo(x.tlcEvent(string(e.Type)), x.precisionConcept(e.Date))})
	}
	slices.SortStableFunc(x.steps, func(a, b step) int { return cmp.Compare(a.date.Earliest(), b.date.Earliest()) })
}

// amendments makes one textualMod per amendment in effect on the day, with
// a temporal group that starts at its effective date.
func (x *exporter) amendments() {
	for _, a := range x.st.AmendmentsReceived {
		r := x.refOf[a.Event]
		if r == nil {
			continue // not an effective event: cannot happen
		}
		if a.Effect == events.Unspecified {
			// Akoma Ntoso has no textualMod type for a change not
			// detailed: the lifecycle's eventRef still records it.
			continue
		}
		m := textualMod{eID: "pmod_" + a.Event.String(), typ: string(a.Effect), source: x.passiveRef(a.Instrument)}
		for _, p := range a.Provisions {
			m.destinations = append(m.destinations, "#"+p)
		}
		if len(m.destinations) == 0 {
			m.destinations = []string{string(x.act) + "/!main"} // the whole act
		}
		m.period = "tg_" + m.eID
		x.mods = append(x.mods, m)
		x.modGroups = append(x.modGroups, temporalGroup{eID: m.period,
			intervals: []timeInterval{{start: r.eID, refersTo: refersTo(x.concept("inForce"))}}})
	}
}

// activeModifications makes one textualMod per amendment this act made to
// another that is in effect on the day (but a change not detailed, which
// Akoma Ntoso has no type for): its source is this act, its destinations
// the provisions of the other act it changed, or that act whole.
func (x *exporter) activeModifications() {
	for _, m := range x.st.AmendmentsMade {
		if m.Effect == events.Unspecified {
			continue
		}
		x.activeRef(m.Target)
		am := activeMod{eID: "amod_" + m.Event.String(), typ: string(m.Effect), source: string(x.act) + "/!main"}
		for _, p := range m.Provisions {
			am.destinations = append(am.destinations, string(m.Target)+"/!main~"+p)
		}
		if len(am.destinations) == 0 {
			am.destinations = []string{string(m.Target) + "/!main"}
		}
		x.amods = append(x.amods, am)
	}
}

// activeRef registers an act this act amends, once.
func (x *exporter) activeRef(target events.ActID) {
	if x.activeOf[target] {
		return
	}
	x.activeOf[target] = true
	show := x.titleOf(target)
	if show == "" {
		show = string(target)
	}
	x.active = append(x.active, reference{"activeRef", fmt.Sprintf("aref_%d", len(x.active)+1), string(target), show})
}

// temporal makes a temporal group for each interval in which the act is in
// force (wholly, partially, or suspended), and one for each provision that
// is ever in force, holding its intervals.
func (x *exporter) temporal() {
	k := 0
	for _, iv := range x.tl.Intervals {
		if !iv.Status.InForceOn() || iv.From.Earliest() > x.cut {
			continue // not in force, or not yet: the version knows nothing after its day
		}
		k++
		var concepts []string
		switch iv.Status {
		case projections.PartiallyInForce:
			concepts = []string{x.concept("partiallyInForce")}
		case projections.Suspended:
			concepts = []string{x.concept("inForce"), x.concept("efficacySuspended")}
		default:
			concepts = []string{x.concept("inForce")}
		}
		ti := timeInterval{start: x.refAt(iv.From, iv.Opened, ""), refersTo: refersTo(concepts...)}
		if !iv.To.IsZero() && iv.To.Earliest() <= x.cut {
			ti.end = x.refAt(iv.To, iv.Closed, "")
		}
		// "whole-act_1" is no valid provision eId, so that no provision's
		// group ("tg_" + its eId) can take this name.
		x.groups = append(x.groups, temporalGroup{eID: fmt.Sprintf("tg_whole-act_%d", k), intervals: []timeInterval{ti}})
	}
	for _, eid := range sortedKeys(x.tl.Provisions) {
		var tis []timeInterval
		for _, iv := range x.tl.Provisions[eid] {
			var concepts []string
			switch iv.Status {
			case projections.ProvisionInForce:
				concepts = []string{x.concept("inForce")}
			case projections.ProvisionSuspended:
				concepts = []string{x.concept("inForce"), x.concept("efficacySuspended")}
			default:
				continue
			}
			if iv.From.Earliest() > x.cut {
				continue
			}
			ti := timeInterval{start: x.refAt(iv.From, nil, eid), refersTo: refersTo(concepts...)}
			if !iv.To.IsZero() && iv.To.Earliest() <= x.cut {
				ti.end = x.refAt(iv.To, nil, eid)
			}
			tis = append(tis, ti)
		}
		if len(tis) > 0 {
			g := temporalGroup{eID: "tg_" + eid, intervals: tis}
			x.groups = append(x.groups, g)
			x.periods[eid] = g.eID
		}
	}
}

// refAt returns the eventRef that marks a boundary of valid time on day d:
// among the eventRefs of that day, one of the events the projection names
// as opening or closing it (prefer), one that changes force first; else one that changes force (a commencement,
// repeal, suspension...) and covers the provision; else one that changes
// force; else an effect; else any. Every boundary of the projection is the
// date of an effective event, so one is found.
func (x *exporter) refAt(d events.Date, prefer []events.ID, eid string) string {
	day := d.Earliest()
	var cands []*eventRef
	for _, r := range x.refs {
		if r.date.Earliest() == day {
			cands = append(cands, r)
		}
	}
	tiers := []func(r *eventRef) bool{
		// Of the events that open or close an interval, one that changes
		// force (the commencement rather than an adoption of the same day).
		func(r *eventRef) bool { return !r.end && slices.Contains(prefer, r.event.ID) && changesForce(r) },
		func(r *eventRef) bool { return !r.end && slices.Contains(prefer, r.event.ID) },
		func(r *eventRef) bool {
			return eid != "" && changesForce(r) && events.Covers(r.event.Provisions, eid)
		},
		changesForce,
		func(r *eventRef) bool {
			spec, _ := events.SpecOf(r.event.Type)
			return spec != nil && spec.Group == events.Effect
		},
		func(*eventRef) bool { return true },
	}
	for _, ok := range tiers {
		for _, r := range cands {
			if ok(r) {
				return r.eID
			}
		}
	}
	return ""
}

// changesForce reports whether an eventRef marks a change of force or
// application: a commencement, an ending, a re-enactment, a suspension or
// its end.
func changesForce(r *eventRef) bool {
	switch r.event.Type {
	case events.Commenced, events.CommencementPostponed, events.Repealed, events.Expired, events.Annulled,
		events.Reenacted, events.Suspended, events.SuspensionLifted:
		return true
	case events.Amended:
		return r.event.Body.Effect == events.Repeal
	}
	return false
}
