package natsjs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go"
)

// TestServiceAnswersOnlyInboxes: the requester chooses the reply subject;
// a command whose reply subject is an act's event subject must neither be
// recorded nor have its answer stored in the stream as an event.
func TestServiceAnswersOnlyInboxes(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	_, nc := serve(t, env)
	cmd := fmt.Sprintf(`{"event":{"act":%q,"type":"drafted","date":"2009-06-01","body":{"title":"Law on Refugees","kind":"law"}}}`, refugees)
	for _, reply := range []string{env.Store.Subject(refugees), natsjs.ChangesPrefix + ".kz.act.2009-12-04.216", "$KV." + natsjs.StateBucket + ".kz", ""} {
		m := nats.NewMsg(natsjs.SubjectRecord)
		m.Reply, m.Data = reply, []byte(cmd)
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	nc.Flush()
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := env.Store.Msgs(ctx); err != nil || n != 0 {
		t.Fatalf("%d messages in the stream (%v) after commands with foreign reply subjects or none, want none", n, err)
	}
	// The same command from an inbox is recorded and answered.
	if m := request(t, nc, natsjs.SubjectRecord, []byte(cmd)); m.Header.Get(serviceErrorCode) != "" {
		t.Fatalf("a command from an inbox was refused: %s", m.Data)
	}
	if n, _ := env.Store.Msgs(ctx); n != 1 {
		t.Errorf("%d messages after a command from an inbox, want 1", n)
	}
}

// TestServiceTrustsRequestInfoOnlyThroughImports: the header in which the
// server names the sender of a request through an import can be written by
// any requester; the service reads it only on a reply subject that the
// server made for an import, which no client may use (the server refuses
// such a publish).
func TestServiceTrustsRequestInfoOnlyThroughImports(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	svc, err := natsjs.Serve(env.Conn, l, natsjs.ServiceOptions{Identity: "anonymous@nats", Callers: map[string]string{"UFORGED": "clerk"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop() })
	nc := env.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := func(act string) []byte {
		return fmt.Appendf(nil, `{"event":{"act":%q,"type":"drafted","date":"2009-06-01","body":{"title":"A law","kind":"law"}}}`, act)
	}

	// From an inbox, the forged header is not read.
	m := nats.NewMsg(natsjs.SubjectRecord)
	m.Header.Set(natsjs.HeaderRequestInfo, `{"acc":"CLIENTS","user":"UFORGED"}`)
	m.Data = cmd(string(refugees))
	if _, err := nc.RequestMsg(m, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	got, err := env.Store.Load(ctx, refugees, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("loaded %d events (%v), want the one recorded", len(got), err)
	}
	if got[0].Event.RecordedBy != "anonymous@nats" {
		t.Errorf("recorded by %q, want anonymous@nats, not the forged header's clerk@nats", got[0].Event.RecordedBy)
	}

	// With the server's kind of reply subject, the publish is refused.
	m = nats.NewMsg(natsjs.SubjectRecord)
	m.Reply = natsjs.ImportReplyPrefix + "forged.reply"
	m.Header.Set(natsjs.HeaderRequestInfo, `{"acc":"CLIENTS","user":"UFORGED"}`)
	m.Data = cmd("/akn/kz/act/2010-01-01/1")
	if err := nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	time.Sleep(300 * time.Millisecond)
	if n, err := env.Store.Msgs(ctx); err != nil || n != 1 {
		t.Errorf("%d messages (%v) after a command with a reply subject under %s, want the same 1", n, err, natsjs.ImportReplyPrefix)
	}
}
