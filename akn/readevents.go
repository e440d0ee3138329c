package akn

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/oklog/ulid/v2"
)

// modEffects maps textualMod types onto amendment effects.
var modEffects = map[string]events.AmendmentEffect{
	"insertion": events.Insertion, "substitution": events.Substitution, "replacement": events.Substitution,
	"repeal": events.Repeal, "renumbering": events.Renumbering,
}

// passiveMods makes one amended event per textualMod of the
// passiveModifications, from the start of its force period (else the
// eventRef of an amendment by the same source), and marks that eventRef as
// consumed.
func (rd *reader) passiveMods() error {
	mods := rd.meta.child("analysis").child("passiveModifications")
	for _, m := range mods.all("textualMod") {
		id := m.attr("eId")
		if id == "" {
			return fmt.Errorf("%s has no eId", m.where())
		}
		effect, ok := modEffects[m.attr("type")]
		if !ok {
			return fmt.Errorf("%s: its type %q is not an amendment the ledger records (insertion, substitution, replacement, repeal, renumbering)", m.where(), m.attr("type"))
		}
		src := m.child("source")
		if src == nil {
			return fmt.Errorf("%s has no <source>: the amending act is needed", m.where())
		}
		inst, err := rd.instrument(src, "href")
		if err != nil {
			return err
		}
		if inst == "" {
			return fmt.Errorf("%s: its source names no act: point it at the amending act's passiveRef", src.where())
		}
		provs, err := rd.destinations(m)
		if err != nil {
			return err
		}
		start, err := rd.modStart(m, src)
		if err != nil {
			return err
		}
		rd.consumed[start.eID] = true
		e := events.Event{Act: rd.act, Type: events.Amended, Date: amendmentDate(inst, start.date), EffectiveFrom: start.date,
			Instrument: inst, Provisions: provs, Body: events.Body{Effect: effect}}
		rd.add(e, "textualMod "+id, m.where())
	}
	return nil
}

// amendmentDate returns the legal date of an amendment that takes effect
// on effective: the date in the amending act's identifier, when it is not
// after that day; else the day itself. (The lifecycle dates an amendment by
// its effect; the document does not say when it was made.)
func amendmentDate(inst events.ActID, effective events.Date) events.Date {
	t := inst.Tokens()
	if d, err := events.ParseDate(t[len(t)-2]); err == nil && d.Latest() <= effective.Earliest() {
		return d
	}
	return effective
}

// destinations returns the provisions a textualMod changes: nil for the
// whole act.
func (rd *reader) destinations(m *element) ([]string, error) {
	var out []string
	for _, d := range m.all("destination") {
		href := d.attr("href")
		var eid string
		switch {
		case strings.HasPrefix(href, "#"):
			eid = href[1:]
		case strings.Contains(href, "~"):
			if act, _, _ := strings.Cut(href, "/!"); act != string(rd.act) {
				return nil, fmt.Errorf("%s: the destination %q is not in this act (%s)", d.where(), href, rd.act)
			}
			eid = href[strings.Index(href, "~")+1:]
		default:
			if act, _, _ := strings.Cut(href, "/!"); act != string(rd.act) {
				return nil, fmt.Errorf("%s: the destination %q is not this act (%s)", d.where(), href, rd.act)
			}
			return nil, nil // the whole act
		}
		if !events.ValidProvision(eid) {
			return nil, fmt.Errorf("%s: the destination %q is not a provision's eId the ledger accepts (art_1__para_2)", d.where(), href)
		}
		out = append(out, eid)
	}
	return topmost(out), nil
}

// topmost drops the provisions that another in the list covers.
func topmost(provs []string) []string {
	var out []string
	for i, p := range provs {
		covered := false
		for j, q := range provs {
			if i != j && q != p && events.Covers([]string{q}, p) {
				covered = true
				break
			}
		}
		if !covered && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// modStart returns the eventRef at which a textualMod takes effect: the
// start of its force period, else the one eventRef of an amendment from
// the same source not taken by another textualMod.
func (rd *reader) modStart(m, src *element) (*eventRefIn, error) {
	if f := m.child("force"); f != nil && f.attr("period") != "" {
		gid := strings.TrimPrefix(f.attr("period"), "#")
		g := rd.groups[gid]
		if g == nil {
			return nil, fmt.Errorf("%s: its period %q names no temporalGroup", f.where(), f.attr("period"))
		}
		rd.modGroups[gid] = true
		ti := g.child("timeInterval")
		if ti == nil || ti.attr("start") == "" {
			return nil, fmt.Errorf("%s: the temporalGroup of its force has no timeInterval with a start", f.where())
		}
		return rd.eventRefAt(ti, "start")
	}
	for _, r := range rd.refOrder {
		if rd.consumed[r.eID] || r.el.attr("source") != src.attr("href") {
			continue
		}
		if t, _ := rd.typeOf(r.el); t == events.Amended || (t == "" && r.el.attr("type") == "amendment") {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%s says neither when it takes effect (<force period=...>) nor which eventRef of the lifecycle is its amendment", m.where())
}

// lifecycle makes an event of each eventRef not taken by a textualMod.
func (rd *reader) lifecycle() error {
	for _, r := range rd.refOrder {
		if rd.consumed[r.eID] {
			continue
		}
		t, end := rd.typeOf(r.el)
		if end {
			continue // the end of a suspension: set with it
		}
		if t == "" {
			switch r.el.attr("type") {
			case "generation":
				t = events.Adopted
				if rd.bill {
					t = events.Drafted
				}
			case "amendment":
				t = events.Amended
			case "repeal":
				t = events.Repealed
			default:
				return fmt.Errorf("%s names no event the ledger knows: give it type generation, amendment or repeal, or refer it to a TLCEvent named after an event type (%s)",
					r.el.where(), strings.Join(events.TypeNames(), ", "))
			}
		}
		r.typ = t
		spec, _ := events.SpecOf(t)
		e := events.Event{Act: rd.act, Type: t, Date: r.date}
		if spec.Group == events.Effect {
			if allows(spec, events.FEffectiveFrom) {
				e.EffectiveFrom = r.date
			}
			if allows(spec, events.FProvisions) && changesForceType(t) {
				e.Provisions = rd.provisionsAt(r.eID)
			}
		}
		inst, err := rd.instrument(r.el, "source")
		if err != nil {
			return err
		}
		if inst != "" && allows(spec, events.FInstrument) {
			e.Instrument = inst
		}
		if t == events.Amended {
			e.Body.Effect = events.Unspecified
			if e.Instrument == "" {
				return fmt.Errorf("%s is an amendment by no act: give it the source of the amending act's passiveRef", r.el.where())
			}
			e.Date = amendmentDate(e.Instrument, r.date)
		}
		if t == events.Suspended {
			if end := rd.eventRefs[r.eID+"_end"]; end != nil {
				e.EffectiveTo = end.date
			}
		}
		if spec.Group == events.Procedure {
			rd.procedural(e, "eventRef "+r.eID, r.el.where(), nil)
			continue
		}
		rd.add(e, "eventRef "+r.eID, r.el.where())
	}
	return nil
}

func allows(spec *events.Spec, f events.Field) bool {
	return slices.Contains(spec.Required, f) || slices.Contains(spec.Optional, f)
}

// changesForceType reports whether an event of type t starts or ends the
// force or application of what it names.
func changesForceType(t events.Type) bool {
	switch t {
	case events.Commenced, events.Repealed, events.Expired, events.Annulled, events.Suspended, events.SuspensionLifted:
		return true
	}
	return false
}

// workflow makes an event of each step, or adds to the eventRef's event
// of the same type and day.
func (rd *reader) workflow() error {
	for i, s := range rd.meta.child("workflow").all("step") {
		t, _ := rd.typeOf(s)
		spec, ok := events.SpecOf(t)
		if !ok || spec.Group != events.Procedure {
			return fmt.Errorf("%s names no procedural step the ledger knows: refer it to a TLCEvent named after one (drafted, introduced, passed, adopted, signed, published)", s.where())
		}
		d, err := rd.date(s, "date")
		if err != nil {
			return err
		}
		trace := fmt.Sprintf("workflow step %d", i+1)
		if id := s.attr("eId"); id != "" {
			trace = "step " + id
		}
		rd.procedural(events.Event{Act: rd.act, Type: t, Date: d}, trace, s.where(), s)
	}
	return nil
}

// procedural adds a procedural event, or merges it into the one of the
// same type and day; a step's agent gives the chamber, signatory or
// drafting body.
func (rd *reader) procedural(e events.Event, trace, where string, step *element) {
	var p *pending
	for _, q := range rd.out {
		if q.e.Type == e.Type && q.e.Date == e.Date {
			p = q
			break
		}
	}
	if p == nil {
		p = rd.add(e, trace, where)
	} else {
		p.trace = append(p.trace, trace)
	}
	if step == nil {
		return
	}
	agent := ""
	if r := rd.refs[strings.TrimPrefix(step.attr("by"), "#")]; r != nil && r.attr("eId") != unknownAgent && r.attr("eId") != ledgerID {
		agent = strings.TrimSpace(r.attr("showAs"))
	}
	if agent == "" {
		return
	}
	b := &p.e.Body
	switch e.Type {
	case events.Drafted:
		b.DraftingBody = agent
	case events.Introduced, events.Passed, events.Rejected, events.VetoOverridden:
		b.Chamber = agent
	case events.Adopted:
		if events.HasPassage(rd.kind) {
			b.Chamber = agent
		} else {
			b.DraftingBody = agent
		}
	case events.Vetoed, events.Signed:
		b.Signatory = agent
	}
}

// commencements records a commencement at the start of each interval of
// force whose eventRef is not already a change of force (a document of
// another source gives commencement there, not in the lifecycle).
func (rd *reader) commencements() error {
	done := map[string]bool{}
	for _, gid := range sortedKeys(rd.groups) {
		if rd.modGroups[gid] {
			continue
		}
		for _, ti := range rd.groups[gid].all("timeInterval") {
			r, err := rd.eventRefAt(ti, "start")
			if err != nil {
				return err
			}
			if _, err := rd.eventRefAt(ti, "end"); err != nil {
				return err
			}
			if r == nil || done[r.eID] || rd.consumed[r.eID] {
				continue
			}
			// Only the act's generation, or an event of no known type,
			// opens a period by commencing: an amendment's period is its
			// version, the ledger's own changes of force are events.
			if t, end := rd.typeOf(r.el); end || t != "" && t != events.Adopted && t != events.Drafted {
				continue
			}
			if ty := r.el.attr("type"); ty == "amendment" || ty == "repeal" {
				continue
			}
			done[r.eID] = true
			rd.add(events.Event{Act: rd.act, Type: events.Commenced, Date: r.date, EffectiveFrom: r.date,
				Provisions: rd.provisionsAt(r.eID)}, "timeInterval start "+r.eID, ti.where())
		}
	}
	return nil
}

// provisionsAt returns the provisions whose force starts or ends at the
// eventRef id: nil (the whole act) when an interval of the act starts
// there, in force and not partially, or ends there with none starting; in
// a document whose periods are all of provisions, when those whose periods
// start or end there cover every top-level provision of the body; else
// those provisions, the topmost of them.
func (rd *reader) provisionsAt(id string) []string {
	at := func(ti *element, attr string) bool { return strings.TrimPrefix(ti.attr(attr), "#") == id }
	actStarts, actEnds, actGroups := false, false, false
	var provs []string
	for _, gid := range sortedKeys(rd.groups) {
		if rd.modGroups[gid] {
			continue
		}
		eid, isProv := rd.provGroup[gid]
		actGroups = actGroups || !isProv
		for _, ti := range rd.groups[gid].all("timeInterval") {
			starts, ends := at(ti, "start"), at(ti, "end")
			if !starts && !ends {
				continue
			}
			switch {
			case isProv:
				provs = append(provs, eid)
			case starts && !strings.Contains(ti.attr("refersTo"), "partiallyInForce"):
				actStarts = true
			case ends:
				actEnds = true
			}
		}
	}
	if len(provs) == 0 || actStarts || actEnds && !rd.actIntervalStartsAt(id) {
		return nil
	}
	slices.SortStableFunc(provs, func(a, b string) int {
		return cmp.Compare(slices.Index(rd.provOrder, a), slices.Index(rd.provOrder, b))
	})
	provs = topmost(provs)
	all := !actGroups && len(rd.topLevel) > 0
	for _, top := range rd.topLevel {
		all = all && events.Covers(provs, top)
	}
	if all {
		return nil
	}
	return provs
}

func (rd *reader) actIntervalStartsAt(id string) bool {
	for gid, g := range rd.groups {
		if _, isProv := rd.provGroup[gid]; isProv || rd.modGroups[gid] {
			continue
		}
		for _, ti := range g.all("timeInterval") {
			if strings.TrimPrefix(ti.attr("start"), "#") == id {
				return true
			}
		}
	}
	return false
}

// finish completes the events: the act's creation (from FRBRdate when no
// eventRef or step made one), its title, kind, ELI and structure, the
// gazette of publications, dates not before the act's creation, the notes;
// orders them by date, derives their ids and checks each against those
// before it.
func (rd *reader) finish(structure []events.Node) ([]events.Event, error) {
	var adopted, first *pending
	treaty := false
	for _, p := range rd.out {
		if p.e.Type == events.Adopted && adopted == nil {
			adopted = p
		}
		treaty = treaty || p.e.Type == events.Ratified || p.e.Type == events.Acceded
	}
	if adopted == nil && !treaty && !rd.bill {
		fd := rd.work().child("FRBRdate")
		if fd == nil {
			return nil, fmt.Errorf("%s has no FRBRdate: the date of the act's adoption is needed", rd.work().where())
		}
		d, err := rd.date(fd, "date")
		if err != nil {
			return nil, err
		}
		adopted = rd.add(events.Event{Act: rd.act, Type: events.Adopted, Date: d}, "FRBRWork/FRBRdate", fd.where())
	}
	order := func(p *pending) int {
		return slices.IndexFunc(events.Types, func(s events.Spec) bool { return s.Type == p.e.Type })
	}
	slices.SortStableFunc(rd.out, func(a, b *pending) int {
		return cmp.Or(cmp.Compare(a.e.Date.Earliest(), b.e.Date.Earliest()), cmp.Compare(order(a), order(b)), cmp.Compare(a.seq, b.seq))
	})
	for _, p := range rd.out {
		if spec, _ := events.SpecOf(p.e.Type); spec.Creates {
			first = p
			break
		}
	}
	if first == nil {
		return nil, fmt.Errorf("%s records no creation of the act (drafted, introduced, adopted, ratified or acceded)", rd.doc.where())
	}
	// The creation comes first; nothing is dated before it.
	rd.out = slices.DeleteFunc(rd.out, func(p *pending) bool { return p == first })
	rd.out = append([]*pending{first}, rd.out...)
	created := first.e.Date
	for _, p := range rd.out[1:] {
		// An effect's eventRef is dated by its effect: one before the
		// act's creation is retroactive, recorded on the creation's day.
		// A step of procedure keeps its date, for the rules to judge.
		if spec, _ := events.SpecOf(p.e.Type); spec.Group == events.Effect && p.e.Date.Earliest() < created.Earliest() {
			p.e.Date = created
		}
		if !p.e.EffectiveFrom.IsZero() && p.e.EffectiveFrom.Earliest() < created.Earliest() {
			p.e.Retroactive = true
		}
	}
	first.e.Body.Title = rd.title()
	first.e.Body.Kind = rd.kind
	first.e.Body.ELI = rd.eli()
	if len(structure) > 0 {
		holder := adopted
		if holder == nil {
			holder = first
		}
		holder.e.Body.Structure = structure
		holder.trace = append(holder.trace, "body of "+rd.expression())
	}
	if pub := rd.meta.child("publication"); pub != nil {
		g := cmp.Or(pub.attr("showAs"), pub.attr("name"))
		for _, p := range rd.out {
			if p.e.Type == events.Published {
				p.e.Body.Gazette = g
			}
		}
	}
	out := make([]events.Event, 0, len(rd.out))
	for _, p := range rd.out {
		e := p.e
		e.Schema = events.SchemaVersion
		e.Body.Note = "akn: " + strings.Join(p.trace, ", ")
		e.ID = derivedID(e)
		if err := events.Validate(out, e); err != nil {
			return nil, fmt.Errorf("%s, as a %q event: %w", p.where, e.Type, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// expression returns the URI of the document's expression, else the act's.
func (rd *reader) expression() string {
	if u := rd.meta.child("identification").child("FRBRExpression").child("FRBRuri"); u != nil && u.attr("value") != "" {
		return u.attr("value")
	}
	return string(rd.act)
}

// derivedID returns a ULID determined by the event's content: its time
// part the legal date, its random part a hash of the act and the event.
func derivedID(e events.Event) events.ID {
	e.ID = events.ID{}
	b, _ := json.Marshal(e) // an Event always encodes
	sum := sha256.Sum256(b)
	var ms uint64
	if t := e.Date.Earliest().Date(); t.Year >= 1970 {
		ms = uint64(time.Date(t.Year, t.Month, t.Day, 0, 0, 0, 0, time.UTC).UnixMilli())
	}
	var u ulid.ULID
	_ = u.SetTime(ms)
	_ = u.SetEntropy(sum[:10])
	return events.ID(u)
}
