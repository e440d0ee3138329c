package projector_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
)

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
