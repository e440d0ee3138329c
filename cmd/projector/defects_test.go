package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/nats-io/nats.go"
)

// dtPublish stores data on subject with a raw JetStream publish.
func dtPublish(t *testing.T, nc *nats.Conn, subject string, data []byte) uint64 {
	t.Helper()
	reply, err := nc.Request(subject, data, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var ack struct {
		Seq uint64 `json:"seq"`
	}
	if json.Unmarshal(reply.Data, &ack) != nil || ack.Seq == 0 {
		t.Fatalf("publish on %s: %s", subject, reply.Data)
	}
	return ack.Seq
}

// TestVerifyDefects: defects published raw make verify fail and list
// them, while the tree a projector signed over them still matches the one
// verify rebuilds: an honest checkpoint covers the stream as stored.
func TestVerifyDefects(t *testing.T) {
	env, rs := vtLedger(t, "", 3, 5)
	act := vtActID(2)
	garbage := dtPublish(t, env.Conn, env.Store.Subject(act), []byte("garbage"))
	forged := events.Event{Schema: 2, ID: events.NewID(), Act: act, Type: events.Repealed, Date: events.MustDate("2010-01-01"),
		EffectiveFrom: events.MustDate("2010-01-01"), RecordedAt: time.Now().UTC(), RecordedBy: "mallory@nats", PrevHash: events.Digest{7}}
	data, err := forged.Seal()
	if err != nil {
		t.Fatal(err)
	}
	chain := dtPublish(t, env.Conn, env.Store.Subject(act), data)
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	after := vtRecord(t, l, 4, 1, 3) // a new act after the defects
	if _, err := l.Append(context.Background(), "clerk@test", ledger.Command{Event: vtEvent(t, 2, 5)}); err != nil {
		t.Fatalf("the ledger refuses the act after its defects: %v", err)
	}
	last := after[len(after)-1].Seq + 1

	kp, pub := vtKey(t)
	svc, _ := vtService(t, env, kp, last)
	if _, err := svc.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep, _, stderr, err := vtRun(t, env.Server.ClientURL(), "--key", pub)
	if err == nil || rep.OK {
		t.Fatalf("verify passed with defects in the stream (err %v)", err)
	}
	if len(rep.Defects) != 2 || rep.Defects[0].Seq != garbage || rep.Defects[0].Defect.Reason != eventlog.ReasonUnreadable ||
		rep.Defects[1].Seq != chain || rep.Defects[1].Defect.Reason != eventlog.ReasonChain {
		t.Errorf("verify reports defects %+v, want unreadable at %d and chain_broken at %d", rep.Defects, garbage, chain)
	}
	if !strings.Contains(stderr, "2 defects") || !strings.Contains(stderr, "sequence "+itoa(chain)+" chain_broken") {
		t.Errorf("verify's output does not list the defects:\n%s", stderr)
	}
	for _, f := range rep.Failures {
		if strings.HasPrefix(f.Kind, "checkpoint") {
			t.Errorf("the projector's checkpoint over the defects fails: %s: %s", f.Kind, f.Message)
		}
		if f.Seq > chain+1 && f.Kind == "chain" {
			t.Errorf("an event after the defects fails its chain: %s", f.Message)
		}
	}
	if rep.Checkpoints != 1 || rep.TreeSize != last {
		t.Errorf("verify checked %d checkpoints over a tree of %d, want 1 over %d", rep.Checkpoints, rep.TreeSize, last)
	}
	_ = rs
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
