package akn

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// Namespace is the XML namespace of Akoma Ntoso 3.0.
const Namespace = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"

// Language is the language of every expression the ledger holds (ISO 639-2
// alpha-3): the texts it records are English.
const Language = "eng"

// ProprietaryNamespace is the namespace of the ledger's own metadata in
// <proprietary>: the act's status on the day, as the projection decides it.
const ProprietaryNamespace = "urn:lexledger:akn:1"

// Export renders act as an Akoma Ntoso 3.0 document: the expression of the
// act in force on q.AsOf, as the ledger knew it at q.KnownAt (nil: all that
// is recorded), as one XML manifestation made at manifestationTime (the
// record time it reflects; its day in UTC is the manifestation's date).
//
// The document is valid against the official schema (akomantoso30.xsd): an
// <act>, or a <bill> when the act is not adopted on q.AsOf, with its
// identification (the FRBR work, expression and manifestation URIs), its
// lifecycle (one eventRef per effective event), its workflow (the
// procedural steps), the amendments in effect (passiveModifications), its
// in-force intervals and those of each provision (temporalData), the
// references they use, a preface with its title, and a body with one
// element per provision and its text on the day. Every eId in it is unique
// and every "#..." reference in it resolves. The same projection state and
// arguments give the same bytes.
//
// p must not change during the call: a projector holds its read lock, as
// for any query.
//
// The errors are those of Projection.State (an *events.Error with
// CodeNotFound for an act not recorded by q.KnownAt, CodeInvalid for an
// as_of that is not a day), CodeInvalid for a zero manifestationTime, and
// an error without a code if a provision is named like an id of the
// metadata ("lexledger", "original", ...), which would make the document
// invalid, or if the projection's views of the act disagree.
func Export(p *projections.Projection, act events.ActID, q projections.Query, manifestationTime time.Time) ([]byte, error) {
	fail := func(err error) ([]byte, error) {
		return nil, fmt.Errorf("akn export %s as of %s: %w", act, q.AsOf, err)
	}
	if p == nil {
		return fail(events.Errorf(events.CodeInternal, "no projection"))
	}
	if manifestationTime.IsZero() {
		return fail(events.Errorf(events.CodeInvalid, "the manifestation time is zero: pass the record time the document reflects"))
	}
	st, err := p.State(act, q)
	if err != nil {
		return fail(err)
	}
	tl, err := p.Timeline(act, q.KnownAt)
	if err != nil {
		return fail(err)
	}
	// The document needs more of each event than the answers carry
	// (effective dates of every effect, instruments, provisions, end dates
	// of suspensions, agents of steps): it reads the act's events.
	evs, err := known(p.History(act), tl)
	if err != nil {
		return fail(err)
	}
	x := newExporter(act, q, manifestationTime.UTC(), st, tl, evs)
	if txt, err := p.Text(act, q); err == nil && structured(evs) {
		x.text = txt
	}
	x.titleOf = func(id events.ActID) string {
		if t, err := p.Timeline(id, q.KnownAt); err == nil {
			return t.Title
		}
		return ""
	}
	x.derive()
	out, err := x.write()
	if err != nil {
		return fail(err)
	}
	return out, nil
}

// exporter holds one export's inputs and what is derived from them before
// the document is written.
type exporter struct {
	act     events.ActID
	q       projections.Query
	mtime   time.Time
	st      projections.ActState
	tl      projections.Timeline
	evs     []events.Event // effective events known at q.KnownAt, in ledger order
	titleOf func(events.ActID) string

	day     events.DayNum // q.AsOf
	version events.Date   // the version in force on q.AsOf (ExpressionDate)
	// cut is the version's first day: the lifecycle, workflow and periods
	// end there, so that every day of a version names the same expression
	// and gives the same metadata.
	cut  events.DayNum
	expr string              // the expression URI
	text *consolidation.Text // the consolidated text, for an act recorded with its structure

	refs      []*eventRef // the lifecycle, in date order
	refOf     map[events.ID]*eventRef
	steps     []step
	mods      []textualMod
	amods     []activeMod
	groups    []temporalGroup   // the act's, then its provisions'
	modGroups []temporalGroup   // the amendments'
	periods   map[string]string // provision eId -> its temporal group's eId

	// References, in the order they are first used.
	passive   []reference
	passiveOf map[events.ActID]string
	active    []reference // activeRefs: the acts this act amends
	activeOf  map[events.ActID]bool
	agents    []reference
	agentOf   map[string]string
	concepts  map[string]bool
	tlcEvents map[string]bool
	author    string // eId of the work's author
}

func newExporter(act events.ActID, q projections.Query, mtime time.Time, st projections.ActState, tl projections.Timeline, evs []events.Event) *exporter {
	version := ExpressionDate(act, evs, q.AsOf)
	return &exporter{
		act: act, q: q, mtime: mtime, st: st, tl: tl, evs: evs,
		day:       q.AsOf.Earliest(),
		version:   version,
		cut:       min(version.Earliest(), q.AsOf.Earliest()),
		expr:      ExpressionURI(act, version),
		refOf:     map[events.ID]*eventRef{},
		periods:   map[string]string{},
		passiveOf: map[events.ActID]string{},
		activeOf:  map[events.ActID]bool{},
		agentOf:   map[string]string{},
		concepts:  map[string]bool{},
		tlcEvents: map[string]bool{},
		titleOf:   func(events.ActID) string { return "" },
	}
}

// derive computes the metadata from the events and the projection's
// answers: lifecycle first, since the rest refers to its eventRefs.
func (x *exporter) derive() {
	x.author = x.workAuthor()
	x.lifecycle()
	x.workflow()
	x.amendments()
	x.activeModifications()
	x.temporal()
}

// ExpressionURI returns the URI of the expression of act of the version
// dated version: the work URI, the language and the version's date,
// /akn/kz/act/2009-12-04/216/eng@2009-12-04.
func ExpressionURI(act events.ActID, version events.Date) string {
	return string(act) + "/" + Language + "@" + version.String()
}

// ExpressionDate returns the date that names the expression of act in force
// on asOf, from the act's effective events as known (in ledger order): the
// latest day at or before asOf on which its text or force changed
// (consolidation.Versions); before the first, the latest of the work's
// date and its procedural steps at or before asOf (the original version,
// or a bill's stage), or asOf itself when there is none yet. So every day between two versions
// names the same expression, as legislation.gov.uk's point-in-time versions
// do.
func ExpressionDate(act events.ActID, evs []events.Event, asOf events.Date) events.Date {
	var v events.Date
	for _, ver := range consolidation.Versions(evs) {
		if ver.Date.Earliest() > asOf.Earliest() {
			break
		}
		v = ver.Date
	}
	if v.IsZero() {
		// The original version: the work's date, or a later procedural
		// step (a bill's stages are versions of it), the latest at or
		// before the day; the day itself when the act had none yet.
		day := asOf.Earliest()
		tokens := act.Tokens()
		if d, err := events.ParseDate(tokens[len(tokens)-2]); err == nil && d.Earliest() <= day {
			v = d
		}
		for i := range evs {
			e := &evs[i]
			if spec, _ := events.SpecOf(e.Type); spec != nil && spec.Group == events.Procedure &&
				e.Date.Earliest() <= day && (v.IsZero() || e.Date.Earliest() > v.Earliest()) {
				v = e.Date
			}
		}
		if v.IsZero() {
			v = asOf
		}
	}
	return v
}

// structured reports whether the act's text was recorded as a structure.
func structured(evs []events.Event) bool {
	for i := range evs {
		if len(evs[i].Body.Structure) > 0 {
			return true
		}
	}
	return false
}

// isBill reports whether the document is a bill: the act is not adopted on
// the day.
func (x *exporter) isBill() bool { return x.st.Status == projections.NotAdopted }

// workDate returns the work's date: the date in its identifier, which the
// FRBR work URI carries, and its name: "adopted" when it is the adoption
// date, "Generation" otherwise.
func (x *exporter) workDate() (events.Date, string) {
	tokens := x.act.Tokens()
	d, err := events.ParseDate(tokens[len(tokens)-2])
	if err != nil {
		// Unreachable for a valid ActID; fall back on the adoption.
		d = x.st.Dates["adopted"]
	}
	if a, ok := x.st.Dates["adopted"]; ok && a == d {
		return d, "adopted"
	}
	return d, "Generation"
}

// xsdDate renders a date of any precision as the xsd:date of its first day.
func xsdDate(d events.Date) string { return d.Earliest().Date().String() }

// precisionConcept returns the concept that says a date is known to the
// month or year only, "" for a day.
func (x *exporter) precisionConcept(d events.Date) string {
	switch d.Precision() {
	case events.Month:
		return x.concept("monthPrecision")
	case events.Year:
		return x.concept("yearPrecision")
	}
	return ""
}

// refersTo joins eIds into a refersTo value: "#a #b".
func refersTo(eids ...string) string {
	var parts []string
	for _, id := range eids {
		if id != "" {
			parts = append(parts, "#"+id)
		}
	}
	return strings.Join(parts, " ")
}

// camel turns an event type into an eId: suspension_lifted -> suspensionLifted.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if p := parts[i]; p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// human turns an event type into a label: suspension_lifted -> Suspension lifted.
func human(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// versioned reports whether the text on the day differs from the act's
// original: an amendment is in effect, or a provision's text comes from an
// amendment or a corrigendum.
func (x *exporter) versioned() bool {
	if len(x.st.AmendmentsReceived) > 0 {
		return true
	}
	for _, ps := range x.st.Provisions {
		if r := x.refOf[ps.TextEvent]; r != nil && (r.event.Type == events.Amended || r.event.Type == events.Corrigendum) {
			return true
		}
	}
	return false
}

// removed reports whether a provision that is not in force on the day has
// been taken out of the act: the act has ended, or a repeal, expiry or
// annulment of the provision (or of an ancestor) has taken effect. A
// provision that has not yet commenced is not removed.
func (x *exporter) removed(eid string) bool {
	switch x.st.Status {
	case projections.Repealed, projections.Expired, projections.Annulled:
		return true
	}
	for i := range x.evs {
		e := &x.evs[i]
		ending := e.Type == events.Repealed || e.Type == events.Expired || e.Type == events.Annulled ||
			(e.Type == events.Amended && e.Body.Effect == events.Repeal)
		if ending && len(e.Provisions) > 0 && events.Covers(e.Provisions, eid) && e.EffectiveFrom.Earliest() <= x.day {
			return true
		}
	}
	return false
}

// provisionStates indexes the state's provisions by eId.
func (x *exporter) provisionStates() map[string]projections.ProvisionState {
	m := make(map[string]projections.ProvisionState, len(x.st.Provisions))
	for _, ps := range x.st.Provisions {
		m[ps.EID] = ps
	}
	return m
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
