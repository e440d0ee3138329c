package projector_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

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
	a := startService(t, env.Store, env.Connect(t), projector.Options{Feed: true}, false)
	b := startService(t, store2, nc2, projector.Options{}, false)

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

// freshFold replays the whole stream into a new projection.
func freshFold(t *testing.T, env *natstest.Env) *projections.Projection {
	t.Helper()
	p := projections.New()
	for st, err := range env.Store.Read(testContext(t, time.Minute), eventlog.Position{Seq: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Apply(eventlog.Entry{Seq: st.Seq, Event: st.Event}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// sameAnswers compares the projections' answers about every act of want.
func sameAnswers(t *testing.T, got, want *projections.Projection) {
	t.Helper()
	for _, d := range []string{"2005-01-01", "2009-12-10", "2011-03-01"} {
		q := projections.Query{AsOf: events.MustDate(d)}
		lw, _ := want.List(projections.Filter{}, q)
		lg, _ := got.List(projections.Filter{}, q)
		if !bytes.Equal(mustJSON(t, lg), mustJSON(t, lw)) {
			t.Errorf("List on %s differs:\n%s\n%s", d, mustJSON(t, lg), mustJSON(t, lw))
		}
		for _, s := range lw {
			sw, _ := want.State(s.Act, q)
			sg, err := got.State(s.Act, q)
			if err != nil || !bytes.Equal(mustJSON(t, sg), mustJSON(t, sw)) {
				t.Errorf("State of %s on %s differs (%v):\n%s\n%s", s.Act, d, err, mustJSON(t, sg), mustJSON(t, sw))
			}
		}
	}
}

func waitReady(t *testing.T, r *running) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !r.svc.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the projector did not become ready within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func streamMsgs(t *testing.T, env *natstest.Env) uint64 {
	t.Helper()
	n, err := env.Store.Msgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
