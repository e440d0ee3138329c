package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

func findAct(list []projections.ActState, act string) *projections.ActState {
	for i := range list {
		if string(list[i].Act) == act {
			return &list[i]
		}
	}
	return nil
}

func provision(s projections.ActState, eid string) *projections.ProvisionState {
	for i := range s.Provisions {
		if s.Provisions[i].EID == eid {
			return &s.Provisions[i]
		}
	}
	return nil
}

// The seed answers the auditors' questions through the HTTP routes, and
// every answer names the sequence it is the fold of.
func TestQueriesOverTheSeed(t *testing.T) {
	_, r, last := seeded(t)
	if last != seedEvents {
		t.Fatalf("the seed ends at sequence %d, want %d on a fresh stream", last, seedEvents)
	}
	want := seqString(last)
	check := func(a answer, what string) {
		t.Helper()
		if a.seq != want {
			t.Errorf("%s: %s is %q, want the last sequence %s", what, httpapi.HeaderSeq, a.seq, want)
		}
	}

	t.Run("ActsIn2005", func(t *testing.T) {
		a := mustGet(t, r.url, "/v1/acts", "as_of", "2005-01-01", "country", "kz")
		check(a, "acts")
		var out struct {
			Acts []projections.ActState `json:"acts"`
		}
		a.decode(t, &out)
		cc := findAct(out.Acts, string(criminalCode))
		if cc == nil {
			t.Fatalf("the Criminal Code is not among the %d acts of 2005-01-01", len(out.Acts))
		}
		if cc.Status != projections.InForce {
			t.Errorf("the Criminal Code on 2005-01-01 is %s (%s), want in_force", cc.Status, cc.Reason)
		}
		if findAct(out.Acts, string(refugees)) == nil {
			t.Errorf("the Law on Refugees is not listed on 2005-01-01; it should be listed as not_adopted")
		}
		for _, s := range out.Acts {
			if s.Country != "kz" {
				t.Errorf("country=kz lists %s of %s", s.Act, s.Country)
			}
		}
	})

	t.Run("DeathPenaltyArticle", func(t *testing.T) {
		for _, c := range []struct{ day, want string }{
			{"2009-06-30", "suspended"}, // the moratorium of 2003-12 runs
			{"2009-08-01", "in_force"},  // lifted in 2009-07, and amended
		} {
			a := mustGet(t, r.url, "/v1/act", "act", string(criminalCode), "as_of", c.day)
			check(a, "act")
			var s projections.ActState
			a.decode(t, &s)
			p := provision(s, "art_49")
			if p == nil {
				t.Fatalf("the Criminal Code on %s has no art_49 among %d provisions", c.day, len(s.Provisions))
			}
			if p.Status != c.want {
				t.Errorf("art_49 on %s is %q, want %q", c.day, p.Status, c.want)
			}
		}
	})

	t.Run("AmendmentsMade", func(t *testing.T) {
		a := mustGet(t, r.url, "/v1/act", "act", string(judicialLaw), "as_of", "2010-01-01")
		check(a, "act")
		var s projections.ActState
		a.decode(t, &s)
		targets := map[string]bool{}
		for _, m := range s.AmendmentsMade {
			targets[string(m.Target)] = true
		}
		if len(s.AmendmentsMade) != 3 || len(targets) != 3 {
			t.Errorf("the law of 2009-12-10 made %d amendments (%v), want 3 of three codes", len(s.AmendmentsMade), targets)
		}
		for _, code := range []string{string(criminalCode), "/akn/kz/act/code/1997-12-13/206", "/akn/kz/act/code/1999-07-13/411"} {
			if !targets[code] {
				t.Errorf("the law of 2009-12-10 does not list its amendment of %s", code)
			}
		}
	})

	t.Run("Diff", func(t *testing.T) {
		a := mustGet(t, r.url, "/v1/diff", "from", "2008-06-01", "to", "2010-01-01")
		check(a, "diff")
		var out struct {
			Changes []projections.Change `json:"changes"`
		}
		a.decode(t, &out)
		var found *projections.Change
		for i := range out.Changes {
			if out.Changes[i].Act == refugees {
				found = &out.Changes[i]
			}
		}
		switch {
		case found == nil:
			t.Errorf("the diff from 2008-06-01 to 2010-01-01 does not hold the Law on Refugees: %s", a.body)
		case !found.EnteredForce || found.LeftForce:
			t.Errorf("the Law on Refugees: %+v, want entered_force", *found)
		}
	})

	t.Run("Timeline", func(t *testing.T) {
		a := mustGet(t, r.url, "/v1/timeline", "act", string(criminalCode))
		check(a, "timeline")
		var tl projections.Timeline
		a.decode(t, &tl)
		if tl.Act != criminalCode || len(tl.Events) != 7 {
			t.Errorf("timeline of %s has %d events, want the Criminal Code's 7", tl.Act, len(tl.Events))
		}
		for i := 1; i < len(tl.Events); i++ {
			if tl.Events[i].Seq <= tl.Events[i-1].Seq {
				t.Errorf("timeline events out of record order: %d after %d", tl.Events[i].Seq, tl.Events[i-1].Seq)
			}
		}
		if len(tl.Intervals) < 2 || tl.Intervals[len(tl.Intervals)-1].Status != projections.InForce {
			t.Errorf("timeline intervals %+v: want the act in force at the end", tl.Intervals)
		}
		if _, ok := tl.Provisions["art_49"]; !ok {
			t.Errorf("the timeline has no intervals of art_49")
		}
	})

	t.Run("Position", func(t *testing.T) {
		a := mustGet(t, r.url, "/v1/projection", "digest", "1")
		check(a, "projection")
		var pos projector.Position
		a.decode(t, &pos)
		if pos.LastSeq != last || pos.Events != seedEvents || pos.Behind != 0 || !pos.Ready || pos.Digest != r.digest() {
			t.Errorf("position %+v; want last_seq %d, %d events, not behind, ready, digest %s", pos, last, seedEvents, r.digest())
		}
	})
}

// Bad queries are refused with a code and a message that says what to do.
func TestQueriesRefused(t *testing.T) {
	_, r, last := seeded(t)
	var first time.Time
	r.svc.Read(func(p *projections.Projection) { first, _ = p.FirstRecord() })
	before := first.Add(-time.Hour).UTC().Format(time.RFC3339)
	cc := string(criminalCode)

	for _, c := range []struct {
		name     string
		path     string
		kv       []string
		status   int
		code     string
		contains string
	}{
		{"ImpossibleDay", "/v1/acts", []string{"as_of", "2008-13-01"}, 400, "invalid", "YYYY-MM-DD"},
		{"MonthPrecision", "/v1/acts", []string{"as_of", "2008-06"}, 400, "invalid", "YYYY-MM-DD"},
		{"UnknownStatus", "/v1/acts", []string{"status", "bogus"}, 400, "invalid", "in_force"},
		{"UnknownKind", "/v1/acts", []string{"kind", "bogus"}, 400, "invalid", "kind"},
		{"GarbageKnownAt", "/v1/acts", []string{"known_at", "garbage"}, 400, "invalid", "known_at"},
		{"KnownAtBeforeTheLedger", "/v1/act", []string{"act", cc, "known_at", before}, 400, "invalid", "before the ledger began"},
		{"UnknownAct", "/v1/act", []string{"act", "/akn/kz/act/2099-01-01/none"}, 404, "not_found", "not in the ledger"},
		{"UnknownActTimeline", "/v1/timeline", []string{"act", "/akn/kz/act/2099-01-01/none"}, 404, "not_found", ""},
		{"MissingAct", "/v1/act", nil, 400, "invalid", "act="},
		{"MissingActTimeline", "/v1/timeline", nil, 400, "invalid", "act="},
		{"DiffWithoutTo", "/v1/diff", []string{"from", "2008-06-01"}, 400, "invalid", "to="},
		{"DiffBadDay", "/v1/diff", []string{"from", "2008-06-01", "to", "2010-02-30"}, 400, "invalid", "to="},
		{"BadMinSeq", "/v1/acts", []string{"min_seq", "x"}, 400, "invalid", "min_seq"},
		{"WaitTooLong", "/v1/acts", []string{"min_seq", "1", "wait", "1h"}, 400, "invalid", "wait"},
		{"NotYet", "/v1/acts", []string{"as_of", "2009-01-01", "min_seq", seqString(last + 100), "wait", "200ms"}, 503, "unavailable", seqString(last)},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			a := get(t, r.url, c.path, c.kv...)
			if a.status != c.status {
				t.Fatalf("GET %s %v answered %d, want %d: %s", c.path, c.kv, a.status, c.status, a.body)
			}
			var e errorBody
			a.decode(t, &e)
			if e.Error.Code != c.code {
				t.Errorf("error code %q, want %q: %s", e.Error.Code, c.code, a.body)
			}
			if e.Error.Message == "" || !strings.Contains(e.Error.Message, c.contains) {
				t.Errorf("message %q does not mention %q", e.Error.Message, c.contains)
			}
			if c.status == http.StatusServiceUnavailable {
				if took := time.Since(start); took < 150*time.Millisecond || took > 5*time.Second {
					t.Errorf("the refusal came after %s, want about the 200ms asked", took)
				}
			}
		})
	}
}

// A clerk who sends the receipt's sequence as min_seq reads the event just
// recorded, every time.
func TestReadYourWrites(t *testing.T) {
	env, r, _ := seeded(t)
	l := mustLedger(t, env)
	for i := 1; i <= 20; i++ {
		rc := mustAppend(t, l, amendment(i))
		a := mustGet(t, r.url, "/v1/act", "act", string(criminalCode), "as_of", "2011-03-01", "min_seq", seqString(rc.Seq), "wait", "10s")
		var s projections.ActState
		a.decode(t, &s)
		if s.Version != rc.Version {
			t.Fatalf("append %d: the answer with min_seq=%d holds version %d, want the receipt's %d", i, rc.Seq, s.Version, rc.Version)
		}
		if p := provision(s, "art_49"); p == nil || !strings.Contains(p.Text, "version "+seqString(uint64(i))+".") {
			t.Fatalf("append %d: art_49 on 2011-03-01 reads %+v, want the text just recorded", i, p)
		}
		seq, err := strconv.ParseUint(a.seq, 10, 64)
		if err != nil {
			t.Fatalf("append %d: %s is %q: %v", i, httpapi.HeaderSeq, a.seq, err)
		}
		if seq < rc.Seq {
			t.Fatalf("append %d: %s is %d, before min_seq %d", i, httpapi.HeaderSeq, seq, rc.Seq)
		}
	}
}

// "Every answer carries Lex-Projection-Seq" (docs/PROJECTIONS.md): an act
// not found is an answer about the fold up to a sequence too, and a client
// that reads its own writes needs to know which.
func TestNotFoundCarriesTheSequence(t *testing.T) {
	_, r, last := seeded(t)
	a := get(t, r.url, "/v1/act", "act", "/akn/kz/act/2099-01-01/none")
	if a.status != http.StatusNotFound {
		t.Fatalf("unknown act: %d %s", a.status, a.body)
	}
	if a.seq != seqString(last) {
		t.Errorf("the 404 carries %s %q, want the last sequence %d", httpapi.HeaderSeq, a.seq, last)
	}
}

// Queries answered while the projector applies new events are each the
// fold of one sequence, and a client never sees the sequence go back.
func TestQueriesWhileApplying(t *testing.T) {
	env, r, _ := seeded(t)
	l := mustLedger(t, env)
	var known string
	r.svc.Read(func(p *projections.Projection) {
		first, _ := p.FirstRecord()
		known = first.Add(time.Millisecond).Format(time.RFC3339Nano)
	})
	stop := make(chan struct{})
	errs := make(chan string, 100)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var prev uint64
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v := url.Values{"act": {string(criminalCode)}, "as_of": {"2011-03-01"}}
				if (g+i)%2 == 0 {
					v.Set("known_at", known)
				}
				resp, err := httpClient.Get(r.url + "/v1/act?" + v.Encode())
				if err != nil {
					errs <- err.Error()
					return
				}
				seq, _ := strconv.ParseUint(resp.Header.Get(httpapi.HeaderSeq), 10, 64)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || seq < prev {
					errs <- fmt.Sprintf("reader %d: %d at sequence %d after %d", g, resp.StatusCode, seq, prev)
					return
				}
				prev = seq
			}
		}()
	}
	var last ledger.Receipt
	for i := 1; i <= 100; i++ {
		last = mustAppend(t, l, amendment(i))
	}
	r.waitFor(t, last.Seq)
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	a := mustGet(t, r.url, "/v1/act", "act", string(criminalCode), "as_of", "2011-03-01")
	var s projections.ActState
	a.decode(t, &s)
	if s.Version != last.Version {
		t.Errorf("after 100 amendments the Criminal Code is at version %d, want %d", s.Version, last.Version)
	}
}

// Two projectors on one stream, each on its own connection, answer every
// question with the same bytes once they have applied the same sequence.
func TestTwoProjectorsAnswerAlike(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	rs := loadSeed(t, l)

	ctx := testContext(t, time.Minute)
	nc2 := env.Connect(t)
	store2, err := natsjs.Open(ctx, nc2, natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a := startService(t, env.Store, env.Connect(t), projector.Options{Feed: true})
	b := startService(t, store2, nc2, projector.Options{})

	// More events while both follow the stream.
	for i := 1; i <= 30; i++ {
		rs = append(rs, mustAppend(t, l, amendment(i)))
	}
	last := rs[len(rs)-1].Seq
	a.waitFor(t, last)
	b.waitFor(t, last)

	// Record times to ask about: before, within and after the seed.
	knownAts := []string{"", rs[0].RecordedAt.Format(time.RFC3339Nano), rs[20].RecordedAt.Format(time.RFC3339Nano),
		rs[seedEvents-1].RecordedAt.Format(time.RFC3339Nano), rs[50].RecordedAt.Format(time.RFC3339Nano),
		time.Now().UTC().Format(time.DateOnly)}
	days := []string{"1990-01-01", "2003-12-15", "2005-01-01", "2009-06-30", "2009-08-01", "2009-12-04", "2010-01-01", "2011-03-01", "2014-01-01"}
	same := func(path string, kv ...string) {
		t.Helper()
		x, y := get(t, a.url, path, kv...), get(t, b.url, path, kv...)
		if x.status != y.status || x.seq != y.seq || !bytes.Equal(x.body, y.body) {
			t.Errorf("GET %s %v: the projectors differ:\n%d seq %s %s\n%d seq %s %s", path, kv, x.status, x.seq, x.body, y.status, y.seq, y.body)
		}
		if x.status == 200 && x.seq != seqString(last) {
			t.Errorf("GET %s %v answered at sequence %s, want %d", path, kv, x.seq, last)
		}
	}
	var acts []events.ActID
	a.svc.Read(func(p *projections.Projection) {
		list, _ := p.List(projections.Filter{}, projections.Query{AsOf: events.MustDate("2020-01-01")})
		for _, s := range list {
			acts = append(acts, s.Act)
		}
	})
	if len(acts) < 20 {
		t.Fatalf("the projection lists %d acts, want the seed's", len(acts))
	}
	for _, k := range knownAts {
		for _, d := range days {
			same("/v1/acts", "as_of", d, "known_at", k)
			same("/v1/acts", "as_of", d, "known_at", k, "status", "in_force", "country", "kz")
		}
		same("/v1/diff", "from", "2008-06-01", "to", "2010-01-01", "known_at", k)
		for _, act := range acts {
			same("/v1/act", "act", string(act), "as_of", "2009-12-31", "known_at", k)
			same("/v1/timeline", "act", string(act), "known_at", k)
		}
	}
	if da, db := a.digest(), b.digest(); da != db || da == "" {
		t.Errorf("digests differ at sequence %d: %s and %s", last, da, db)
	}
}

// "As known at T" sees exactly the events recorded by T: the Criminal
// Code's version as known at each receipt's record time counts its events
// up to that receipt.
func TestKnownAtIsAPrefixOfTheRecord(t *testing.T) {
	env, r, _ := seeded(t)
	rs := loadSeed(t, mustLedger(t, env)) // again: every receipt a duplicate
	n := uint64(0)
	for i, rc := range rs {
		if !rc.Duplicate {
			t.Fatalf("seed event %d recorded twice", i+1)
		}
		if rc.Act == criminalCode {
			n++
		}
		if i%3 != 0 && rc.Act != criminalCode {
			continue
		}
		a := get(t, r.url, "/v1/act", "act", string(criminalCode), "as_of", "2010-01-01", "known_at", rc.RecordedAt.Format(time.RFC3339Nano))
		var s projections.ActState
		a.decode(t, &s)
		if a.status != 200 || s.Version != n {
			t.Errorf("known at the record time of seed event %d: %d version %d, want version %d", i+1, a.status, s.Version, n)
		}
	}
}

// An act's audit report answers as JSON and, with format=csv, as CSV with
// the same events; the export is the act as Akoma Ntoso. Each carries the
// sequence it answers at.
func TestAuditReportAndExport(t *testing.T) {
	_, r, last := seeded(t)
	a := mustGet(t, r.url, "/v1/audit", "act", string(criminalCode))
	var rep projector.AuditReport
	a.decode(t, &rep)
	if rep.Act != criminalCode || len(rep.Events) != 7 || !rep.ChainOK || a.seq != seqString(last) {
		t.Fatalf("the audit report of the Criminal Code: %s with %d events, chain ok %v, at sequence %s; want 7 events, a sound chain, at %d",
			rep.Act, len(rep.Events), rep.ChainOK, a.seq, last)
	}

	c := mustGet(t, r.url, "/v1/audit", "act", string(criminalCode), "format", "csv")
	if ct := c.header.Get("Content-Type"); ct != "text/csv" || c.seq != seqString(last) {
		t.Errorf("the CSV report is %q at sequence %s, want text/csv at %d", ct, c.seq, last)
	}
	lines, err := csv.NewReader(bytes.NewReader(c.body)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV report does not read as CSV: %v", err)
	}
	if len(lines) != 1+len(rep.Events) || lines[0][0] != "sequence" {
		t.Fatalf("the CSV report has %d lines, want a header and %d events:\n%s", len(lines), len(rep.Events), c.body)
	}
	for i, e := range rep.Events {
		if got := lines[i+1]; got[0] != seqString(e.Seq) || got[1] != e.ID.String() || got[2] != string(e.Type) || got[6] != e.Hash {
			t.Errorf("CSV line %d is %v, want event %d %s %s", i+2, got[:3], e.Seq, e.ID, e.Type)
		}
	}

	x := mustGet(t, r.url, "/v1/export", "act", string(criminalCode), "as_of", "2009-08-01")
	if ct := x.header.Get("Content-Type"); ct != "application/akn+xml" || !bytes.Contains(x.body, []byte("akomaNtoso")) || x.seq != seqString(last) {
		t.Errorf("the export is %q at sequence %s: %.200s", ct, x.seq, x.body)
	}
	if a := get(t, r.url, "/v1/export", "act", string(criminalCode), "known_at", "garbage"); a.status != http.StatusBadRequest {
		t.Errorf("an export with known_at=garbage is answered %d, want 400", a.status)
	}
}
