package akn

import (
	"strconv"
	"time"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// ledgerID is the eId of the ledger as an organization: the source of all
// metadata and the author of the expression and manifestation.
const ledgerID = "lexledger"

// write renders the document, in the element order the schema requires.
func (x *exporter) write() ([]byte, error) {
	w := newWriter()
	w.open("akomaNtoso", "xmlns", Namespace)
	root := "act"
	if x.isBill() {
		root = "bill"
	}
	name := string(x.st.Kind)
	if name == "" {
		name = x.act.Tokens()[1]
	}
	contains := "originalVersion"
	if x.versioned() {
		contains = "singleVersion"
	}
	w.open(root, "name", name, "contains", contains)
	w.open("meta")
	x.writeIdentification(w)
	x.writePublication(w)
	x.writeLifecycle(w)
	x.writeWorkflow(w)
	x.writeAnalysis(w)
	x.writeTemporalData(w)
	x.writeReferences(w)
	x.writeProprietary(w)
	w.close("meta")
	w.open("preface")
	w.wrapped("p", "docTitle", x.title())
	w.close("preface")
	x.writeBody(w)
	w.close(root)
	w.close("akomaNtoso")
	return w.bytes()
}

func (x *exporter) title() string {
	if x.st.Title != "" {
		return x.st.Title
	}
	return string(x.act)
}

// writeIdentification writes the FRBR triple: the work (the act), the
// expression in force on the day, and this XML manifestation of it.
func (x *exporter) writeIdentification(w *writer) {
	work := string(x.act)
	tokens := x.act.Tokens()
	w.open("identification", "source", "#"+ledgerID)

	w.open("FRBRWork")
	w.empty("FRBRthis", "value", work+"/!main")
	w.empty("FRBRuri", "value", work)
	if eli := x.eli(); eli != "" {
		w.empty("FRBRalias", "value", eli, "name", "eli")
	}
	d, name := x.workDate()
	if d.Precision() == events.Day {
		w.empty("FRBRdate", "date", xsdDate(d), "name", name)
	} else {
		// xsd:date needs a day: its first day stands for the date, and
		// lex:precision says how much of it is known (FRBRdate takes no
		// refersTo, but any attribute of another namespace).
		w.empty("FRBRdate", "date", xsdDate(d), "name", name,
			"xmlns:lex", ProprietaryNamespace, "lex:precision", d.Precision().String())
	}
	w.empty("FRBRauthor", "href", "#"+x.author)
	w.empty("FRBRcountry", "value", x.act.Country())
	if len(tokens) == 5 {
		w.empty("FRBRsubtype", "value", tokens[2])
	}
	w.empty("FRBRnumber", "value", tokens[len(tokens)-1])
	w.close("FRBRWork")

	w.open("FRBRExpression")
	w.empty("FRBRthis", "value", x.expr+"/!main")
	w.empty("FRBRuri", "value", x.expr)
	if x.version.Precision() == events.Day {
		w.empty("FRBRdate", "date", xsdDate(x.version), "name", "version")
	} else {
		w.empty("FRBRdate", "date", xsdDate(x.version), "name", "version",
			"xmlns:lex", ProprietaryNamespace, "lex:precision", x.version.Precision().String())
	}
	w.empty("FRBRauthor", "href", "#"+ledgerID)
	w.empty("FRBRlanguage", "language", Language)
	w.close("FRBRExpression")

	w.open("FRBRManifestation")
	w.empty("FRBRthis", "value", x.expr+"/!main.xml")
	w.empty("FRBRuri", "value", x.expr+".akn")
	w.empty("FRBRdate", "date", x.mtime.Format(time.DateOnly), "name", "recorded")
	w.empty("FRBRauthor", "href", "#"+ledgerID)
	w.empty("FRBRformat", "value", "application/akn+xml")
	w.close("FRBRManifestation")

	w.close("identification")
}

// eli returns the latest ELI alias recorded for the act, "" if none.
func (x *exporter) eli() string {
	eli := ""
	for i := range x.evs {
		if e := x.evs[i].Body.ELI; e != "" {
			eli = e
		}
	}
	return eli
}

// writePublication writes the latest publication recorded, if any.
func (x *exporter) writePublication(w *writer) {
	var pub *events.Event
	for i := range x.evs {
		if x.evs[i].Type == events.Published {
			pub = &x.evs[i]
		}
	}
	if pub == nil {
		return
	}
	w.empty("publication", "date", xsdDate(pub.Date), "name", pub.Body.Gazette, "showAs", pub.Body.Gazette,
		"refersTo", refersTo(x.precisionConcept(pub.Date)))
}

func (x *exporter) writeLifecycle(w *writer) {
	if len(x.refs) == 0 {
		return
	}
	w.open("lifecycle", "source", "#"+ledgerID)
	for _, r := range x.refs {
		w.empty("eventRef", "eId", r.eID, "date", xsdDate(r.date), "source", "#"+r.source, "type", r.typ, "refersTo", r.refersTo)
	}
	w.close("lifecycle")
}

func (x *exporter) writeWorkflow(w *writer) {
	if len(x.steps) == 0 {
		return
	}
	w.open("workflow", "source", "#"+ledgerID)
	for _, s := range x.steps {
		w.empty("step", "date", xsdDate(s.date), "by", "#"+s.by, "refersTo", s.refersTo)
	}
	w.close("workflow")
}

func (x *exporter) writeAnalysis(w *writer) {
	if len(x.mods) == 0 && len(x.amods) == 0 {
		return
	}
	w.open("analysis", "source", "#"+ledgerID)
	if len(x.amods) > 0 {
		w.open("activeModifications")
		for _, m := range x.amods {
			w.open("textualMod", "eId", m.eID, "type", m.typ)
			w.empty("source", "href", m.source)
			for _, d := range m.destinations {
				w.empty("destination", "href", d)
			}
			w.close("textualMod")
		}
		w.close("activeModifications")
	}
	if len(x.mods) == 0 {
		w.close("analysis")
		return
	}
	w.open("passiveModifications")
	for _, m := range x.mods {
		w.open("textualMod", "eId", m.eID, "type", m.typ)
		w.empty("source", "href", "#"+m.source)
		for _, d := range m.destinations {
			w.empty("destination", "href", d)
		}
		w.empty("force", "period", "#"+m.period)
		w.close("textualMod")
	}
	w.close("passiveModifications")
	w.close("analysis")
}

func (x *exporter) writeTemporalData(w *writer) {
	groups := append(append([]temporalGroup(nil), x.groups...), x.modGroups...)
	if len(groups) == 0 {
		return
	}
	ref := func(eid string) string {
		if eid == "" {
			return ""
		}
		return "#" + eid
	}
	w.open("temporalData", "source", "#"+ledgerID)
	for _, g := range groups {
		w.open("temporalGroup", "eId", g.eID)
		for _, ti := range g.intervals {
			w.empty("timeInterval", "start", ref(ti.start), "end", ref(ti.end), "refersTo", ti.refersTo)
		}
		w.close("temporalGroup")
	}
	w.close("temporalData")
}

// writeReferences lists everything the metadata refers to: the original
// expression, the acts that caused events (passiveRef), the ledger and the
// agents, the concepts and the event types.
func (x *exporter) writeReferences(w *writer) {
	w.open("references", "source", "#"+ledgerID)
	w.empty("original", "eId", "original", "href", string(x.act)+"/"+Language+"@", "showAs", x.title())
	for _, r := range x.active {
		w.empty(r.elem, "eId", r.eID, "href", r.href, "showAs", r.showAs)
	}
	for _, r := range x.passive {
		w.empty(r.elem, "eId", r.eID, "href", r.href, "showAs", r.showAs)
	}
	w.empty("TLCOrganization", "eId", ledgerID, "href", "/ontology/organization/lexledger", "showAs", "Lex Ledger")
	for _, r := range x.agents {
		w.empty(r.elem, "eId", r.eID, "href", r.href, "showAs", r.showAs)
	}
	for _, c := range conceptDefs {
		if x.concepts[c.eID] {
			w.empty("TLCConcept", "eId", c.eID, "href", "/ontology/concept/lexledger/"+c.eID, "showAs", c.showAs)
		}
	}
	types := make([]string, 0, len(events.Types)+1)
	for _, s := range events.Types {
		types = append(types, string(s.Type))
	}
	types = append(types, suspensionEnd)
	for _, t := range types {
		if !x.tlcEvents[t] {
			continue
		}
		show := human(t)
		if t == suspensionEnd {
			show = "End of a suspension (its effective_to)"
		}
		w.empty("TLCEvent", "eId", camel(t), "href", "/ontology/event/lexledger/"+t, "showAs", show)
	}
	w.close("references")
}

// writeProprietary records the projection's answer for the day, which
// Akoma Ntoso has no element for: the act's status and its reason, the
// events that decide it, the boundaries whose uncertainty covers the day,
// and the record time the answer is as of.
func (x *exporter) writeProprietary(w *writer) {
	w.open("proprietary", "source", "#"+ledgerID, "xmlns:lex", ProprietaryNamespace)
	var because []string
	for _, id := range x.st.Because {
		if r := x.refOf[id]; r != nil {
			because = append(because, r.eID)
		}
	}
	knownAt := ""
	if x.q.KnownAt != nil {
		knownAt = x.q.KnownAt.UTC().Format(time.RFC3339Nano)
	}
	w.empty("lex:state", "asOf", x.q.AsOf.String(), "knownAt", knownAt, "status", string(x.st.Status),
		"reason", x.st.Reason, "because", refersTo(because...), "stage", string(x.st.Stage),
		"stageDate", x.st.StageDate.String(), "events", strconv.FormatUint(x.st.Version, 10))
	for _, u := range x.st.Uncertain {
		w.empty("lex:uncertain", "date", u.String())
	}
	w.close("proprietary")
}

// writeBody writes one element per provision, nested by eId, each with its
// number and its text on the day; for an act recorded with its structure,
// the consolidated text on the day (writeText).
func (x *exporter) writeBody(w *writer) {
	w.open("body")
	if x.text != nil && len(x.text.Provisions) > 0 {
		for i := range x.text.Provisions {
			x.writeNode(w, &x.text.Provisions[i])
		}
		w.close("body")
		return
	}
	eids := make([]string, 0, len(x.st.Provisions))
	for _, ps := range x.st.Provisions {
		eids = append(eids, ps.EID)
	}
	nodes := tree(eids)
	if len(nodes) == 0 {
		w.open("hcontainer", "eId", "hcontainer_1", "name", "noText")
		w.open("content")
		w.leaf("p", "No provision text is recorded in the ledger.", "status", "editorial")
		w.close("content")
		w.close("hcontainer")
	}
	states := x.provisionStates()
	for _, n := range nodes {
		x.writeProvision(w, n, states)
	}
	w.close("body")
}

func (x *exporter) writeProvision(w *writer, n *provision, states map[string]projections.ProvisionState) {
	el, hname, num := ElementFor(n.eID)
	attrs := []string{"eId", n.eID, "name", hname}
	var text []string
	if n.named {
		ps := states[n.eID]
		status := ""
		switch {
		case ps.Suspended:
			status = "temporarilyRemoved"
		case !ps.InForce && x.removed(n.eID):
			status = "removed"
		}
		period := ""
		if g := x.periods[n.eID]; g != "" {
			period = "#" + g
		}
		attrs = append(attrs, "status", status, "period", period)
		text = paragraphs(ps.Text)
	}
	w.open(el, attrs...)
	if num != "" {
		w.leaf("num", num)
	}
	switch {
	case len(n.children) == 0:
		w.open("content")
		x.writeText(w, text)
		w.close("content")
	case len(text) > 0:
		w.open("intro")
		x.writeText(w, text)
		w.close("intro")
	}
	for _, c := range n.children {
		x.writeProvision(w, c, states)
	}
	w.close(el)
}

func (x *exporter) writeText(w *writer, text []string) {
	if len(text) == 0 {
		w.leaf("p", "No text of this provision as of "+x.q.AsOf.String()+" is recorded in the ledger.", "status", "editorial")
		return
	}
	for _, p := range text {
		w.leaf("p", p)
	}
}

// writeNode writes a provision of the consolidated text: its element
// (ElementFor of its eId), its number and heading, its status (removed when
// repealed, by a textual change or in force; temporarily removed when
// suspended), its period, and its words as content or, above other
// provisions, as their intro. A repealed provision keeps its place, its
// number and its heading, with an editorial "Repealed." as the statute
// book prints it.
func (x *exporter) writeNode(w *writer, n *consolidation.Node) {
	el, hname, num := ElementFor(n.EID)
	if n.Num != "" {
		num = n.Num
	}
	status := ""
	switch {
	case n.Repealed || (n.Status == projections.ProvisionNotInForce && x.removed(n.EID)):
		status = "removed"
	case n.Status == projections.ProvisionSuspended:
		status = "temporarilyRemoved"
	}
	period := ""
	if g := x.periods[n.EID]; g != "" {
		period = "#" + g
	}
	w.open(el, "eId", n.EID, "name", hname, "status", status, "period", period)
	if num != "" {
		w.leaf("num", num)
	}
	if n.Heading != "" {
		w.leaf("heading", n.Heading)
	}
	text := paragraphs(n.Text)
	switch {
	case n.Repealed:
		w.open("content")
		w.leaf("p", "Repealed.", "status", "editorial")
		w.close("content")
	case len(n.Children) == 0:
		w.open("content")
		x.writeText(w, text)
		w.close("content")
	case len(text) > 0:
		w.open("intro")
		x.writeText(w, text)
		w.close("intro")
	}
	if !n.Repealed {
		for i := range n.Children {
			x.writeNode(w, &n.Children[i])
		}
	}
	w.close(el)
}
