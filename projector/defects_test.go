package projector_test

// Messages on the events subjects that are not valid events of their acts,
// published straight to the stream as anyone with a raw JetStream publish
// could: each is a defect, left out of the views, and the projector, the
// readers and the ledger go on (docs/RUNBOOK.md, Defects).

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/metrics"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// rawPublish stores data on subject with a plain JetStream publish,
// bypassing the ledger, and returns its stream sequence.
func rawPublish(t *testing.T, nc *nats.Conn, subject string, data []byte) uint64 {
	t.Helper()
	reply, err := nc.Request(subject, data, 5*time.Second)
	if err != nil {
		t.Fatalf("publish on %s: %v", subject, err)
	}
	var ack struct {
		Seq   uint64 `json:"seq"`
		Error *struct {
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(reply.Data, &ack); err != nil || ack.Error != nil || ack.Seq == 0 {
		t.Fatalf("publish on %s: the stream answered %s", subject, reply.Data)
	}
	return ack.Seq
}

// forged returns a well-formed repeal of act, sealed, chained onto prev:
// what a writer who bypasses the ledger can compute.
func forged(t *testing.T, act events.ActID, prev events.Digest) (events.Event, []byte) {
	t.Helper()
	e := events.Event{Schema: events.SchemaVersion, ID: events.NewID(), Act: act, Type: events.Repealed,
		Date: events.MustDate("2010-01-01"), EffectiveFrom: events.MustDate("2010-01-01"),
		RecordedAt: time.Now().UTC(), RecordedBy: "mallory@nats", PrevHash: prev}
	data, err := e.Seal()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("the forged event is not even valid: %v", err)
	}
	return e, data
}

// defectCase is one kind of defect and the sequence it was stored at.
type defectCase struct {
	reason eventlog.Reason
	seq    uint64
}

// publishDefects stores one message of each defect kind and returns them.
func publishDefects(t *testing.T, env *natstest.Env, l *ledger.Ledger) []defectCase {
	t.Helper()
	ctx := context.Background()
	hist, err := l.History(ctx, refugees)
	if err != nil {
		t.Fatal(err)
	}
	tip := hist[len(hist)-1].Event.Hash
	first := hist[0].Event
	subj := env.Store.Subject(refugees)
	var out []defectCase
	add := func(r eventlog.Reason, subject string, data []byte) {
		out = append(out, defectCase{r, rawPublish(t, env.Conn, subject, data)})
	}
	add(eventlog.ReasonUnreadable, subj, []byte("garbage"))
	_, good := forged(t, refugees, tip)
	add(eventlog.ReasonUnknownSchema, subj, bytes.Replace(good, []byte(`{"schema":2,`), []byte(`{"schema":9,`), 1))
	// A forged repeal whose hash is not the hash of its content.
	_, data := forged(t, refugees, tip)
	i := bytes.LastIndex(data, []byte(`"hash":"`)) + len(`"hash":"`)
	copy(data[i:], strings.Repeat("ab", 32))
	add(eventlog.ReasonHash, subj, data)
	// Sealed, but chained onto nothing.
	_, data = forged(t, refugees, events.Digest{1})
	add(eventlog.ReasonChain, subj, data)
	// Sealed and chained onto the refugees' law, stored on another act's subject.
	_, data = forged(t, refugees, tip)
	add(eventlog.ReasonSubject, env.Store.Subject(criminalCode), data)
	// A subject that names no act.
	_, data = forged(t, refugees, tip)
	add(eventlog.ReasonSubject, natsjs.DefaultPrefix+".nothing", data)
	// Sealed and chained, with the id of the act's first event.
	e := events.Event{Schema: events.SchemaVersion, ID: first.ID, Act: refugees, Type: events.Repealed,
		Date: events.MustDate("2010-01-01"), EffectiveFrom: events.MustDate("2010-01-01"),
		RecordedAt: time.Now().UTC(), RecordedBy: "mallory@nats", PrevHash: tip}
	data, err = e.Seal()
	if err != nil {
		t.Fatal(err)
	}
	add(eventlog.ReasonDuplicateID, subj, data)
	return out
}

func TestDefectsLeftOutAndFollowed(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	loadSeed(t, l)
	r := startService(t, env.Store, env.Conn, projector.Options{}, false)
	r.waitFor(t, seedEvents)
	before, err := stateOf(r.svc, refugees)
	if err != nil {
		t.Fatal(err)
	}

	cases := publishDefects(t, env, l)
	// The ledger goes on recording the act: its write expects the last
	// message on the act's subject (a defect), and its chain goes on from
	// the act's last valid event.
	hist, _ := l.History(context.Background(), refugees)
	var lastValid eventlog.Entry
	for _, h := range hist {
		if h.Defect == nil {
			lastValid = h
		}
	}
	next := events.Event{ID: events.NewID(), Act: refugees, Type: events.Amended, Date: events.MustDate("2010-06-01"),
		EffectiveFrom: events.MustDate("2010-07-01"), Instrument: "/akn/kz/act/2010-06-01/1", Provisions: []string{"art_18"},
		Body: events.Body{Effect: "substitution", Texts: map[string]string{"art_18": "Refugees shall not be returned."}}}
	rc := mustAppend(t, l, next)
	r.waitFor(t, rc.Seq)

	var stored eventlog.Entry
	hist, err = l.History(context.Background(), refugees)
	if err != nil {
		t.Fatal(err)
	}
	var defects int
	for _, h := range hist {
		if h.Defect != nil {
			defects++
		}
		if h.Seq == rc.Seq {
			stored = h
		}
	}
	if stored.Event.PrevHash != lastValid.Event.Hash {
		t.Errorf("the ledger chained its event onto %s, want the act's last valid event %s", stored.Event.PrevHash, lastValid.Event.Hash)
	}
	if stored.Version != lastValid.Version+1 {
		t.Errorf("the new event is version %d, want %d: defects are not versions", stored.Version, lastValid.Version+1)
	}
	if defects != 5 { // unreadable, schema, hash, chain, duplicate id: on the refugees' subject
		t.Errorf("the refugees' history names %d defects, want 5", defects)
	}

	// The projector followed every message, left the defects out, applied
	// the event after them.
	st := r.svc.Status()
	if !st.Ready || st.AppliedSeq != rc.Seq {
		t.Fatalf("the projector is ready=%v at %d, want ready at %d", st.Ready, st.AppliedSeq, rc.Seq)
	}
	want := map[eventlog.Reason]int{}
	for _, c := range cases {
		want[c.reason]++
	}
	for reason, n := range want {
		if st.Defects[reason] != n {
			t.Errorf("the projector counts %d defects %s, want %d (all: %v)", st.Defects[reason], reason, n, st.Defects)
		}
	}
	got := r.svc.Defects()
	if len(got) != len(cases) {
		t.Fatalf("the projector lists %d defects, want %d", len(got), len(cases))
	}
	for i, c := range cases {
		if got[i].Seq != c.seq || got[i].Defect.Reason != c.reason {
			t.Errorf("defect %d is %s at %d, want %s at %d (%s)", i, got[i].Defect.Reason, got[i].Seq, c.reason, c.seq, got[i].Defect.Message)
		}
	}
	after, err := stateOf(r.svc, refugees)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != before.Status || after.Status == projections.Repealed {
		t.Errorf("the refugees' law is %s after the forged repeals, want %s", after.Status, before.Status)
	}
	// The act's audit report lists the five on its subject, in JSON and CSV.
	rep, err := r.svc.Report(refugees)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Defects) != 5 {
		t.Errorf("the refugees' audit report lists %d defects, want 5: %+v", len(rep.Defects), rep.Defects)
	}
	for _, e := range rep.Events {
		for _, d := range rep.Defects {
			if e.Seq == d.Seq {
				t.Errorf("sequence %d is both an event and a defect of the audit report", e.Seq)
			}
		}
	}
	var csv bytes.Buffer
	if err := rep.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(csv.String(), ",defect,,"); n != 5 {
		t.Errorf("the audit report's CSV has %d defect lines, want 5:\n%s", n, csv.String())
	}
	var evs uint64
	r.svc.Read(func(p *projections.Projection) { evs = p.Events() })
	if evs != seedEvents+1 {
		t.Errorf("the projection applied %d events, want %d", evs, seedEvents+1)
	}

	// /readyz: ready, the defects named.
	h := httpapi.Ready(httpapi.ProjectorCheck(r.svc.CaughtUp, r.svc.DefectNote))
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "7 defect(s)") || !strings.Contains(rec.Body.String(), "chain_broken") {
		t.Errorf("/readyz answered %d %s, want 200 naming the 7 defects", rec.Code, rec.Body)
	}

	// The metric counts them, by reason.
	reg := metrics.NewRegistry()
	reg.Watch(env.Store, r.svc)
	if n, err := testutil.GatherAndCount(reg.Prometheus(), "lex_projector_defects_by_reason"); err != nil || n != len(eventlog.Reasons) {
		t.Errorf("lex_projector_defects_by_reason has %d series (%v), want one per reason", n, err)
	}
	exp := "# HELP lex_projector_defects Messages in the stream, up to the applied sequence, that are not valid events of their acts: left out of the views (docs/RUNBOOK.md, Defects).\n# TYPE lex_projector_defects gauge\nlex_projector_defects 7\n"
	if err := testutil.GatherAndCompare(reg.Prometheus(), strings.NewReader(exp), "lex_projector_defects"); err != nil {
		t.Error(err)
	}

	// A rebuild from the stream gives the live digest.
	live := r.digest()
	rebuilt := projections.New()
	for e, err := range env.Store.Read(context.Background(), natsjs.Position{Seq: 1}) {
		if err != nil {
			t.Fatalf("read the stream: %v", err)
		}
		if _, err := rebuilt.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	if d := rebuilt.Digest(); d != live {
		t.Errorf("a rebuild's digest is %s, the live projection's %s", d, live)
	}

	// A restart from the snapshot still knows the defects, and the tree.
	var root string
	r.svc.Read(func(*projections.Projection) {})
	if c, err := r.svc.Consistent(1, rc.Seq); err != nil {
		t.Fatalf("the tree covers %d messages? %v", rc.Seq, err)
	} else {
		root = c.NewRoot.String()
	}
	if err := r.stop(); err != nil && err != context.Canceled {
		t.Fatalf("Run returned %v", err)
	}
	r2 := startService(t, env.Store, env.Conn, projector.Options{}, true)
	r2.waitFor(t, rc.Seq)
	if d := r2.digest(); d != live {
		t.Errorf("after a restart from the snapshot the digest is %s, want %s", d, live)
	}
	if n := len(r2.svc.Defects()); n != len(cases) {
		t.Errorf("after a restart from the snapshot the projector lists %d defects, want %d", n, len(cases))
	}
	if c, err := r2.svc.Consistent(1, rc.Seq); err != nil || c.NewRoot.String() != root {
		t.Errorf("after a restart the tree's root is %v (%v), want %s", c.NewRoot, err, root)
	}
}

// stateOf is the act's state today as the service holds it.
func stateOf(svc *projector.Service, act events.ActID) (projections.ActState, error) {
	var st projections.ActState
	var err error
	svc.Read(func(p *projections.Projection) {
		st, err = p.State(act, projections.Query{AsOf: events.MustDate("2011-01-01")})
	})
	return st, err
}
