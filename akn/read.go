package akn

import (
	"fmt"
	"io"
	"strings"

	"github.com/lexledger/lexledger/events"
)

// maxDocument bounds the Akoma Ntoso document Read takes.
const maxDocument = 16 << 20

// Read reads an Akoma Ntoso 3.0 document (one act's expression, such as
// Export writes) as the events that record it in the ledger, in the order
// they are to be appended:
//
//   - identification: FRBRWork/FRBRuri is the act (events.ParseActID), the
//     preface's docTitle (else an FRBRalias's showAs) its title, the
//     document's name (else FRBRsubtype) its kind, one of events.Kinds, an
//     FRBRalias named "eli" its ELI, and FRBRWork/FRBRdate its adoption
//     when no eventRef or step adopts it (but for a bill);
//   - body: its provisions, as the structure of the adopted event (else of
//     the act's first event);
//   - lifecycle and workflow: each eventRef and step that maps onto an
//     event type (by the TLCEvent it refers to, as Export writes them:
//     /ontology/event/lexledger/commenced; else by its type: generation,
//     amendment, repeal) becomes an event; a step and an eventRef of the
//     same procedural type and day are one event; agents give the chamber
//     or signatory, <publication> the gazette;
//   - temporalData: an interval of force that starts at an eventRef that is
//     no commencement records one; the provisions of a commencement, repeal
//     or suspension are those whose periods start or end there, unless an
//     interval of the whole act does;
//   - passiveModifications: each textualMod is an amended event, its
//     instrument the source's passiveRef, its provisions the destinations,
//     its effect the textualMod's type, from the start of its force
//     period; with no text changes (an outstanding effect, docs/TEXT.md).
//
// Each event's body.note names the element it comes from ("akn: eventRef
// evt_3", "akn: textualMod pmod_1"). Event ids are derived from the act and
// the event's content, so reading the same document again gives the same
// events, and importing it again records nothing new. Every event passes
// events.Validate against those before it.
//
// The body of a document is the text of its expression (FRBRExpression's
// version): for a document of a later version, the text as amended, which
// the adopted event's note says.
//
// The error names the element and its line when the document says
// something the ledger cannot record: XML that is not well formed, a
// document of another namespace, an act identifier, kind or date that is
// not valid, a provision that is not a hierarchical element with a valid
// eId, an eventRef or step that maps onto no event type, a reference that
// does not resolve, or an event the lifecycle rules refuse. Nothing is
// returned then.
func Read(r io.Reader) ([]events.Event, error) {
	// A document larger than any act the ledger takes in one event (its
	// text at most 256 KiB) is refused before it is held in memory.
	limited := &io.LimitedReader{R: r, N: maxDocument + 1}
	root, err := parseTree(limited)
	if limited.N <= 0 {
		err = fmt.Errorf("the document is larger than %d MiB: the ledger records an act's text in one event of at most 256 KiB", maxDocument>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("akn read: %w", err)
	}
	rd := &reader{
		refs:      map[string]*element{},
		eventRefs: map[string]*eventRefIn{},
		groups:    map[string]*element{},
		provGroup: map[string]string{},
		modGroups: map[string]bool{},
		consumed:  map[string]bool{},
	}
	evs, err := rd.read(root)
	if err != nil {
		if rd.act != "" {
			return nil, fmt.Errorf("akn read %s: %w", rd.act, err)
		}
		return nil, fmt.Errorf("akn read: %w", err)
	}
	return evs, nil
}

// reader holds what is read of one document.
type reader struct {
	doc, meta *element
	act       events.ActID
	kind      events.Kind
	bill      bool

	refs      map[string]*element // references by eId
	eventRefs map[string]*eventRefIn
	refOrder  []*eventRefIn
	groups    map[string]*element // temporalGroups by eId
	provGroup map[string]string   // temporalGroup eId -> the provision whose period it is
	provOrder []string            // provisions with a period, in document order
	topLevel  []string            // the eIds of the body's top-level provisions
	modGroups map[string]bool     // temporalGroups that are the force of a textualMod
	consumed  map[string]bool     // eventRefs that a textualMod stands for

	out []*pending
}

// eventRefIn is one eventRef of the lifecycle.
type eventRefIn struct {
	el   *element
	eID  string
	date events.Date
	typ  events.Type // "" when it maps onto no type
}

// pending is an event being made, with the elements it comes from.
type pending struct {
	e     events.Event
	trace []string
	where string // the first element, with its line, for messages
	seq   int    // document order, for a stable sort
}

func (rd *reader) add(e events.Event, trace, where string) *pending {
	p := &pending{e: e, trace: []string{trace}, where: where, seq: len(rd.out)}
	rd.out = append(rd.out, p)
	return p
}

func (rd *reader) read(root *element) ([]events.Event, error) {
	if root.name.Local != "akomaNtoso" || (root.name.Space != Namespace && root.name.Space != "") {
		return nil, fmt.Errorf("%s is not an Akoma Ntoso 3.0 document: its root must be <akomaNtoso xmlns=%q>", root.where(), Namespace)
	}
	if len(root.children) != 1 {
		return nil, fmt.Errorf("%s holds %d documents: import one act at a time", root.where(), len(root.children))
	}
	rd.doc = root.children[0]
	rd.bill = rd.doc.name.Local == "bill"
	for _, c := range rd.doc.children {
		switch c.name.Local {
		case "meta":
			rd.meta = c
		case "coverPage", "preface", "body", "mainBody", "conclusions":
		default:
			return nil, fmt.Errorf("%s: the ledger records an act's provisions (its body), not its <%s>: remove it to import the rest", c.where(), c.name.Local)
		}
	}
	if rd.meta == nil {
		return nil, fmt.Errorf("%s has no <meta>: the act's identification is needed", rd.doc.where())
	}
	if err := rd.identify(); err != nil {
		return nil, err
	}
	body := rd.doc.child("body")
	if body == nil {
		body = rd.doc.child("mainBody")
	}
	structure, err := readBody(body)
	if err != nil {
		return nil, err
	}
	rd.periods(body)
	for _, n := range structure {
		rd.topLevel = append(rd.topLevel, n.EID)
	}
	rd.indexMeta()
	if err := rd.readEventRefs(); err != nil {
		return nil, err
	}
	if err := rd.passiveMods(); err != nil {
		return nil, err
	}
	if err := rd.lifecycle(); err != nil {
		return nil, err
	}
	if err := rd.workflow(); err != nil {
		return nil, err
	}
	if err := rd.commencements(); err != nil {
		return nil, err
	}
	return rd.finish(structure)
}

// identify reads the act, its kind and title from the identification.
func (rd *reader) identify() error {
	work := rd.meta.child("identification").child("FRBRWork")
	if work == nil {
		return fmt.Errorf("%s has no identification/FRBRWork: the act's work URI is needed", rd.meta.where())
	}
	uri := work.child("FRBRuri")
	if uri == nil {
		return fmt.Errorf("%s has no FRBRuri: the act's work URI (/akn/kz/act/2009-12-04/216) is needed", work.where())
	}
	act, err := events.ParseActID(uri.attr("value"))
	if err != nil {
		return fmt.Errorf("%s: %w", uri.where(), err)
	}
	rd.act = act
	name := rd.doc.attr("name")
	sub := ""
	if s := work.child("FRBRsubtype"); s != nil {
		sub = s.attr("value")
	}
	switch {
	case events.ValidKind(events.Kind(name)):
		rd.kind = events.Kind(name)
	case events.ValidKind(events.Kind(sub)):
		rd.kind = events.Kind(sub)
	default:
		var known []string
		for _, k := range events.Kinds {
			known = append(known, string(k.Kind))
		}
		return fmt.Errorf("%s: neither its name %q nor the FRBRsubtype %q is a kind the ledger knows (%s): set name to one of them",
			rd.doc.where(), name, sub, strings.Join(known, ", "))
	}
	return nil
}

// title returns the act's title: the preface's docTitle, else the showAs of
// an FRBRalias; "" when the document gives none (or only the act's URI).
func (rd *reader) title() string {
	if t := rd.doc.child("preface").find("docTitle"); t != nil {
		if w := t.words(); w != "" && w != string(rd.act) {
			return w
		}
	}
	for _, a := range rd.work().all("FRBRalias") {
		if s := strings.TrimSpace(a.attr("showAs")); s != "" {
			return s
		}
	}
	return ""
}

func (rd *reader) work() *element { return rd.meta.child("identification").child("FRBRWork") }

// eli returns the value of the FRBRalias named eli, "" if none.
func (rd *reader) eli() string {
	for _, a := range rd.work().all("FRBRalias") {
		if a.attr("name") == "eli" {
			return a.attr("value")
		}
	}
	return ""
}

// periods indexes the temporal groups that the body's provisions name as
// their period.
func (rd *reader) periods(body *element) {
	var walk func(el *element)
	walk = func(el *element) {
		if el == nil {
			return
		}
		if p, id := strings.TrimPrefix(el.attr("period"), "#"), el.attr("eId"); p != "" && id != "" && hierarchy[el.name.Local] {
			if _, ok := rd.provGroup[p]; !ok {
				rd.provGroup[p] = id
				rd.provOrder = append(rd.provOrder, id)
			}
		}
		for _, c := range el.children {
			walk(c)
		}
	}
	walk(body)
}

// indexMeta indexes the references and the temporal groups by eId.
func (rd *reader) indexMeta() {
	refs := rd.meta.child("references")
	if refs == nil {
		refs = &element{}
	}
	for _, r := range refs.children {
		if id := r.attr("eId"); id != "" {
			rd.refs[id] = r
		}
	}
	for _, g := range rd.meta.child("temporalData").all("temporalGroup") {
		if id := g.attr("eId"); id != "" {
			rd.groups[id] = g
		}
	}
}

// date reads an xsd:date attribute, at the precision that refersTo's
// concepts (monthPrecision, yearPrecision) or lex:precision give it.
func (rd *reader) date(el *element, attr string) (events.Date, error) {
	s := el.attr(attr)
	if len(s) > 10 {
		s = s[:10] // a time zone: the day is what counts
	}
	d, err := events.ParseDate(s)
	if err != nil || d.Precision() != events.Day {
		return events.Date{}, fmt.Errorf("%s: %s %q is not a date (YYYY-MM-DD)", el.where(), attr, el.attr(attr))
	}
	prec := el.attrNS(ProprietaryNamespace, "precision")
	for _, tok := range strings.Fields(el.attr("refersTo")) {
		switch rd.refName(strings.TrimPrefix(tok, "#")) {
		case "monthPrecision":
			prec = "month"
		case "yearPrecision":
			prec = "year"
		}
	}
	switch prec {
	case "month":
		d.Day = 0
	case "year":
		d.Day, d.Month = 0, 0
	}
	return d, nil
}

// refName returns the name a reference stands for: the last segment of its
// href (/ontology/event/lexledger/commenced), else its eId.
func (rd *reader) refName(id string) string {
	r := rd.refs[id]
	if r == nil {
		return id
	}
	if h := r.attr("href"); h != "" {
		return h[strings.LastIndex(h, "/")+1:]
	}
	return id
}

// typeNames maps the names of TLCEvents onto event types: the ledger's own
// (the type, or its camel-case eId) and a few that others use.
var typeNames = func() map[string]events.Type {
	m := map[string]events.Type{
		"adoption": events.Adopted, "enactment": events.Adopted,
		"assent": events.Signed, "signature": events.Signed, "promulgation": events.Signed,
		"publication": events.Published, "commencement": events.Commenced, "entryIntoForce": events.Commenced,
		"amendment": events.Amended, "repeal": events.Repealed,
	}
	for _, s := range events.Types {
		if s.Group != events.Record {
			m[string(s.Type)] = s.Type
			m[camel(string(s.Type))] = s.Type
		}
	}
	return m
}()

// typeOf returns the event type an element refers to (a TLCEvent in
// refersTo), "" if none; end is true for the ledger's end of a suspension.
func (rd *reader) typeOf(el *element) (t events.Type, end bool) {
	for _, tok := range strings.Fields(el.attr("refersTo")) {
		id := strings.TrimPrefix(tok, "#")
		if r := rd.refs[id]; r == nil || r.name.Local != "TLCEvent" {
			continue
		}
		name := rd.refName(id)
		if name == suspensionEnd || id == camel(suspensionEnd) {
			return "", true
		}
		if t, ok := typeNames[name]; ok {
			return t, false
		}
		if t, ok := typeNames[id]; ok {
			return t, false
		}
	}
	return "", false
}

// instrument returns the act a source attribute names: a passiveRef (or
// any reference) by "#eId", or an act's URI; "" for the original.
func (rd *reader) instrument(el *element, attr string) (events.ActID, error) {
	src := el.attr(attr)
	href := src
	if id, ok := strings.CutPrefix(src, "#"); ok {
		if id == "original" || id == "" {
			return "", nil
		}
		r := rd.refs[id]
		if r == nil {
			return "", fmt.Errorf("%s: %s %q names no element of <references>", el.where(), attr, src)
		}
		if r.name.Local == "original" {
			return "", nil
		}
		href = r.attr("href")
	}
	if href == "" {
		return "", nil
	}
	href, _, _ = strings.Cut(href, "/!") // a component or portion of the act
	if i := strings.Index(href, "/eng@"); i > 0 {
		href = href[:i]
	}
	act, err := events.ParseActID(href)
	if err != nil {
		return "", fmt.Errorf("%s: the act it names: %w", el.where(), err)
	}
	return act, nil
}

// readEventRefs reads the lifecycle's eventRefs.
func (rd *reader) readEventRefs() error {
	for _, el := range rd.meta.child("lifecycle").all("eventRef") {
		id := el.attr("eId")
		if id == "" {
			return fmt.Errorf("%s has no eId", el.where())
		}
		d, err := rd.date(el, "date")
		if err != nil {
			return err
		}
		r := &eventRefIn{el: el, eID: id, date: d}
		rd.eventRefs[id] = r
		rd.refOrder = append(rd.refOrder, r)
	}
	return nil
}

// eventRefAt returns the eventRef that a "#eId" attribute names.
func (rd *reader) eventRefAt(el *element, attr string) (*eventRefIn, error) {
	v := el.attr(attr)
	if v == "" {
		return nil, nil
	}
	r := rd.eventRefs[strings.TrimPrefix(v, "#")]
	if r == nil {
		return nil, fmt.Errorf("%s: %s %q names no eventRef of the lifecycle", el.where(), attr, v)
	}
	return r, nil
}
