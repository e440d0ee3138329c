package natsjs_test

import (
	"context"
	"testing"
	"time"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// A user whose permissions do not name the import's subject (a
// configuration of its own, or one written before the accounts) gets no
// answer to the look for an import, only an asynchronous refusal: the
// store then looks in the user's own account, after a bounded wait, and
// opens.
func TestOpenWhenTheImportProbeIsRefused(t *testing.T) {
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		Users: []*server.User{{Username: "u", Password: "p", Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Deny: []string{natsjs.StreamAPIPrefix + ".>"}},
		}}}}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(s.Shutdown)
	nc, err := nats.Connect(s.ClientURL(), nats.UserInfo("u", "p"), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Without the bounded probe, the refused look would use the whole
	// context and the open fail.
	st, err := natsjs.Open(ctx, nc, natsjs.Config{})
	if err != nil {
		t.Fatalf("open after a refused probe: %v", err)
	}
	if _, err := st.LastSeq(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := natsjs.OpenForReading(ctx, nc, natsjs.Config{}); err != nil {
		t.Errorf("open for reading after a refused probe: %v", err)
	}
}
