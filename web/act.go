package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// scoped is a Projector that may follow part of the ledger
// (*projector.Service): it refuses acts outside its part.
type scoped interface {
	CheckScope(act events.ActID) error
}

// lastDay is the latest valid day: an answer on it holds every amendment
// ever in effect, for the timeline's markers.
var lastDay = events.MustDate("2999-12-31")

// actPage is the act's page.
type actPage struct {
	page
	Act         events.ActID
	AsOf        string // the form's values
	KnownAt     string
	KnownAtTime *time.Time
	State       projections.ActState
	Dates       []keyDate
	Uncertain   []events.Date
	Provisions  []provisionView
	Received    []amendmentView
	Made        []amendmentView
	Chart       chart
	Intervals   []intervalView
	ProvRows    []provisionRows
	Events      []eventView
	RecordTimes []string // the record times of the act's events, to pick "as known at"
	Verify      verifyView
	Links       actLinks
	// HasText says the act has a recorded text, read at Links.Text.
	HasText bool
}

type keyDate struct {
	Label string
	Date  events.Date
}

type provisionView struct {
	EID, Status, Text string
	TextFrom          events.Date
	TextEvent         string
}

type amendmentView struct {
	Other      events.ActID // the instrument, or the act amended
	OtherURL   string
	Effect     string
	Provisions string
	From       events.Date
	Event      string
}

type intervalView struct {
	From, To events.Date
	Status   string // the status's name, for the class
	Label    string // in words
	Reason   string
}

type provisionRows struct {
	EID       string
	Intervals []intervalView
}

type eventView struct {
	Seq        uint64
	ID         string
	Type       string
	Date       events.Date
	From, To   events.Date
	Provisions string
	Instrument events.ActID
	InstURL    string
	RecordedAt time.Time
	RecordedBy string
	Effective  bool
	InEffect   string // in words
	Target     string // the event a record event concerns
	Hash       string
	KnownThen  string // the page as known when this event was recorded
}

type verifyView struct {
	Err        string
	ChainOK    bool
	Status     string // projector.AuditReport.ChainStatus
	CheckedTo  uint64 // the last sequence whose stored bytes were checked
	Issues     []string
	Events     int
	Checkpoint *projector.CheckpointAt
}

type actLinks struct {
	Self, Export, JSON, Timeline, Audit, AuditCSV, History, Jurisdiction, Text string
}

// link builds path?query from name, value pairs, leaving out empty values.
func link(path string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func (s *Server) act(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, params, ok := s.actRequest(w, r)
	if !ok {
		return
	}
	var err error
	asOf, knownAt := params.AsOf, params.KnownAt
	var (
		seq  uint64
		st   projections.ActState
		all  projections.ActState
		tl   projections.Timeline
		hist []events.Event
		text bool
	)
	s.p.Read(func(p *projections.Projection) {
		seq = p.LastSeq()
		if err = p.CheckKnownAt(knownAt); err != nil {
			return
		}
		if st, err = p.State(id, projections.Query{AsOf: asOf, KnownAt: knownAt}); err != nil {
			return
		}
		all, _ = p.State(id, projections.Query{AsOf: lastDay, KnownAt: knownAt})
		tl, _ = p.Timeline(id, knownAt)
		hist = p.History(id)
		_, terr := p.Text(id, projections.Query{AsOf: asOf, KnownAt: knownAt})
		text = terr == nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(hist) > len(tl.Events) {
		hist = hist[:len(tl.Events)] // as known at known_at: a prefix
	}
	v := actPage{page: s.page(r, st.Title, "acts"), Act: id, AsOf: asOf.String(), KnownAt: knownAtValue(q.Get("known_at"), knownAt),
		KnownAtTime: knownAt, State: st, Uncertain: st.Uncertain, HasText: text}
	v.Seq = seq
	v.Live = link("/ui/events", "act", string(id), "known_at", v.KnownAt)
	v.Title = st.Title + " — as of " + asOf.String()
	for _, k := range []string{"adopted", "ratified", "acceded", "signed", "veto_overridden", "published", "first_in_force", "no_longer_in_force"} {
		if d, ok := st.Dates[k]; ok {
			v.Dates = append(v.Dates, keyDate{Label: words(k), Date: d})
		}
	}
	for _, p := range st.Provisions {
		pv := provisionView{EID: p.EID, Status: p.Status, Text: p.Text, TextFrom: p.TextFrom}
		if !p.TextEvent.IsZero() {
			pv.TextEvent = p.TextEvent.String()
		}
		v.Provisions = append(v.Provisions, pv)
	}
	for _, a := range st.AmendmentsReceived {
		v.Received = append(v.Received, s.amendmentView(a, a.Instrument, v))
	}
	for _, a := range st.AmendmentsMade {
		v.Made = append(v.Made, s.amendmentView(a.Amendment, a.Target, v))
	}
	for _, iv := range tl.Intervals {
		v.Intervals = append(v.Intervals, intervalView{From: iv.From, To: iv.To, Status: string(iv.Status), Label: statusLabel(iv.Status), Reason: iv.Reason})
	}
	for _, eid := range sortedKeys(tl.Provisions) {
		row := provisionRows{EID: eid}
		for _, iv := range tl.Provisions[eid] {
			row.Intervals = append(row.Intervals, intervalView{From: iv.From, To: iv.To, Status: iv.Status, Label: provisionLabel(iv.Status)})
		}
		v.ProvRows = append(v.ProvRows, row)
	}
	// The audit report is of the record as it stands now: the chain and
	// the checkpoint vouch for every event, whatever known_at shows.
	hashes := map[string]string{}
	if rep, err := s.p.Report(id); err != nil {
		v.Verify = verifyView{Err: err.Error()}
	} else {
		v.Verify = verifyView{ChainOK: rep.ChainOK, Status: rep.ChainStatus, CheckedTo: rep.ChainCheckedTo, Issues: rep.ChainIssues, Events: len(rep.Events), Checkpoint: rep.Checkpoint}
		for _, e := range rep.Events {
			hashes[e.ID.String()] = e.Hash
		}
	}
	for i, te := range tl.Events {
		ev := hist[i]
		e := eventView{Seq: te.Seq, ID: te.ID.String(), Type: words(string(te.Type)), Date: te.Date, From: ev.EffectiveFrom, To: ev.EffectiveTo,
			Provisions: strings.Join(ev.Provisions, ", "), Instrument: ev.Instrument, RecordedAt: te.RecordedAt, RecordedBy: te.RecordedBy,
			Effective: te.Effective, Hash: hashes[te.ID.String()]}
		if ev.Instrument != "" {
			e.InstURL = link("/ui/act", "act", string(ev.Instrument), "as_of", v.AsOf, "known_at", v.KnownAt)
		}
		switch {
		case te.Type == events.RecordCorrected:
			e.InEffect, e.Target = "corrects an earlier event", ev.Body.Corrects.String()
		case te.Type == events.RecordRetracted:
			e.InEffect, e.Target = "retracts an earlier event", ev.Body.Retracts.String()
		case te.Effective:
			e.InEffect = "yes"
		default:
			e.InEffect = "no: retracted"
		}
		rt := te.RecordedAt.UTC().Format(time.RFC3339Nano)
		e.KnownThen = link("/ui/act", "act", string(id), "as_of", v.AsOf, "known_at", rt)
		v.Events = append(v.Events, e)
		if n := len(v.RecordTimes); n == 0 || v.RecordTimes[n-1] != rt {
			v.RecordTimes = append(v.RecordTimes, rt)
		}
	}
	eff := effectiveEvents(hist)
	v.Chart = buildChart(tl, eff, all.AmendmentsMade, asOf)
	v.Links = actLinks{
		Self:         link("/ui/act", "act", string(id), "as_of", v.AsOf, "known_at", v.KnownAt),
		Export:       link("/v1/export", "act", string(id), "as_of", v.AsOf),
		JSON:         link("/v1/act", "act", string(id), "as_of", v.AsOf, "known_at", v.KnownAt),
		Timeline:     link("/v1/timeline", "act", string(id), "known_at", v.KnownAt),
		Audit:        link("/v1/audit", "act", string(id)),
		AuditCSV:     link("/v1/audit", "act", string(id), "format", "csv"),
		History:      link("/v1/history", "act", string(id)),
		Jurisdiction: link("/ui/jurisdiction", "country", st.Country, "as_of", v.AsOf, "known_at", v.KnownAt),
		Text:         link("/ui/text", "act", string(id), "as_of", v.AsOf, "known_at", v.KnownAt),
	}
	s.render(w, r, http.StatusOK, "act", v, seq)
}

func (s *Server) amendmentView(a projections.Amendment, other events.ActID, v actPage) amendmentView {
	return amendmentView{Other: other, OtherURL: link("/ui/act", "act", string(other), "as_of", v.AsOf, "known_at", v.KnownAt),
		Effect: effectWords(a.Effect), Provisions: strings.Join(a.Provisions, ", "), From: a.EffectiveFrom, Event: a.Event.String()}
}

// effectWords names an amendment's effect for a reader: "changes not
// detailed" for an unspecified one, which claims nothing of the act.
func effectWords(e events.AmendmentEffect) string {
	if e == events.Unspecified {
		return "changes not detailed"
	}
	return words(string(e))
}

// effectiveEvents returns the events that count, corrections applied, for
// the chart's markers.
func effectiveEvents(hist []events.Event) []events.Event {
	eff, err := events.Effective(hist)
	if err == nil {
		return eff
	}
	var out []events.Event
	for _, e := range hist {
		if spec, ok := events.SpecOf(e.Type); ok && spec.Group != events.Record {
			out = append(out, e)
		}
	}
	return out
}
