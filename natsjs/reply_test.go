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
	for _, reply := range []string{env.Store.Subject(refugees), natsjs.ChangesPrefix + ".kz.act.2009-12-04.216", "$KV." + natsjs.StateBucket + ".kz"} {
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
		t.Fatalf("%d messages in the stream (%v) after commands with foreign reply subjects, want none", n, err)
	}
	// The same command from an inbox is recorded and answered.
	if m := request(t, nc, natsjs.SubjectRecord, []byte(cmd)); m.Header.Get(serviceErrorCode) != "" {
		t.Fatalf("a command from an inbox was refused: %s", m.Data)
	}
	if n, _ := env.Store.Msgs(ctx); n != 1 {
		t.Errorf("%d messages after a command from an inbox, want 1", n)
	}
}
