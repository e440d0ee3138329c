package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// textPage is the reading view: an act's whole text on a day, as the
// record stood at a time (docs/TEXT.md).
type textPage struct {
	page
	Act         events.ActID
	ActTitle    string
	Country     string
	AsOf        string
	KnownAt     string
	KnownAtTime *time.Time
	// NoText is the message for an act with no recorded text.
	NoText      string
	Version     string // the version in force, "" before the first
	VersionNote string // how well its day is known
	// Uncertain lists the change dates known only to the month or year
	// whose span holds the day: the text that day may differ.
	Uncertain   []string
	Prev, Next  *versionLink
	Compare     string // the diff with the previous version
	Provisions  []nodeView
	Notes       int // the annotations, numbered F1, F2 ... in reading order
	Outstanding []effectView
	Pending     []effectView
	Versions    []versionView
	Links       textLinks
}

type textLinks struct {
	Act, Self, JSON, VersionsJSON, Jurisdiction string
}

// versionLink names another version and reads the text on it.
type versionLink struct {
	Label, URL string
}

// versionView is one row of the list of versions.
type versionView struct {
	Date    events.Date
	URL     string
	Current bool
	Kinds   string // text, force, or both in words
	Events  []versionEvent
}

type versionEvent struct {
	Type        string
	Instrument  events.ActID
	InstURL     string
	Provisions  string
	Outstanding bool
}

// nodeView is a provision as a reader sees it.
type nodeView struct {
	EID      string
	Element  string
	Label    string // "Article 49", or "1." for a paragraph
	Heading  string
	Text     string
	Repealed bool
	Status   string // "" when in force
	Level    int    // its heading level, 3 to 6
	Block    bool   // a part, chapter, article ...: shown with its heading
	Notes    []noteView
	Children []nodeView
}

// noteView is an annotation as a footnote: which change, by which
// instrument and its provision, from when.
type noteView struct {
	Key        string // F1, F2 ...
	What       string // "Words substituted"
	From       events.Date
	Instrument events.ActID
	InstURL    string
	Source     string
	Formerly   string
	EventURL   string
	Event      string
}

// effectView is an outstanding or pending amendment.
type effectView struct {
	Instrument events.ActID
	InstURL    string
	Effect     string
	Provisions string
	From       events.Date
	Reason     string
	Event      string
	EventURL   string
	ReadURL    string // the text on its day (pending)
}

// blockElements are shown as headed divisions; the others (paragraphs,
// points ...) by their number before their words.
var blockElements = map[string]bool{
	"book": true, "tome": true, "part": true, "subpart": true, "title": true, "subtitle": true,
	"chapter": true, "subchapter": true, "division": true, "subdivision": true, "section": true,
	"article": true, "rule": true,
}

// day is the first day of d: a date known to the month or year, as a day
// to ask on.
func day(d events.Date) string { return d.Earliest().Date().String() }

func (s *Server) text(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, params, ok := s.actRequest(w, r)
	if !ok {
		return
	}
	var err error
	var (
		seq  uint64
		st   projections.ActState
		txt  *consolidation.Text
		vers []consolidation.Version
		terr error
	)
	s.p.Read(func(p *projections.Projection) {
		seq = p.LastSeq()
		if err = p.CheckKnownAt(params.KnownAt); err != nil {
			return
		}
		if st, err = p.State(id, params.Query()); err != nil {
			return
		}
		txt, terr = p.Text(id, params.Query())
		vers, _ = p.Versions(id, params.KnownAt)
	})
	if err == nil && terr != nil && events.ErrorCode(terr) != events.CodeNotFound {
		err = terr
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := textPage{page: s.page(r, st.Title, "acts"), Act: id, ActTitle: st.Title, Country: st.Country, AsOf: params.AsOf.String(),
		KnownAt: knownAtValue(q.Get("known_at"), params.KnownAt), KnownAtTime: params.KnownAt}
	v.Seq = seq
	v.Title = st.Title + " — text on " + v.AsOf
	v.Live = link("/ui/events", "act", string(id), "known_at", v.KnownAt)
	read := func(d string) string { return link("/ui/text", "act", string(id), "as_of", d, "known_at", v.KnownAt) }
	actURL := func(a events.ActID) string {
		return link("/ui/act", "act", string(a), "as_of", v.AsOf, "known_at", v.KnownAt)
	}
	v.Links = textLinks{
		Act:          actURL(id),
		Self:         read(v.AsOf),
		JSON:         link("/v1/text", "act", string(id), "as_of", v.AsOf, "known_at", v.KnownAt),
		VersionsJSON: link("/v1/versions", "act", string(id), "known_at", v.KnownAt),
		Jurisdiction: link("/ui/jurisdiction", "country", st.Country, "as_of", v.AsOf, "known_at", v.KnownAt),
	}
	if terr != nil {
		v.NoText = terr.Error()
		s.render(w, r, http.StatusNotFound, "text", v, seq)
		return
	}
	asOf := params.AsOf.Earliest()
	cur := -1 // the version in force
	for i, ver := range vers {
		if ver.Date.Earliest() <= asOf {
			cur = i
		}
		vv := versionView{Date: ver.Date, URL: read(day(ver.Date)), Kinds: versionKinds(ver)}
		for _, e := range ver.Events {
			ve := versionEvent{Type: words(string(e.Type)), Instrument: e.Instrument, Provisions: strings.Join(e.Provisions, ", "), Outstanding: e.Outstanding}
			if e.Instrument != "" {
				ve.InstURL = actURL(e.Instrument)
			}
			vv.Events = append(vv.Events, ve)
		}
		v.Versions = append(v.Versions, vv)
	}
	if cur >= 0 {
		v.Versions[cur].Current = true
		v.Version, v.VersionNote = vers[cur].Date.String(), precisionNote(vers[cur].Date)
		before := (vers[cur].Date.Earliest() - 1).Date().String()
		if cur > 0 {
			p := vers[cur-1].Date
			v.Prev = &versionLink{Label: "the version of " + p.String(), URL: read(day(p))}
		} else {
			v.Prev = &versionLink{Label: "the text before " + vers[cur].Date.String(), URL: read(before)}
		}
		v.Compare = link("/ui/textdiff", "act", string(id), "from", before, "to", v.AsOf, "known_at", v.KnownAt)
	}
	if cur+1 < len(vers) {
		n := vers[cur+1].Date
		v.Next = &versionLink{Label: "the version of " + n.String(), URL: read(day(n))}
	}
	ev := func(e events.ID) string { return actURL(id) + "#ev-" + e.String() }
	v.Provisions = nodes(txt.Provisions, 3, &v.Notes, actURL, ev)
	for _, d := range txt.Uncertain {
		v.Uncertain = append(v.Uncertain, d.String())
	}
	for _, e := range txt.Outstanding {
		v.Outstanding = append(v.Outstanding, effectOf(e, actURL, ev))
	}
	for _, e := range txt.Pending {
		ef := effectOf(e, actURL, ev)
		ef.ReadURL = read(day(e.From))
		v.Pending = append(v.Pending, ef)
	}
	s.render(w, r, http.StatusOK, "text", v, seq)
}

// versionKinds says what changed on a version's day.
func versionKinds(v consolidation.Version) string {
	var out []string
	if v.Text {
		out = append(out, "text")
	}
	if v.Force {
		out = append(out, "force")
	}
	for _, e := range v.Events {
		if e.Outstanding {
			out = append(out, "changes not yet shown")
			break
		}
	}
	return strings.Join(out, ", ")
}

func effectOf(e consolidation.Effect, actURL func(events.ActID) string, ev func(events.ID) string) effectView {
	out := effectView{Instrument: e.Instrument, Effect: effectWords(e.Effect), Provisions: strings.Join(e.Provisions, ", "),
		From: e.From, Reason: e.Reason, Event: e.Event.String(), EventURL: ev(e.Event)}
	if e.Effect == "" {
		out.Effect = words(string(e.Type))
	}
	if e.Instrument != "" {
		out.InstURL = actURL(e.Instrument)
	}
	return out
}

// nodes turns provisions into what the page shows, numbering their
// annotations in reading order.
func nodes(ns []consolidation.Node, level int, notes *int, actURL func(events.ActID) string, ev func(events.ID) string) []nodeView {
	out := make([]nodeView, 0, len(ns))
	for _, n := range ns {
		nv := nodeView{EID: n.EID, Element: n.Element, Heading: n.Heading, Text: n.Text, Repealed: n.Repealed,
			Level: min(level, 6), Block: blockElements[n.Element]}
		if n.Status != projections.ProvisionInForce {
			nv.Status = n.Status
		}
		nv.Label = provisionName(n.Element, n.Num, nv.Block)
		for _, a := range n.Annotations {
			*notes++
			nv.Notes = append(nv.Notes, note(a, *notes, actURL, ev))
		}
		next := level
		if nv.Block {
			next = level + 1
		}
		nv.Children = nodes(n.Children, next, notes, actURL, ev)
		out = append(out, nv)
	}
	return out
}

// provisionName is how a provision is cited: "Article 49" for a division
// or an article, "1." for a paragraph or a point.
func provisionName(element, num string, block bool) string {
	if !block {
		if num == "" || strings.HasSuffix(num, ".") || strings.HasSuffix(num, ")") {
			return num
		}
		return num + "."
	}
	name := strings.ToUpper(element[:1]) + element[1:]
	if num == "" {
		return name
	}
	return name + " " + num
}

// changeNames names the textual changes in annotations.
var changeNames = map[events.ChangeOp][2]string{
	events.OpSubstitute: {"Substituted", "Words substituted"},
	events.OpInsert:     {"Inserted", "Words inserted"},
	events.OpRepeal:     {"Repealed", "Words repealed"},
	events.OpRenumber:   {"Renumbered", "Renumbered"},
}

// changeName says what an annotation's change did.
func changeName(a consolidation.Annotation) string {
	n, ok := changeNames[a.Op]
	if !ok {
		return words(string(a.Op))
	}
	if a.Words {
		return n[1]
	}
	return n[0]
}

func note(a consolidation.Annotation, i int, actURL func(events.ActID) string, ev func(events.ID) string) noteView {
	out := noteView{Key: fmt.Sprintf("F%d", i), What: changeName(a), From: a.From, Instrument: a.Instrument, Source: a.Source,
		Formerly: a.Formerly, Event: a.Event.String(), EventURL: ev(a.Event)}
	if a.Instrument != "" {
		out.InstURL = actURL(a.Instrument)
	}
	return out
}
