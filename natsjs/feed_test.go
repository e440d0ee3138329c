package natsjs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startWith starts a JetStream server with opts' users and limits, and
// connects as user u.
func startWith(t *testing.T, opts *server.Options) *nats.Conn {
	t.Helper()
	opts.Host, opts.Port, opts.JetStream, opts.StoreDir, opts.NoLog, opts.NoSigs = "127.0.0.1", -1, true, t.TempDir(), true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(s.Shutdown)
	var conn []nats.Option
	if len(opts.Users) > 0 {
		conn = append(conn, nats.UserInfo("u", "p"))
	}
	nc, err := nats.Connect(s.ClientURL(), append(conn, nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// The projector's feed tells apart the failures of a state write that
// writing again does not cure: a state larger than the server takes is a
// too_large error, at once; a write the user may not make, which the
// server drops without an answer, is eventlog.ErrForbidden once the
// write's context ends; MaxPayload is the server's.
func TestPutStatesFailures(t *testing.T) {
	act := events.ActID("/akn/kz/act/2011-05-01/feed")

	t.Run("TooLarge", func(t *testing.T) {
		nc := startWith(t, &server.Options{MaxPayload: 8 << 10})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		v, err := natsjs.OpenViews(ctx, nc, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.MaxPayload(); got != 8<<10 {
			t.Errorf("MaxPayload() = %d, want the server's 8192", got)
		}
		failed, err := v.PutStates(ctx, map[events.ActID][]byte{act: []byte(strings.Repeat("x", 9<<10))})
		if len(failed) != 1 || events.ErrorCode(err) != events.CodeTooLarge {
			t.Errorf("a state of 9 KiB on a server of 8: failed %v, err %v (code %q), want too_large", failed, err, events.ErrorCode(err))
		}
		if err := v.PublishChange(act, []byte(strings.Repeat("x", 9<<10))); events.ErrorCode(err) != events.CodeTooLarge {
			t.Errorf("a notice of 9 KiB: %v, want too_large", err)
		}
	})

	t.Run("Forbidden", func(t *testing.T) {
		nc := startWith(t, &server.Options{Users: []*server.User{{Username: "u", Password: "p", Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Deny: []string{"$KV." + natsjs.StateBucket + ".>"}},
		}}}})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		v, err := natsjs.OpenViews(ctx, nc, 1)
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, time.Second)
		defer wcancel()
		failed, err := v.PutStates(wctx, map[events.ActID][]byte{act: []byte(`{}`)})
		if len(failed) != 1 || !errors.Is(err, eventlog.ErrForbidden) {
			t.Errorf("a write the user may not make: failed %v, err %v, want eventlog.ErrForbidden", failed, err)
		}
	})

}
