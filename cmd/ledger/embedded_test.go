package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// recordCmd is one valid command of the NATS service.
const recordCmd = `{"event": {"act": "/akn/kz/act/2009-12-04/216", "type": "drafted", "date": "2009-03", "body": {"title": "Law on Refugees", "kind": "law"}}}`

// The embedded server refuses anonymous clients; each role of
// 'ledger nats-config' does what it may and no more: the clerk records,
// the auditor and the subscriber read but can neither publish events nor
// edit or delete the stream, the admin may.
func TestEmbeddedServerIsAccessControlled(t *testing.T) {
	s := startServe(t, t.TempDir())
	keys := filepath.Join(s.dir, natsauth.EmbeddedDir)
	if !strings.Contains(s.stdout.String(), keys) {
		t.Errorf("serve does not say where the keys are (%s):\n%s", keys, s.stdout.String())
	}

	_, err := nats.Connect(s.natsURL, nats.MaxReconnects(0))
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("an anonymous connection: %v, want an authorization violation", err)
	}

	connect := func(role natsauth.Role) *nats.Conn {
		t.Helper()
		nc, err := nats.Connect(s.natsURL, append(s.login(t, role), nats.MaxReconnects(0))...)
		if err != nil {
			t.Fatalf("connect as %s: %v", role, err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	clerk := connect(natsauth.RoleClerk)
	reply, err := clerk.Request(natsjs.SubjectRecord, []byte(recordCmd), 10*time.Second)
	if err != nil || !bytes.Contains(reply.Data, []byte(`"version":1`)) {
		t.Fatalf("the clerk records over NATS: %v %s", err, reply.Data)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for _, role := range []natsauth.Role{natsauth.RoleAuditor, natsauth.RoleSubscriber, natsauth.RoleClerk} {
		nc := connect(role)
		// Reading, through the clients' import of the stream's API.
		js, _ := jetstream.NewWithAPIPrefix(nc, natsjs.StreamAPIPrefix)
		short, stop := context.WithTimeout(ctx, 3*time.Second)
		_, err := js.Stream(short, natsjs.DefaultStream)
		stop()
		if role == natsauth.RoleClerk {
			if err == nil {
				t.Errorf("the clerk read the stream's info, which only auditors and subscribers may")
			}
		} else if err != nil {
			t.Errorf("the %s reads the stream's info: %v", role, err)
		}
		// Writing, through the import or the account's own API: refused.
		for _, prefix := range []string{natsjs.StreamAPIPrefix, natsjs.DefaultAPIPrefix} {
			js, _ := jetstream.NewWithAPIPrefix(nc, prefix)
			short, stop := context.WithTimeout(ctx, time.Second)
			if err := js.DeleteStream(short, natsjs.DefaultStream); err == nil {
				t.Errorf("the %s deleted the stream under %s", role, prefix)
			}
			if _, err := js.UpdateStream(short, jetstream.StreamConfig{Name: natsjs.DefaultStream, Subjects: []string{"forged.>"}}); err == nil {
				t.Errorf("the %s edited the stream under %s", role, prefix)
			}
			stop()
		}
		if err := nc.Publish("lex.events.kz.act.2009-12-04.216", []byte(`{}`)); err == nil {
			nc.Flush()
		}
	}
	admin := connect(natsauth.RoleAdmin)
	ajs, _ := jetstream.New(admin)
	st, err := ajs.Stream(ctx, natsjs.DefaultStream)
	if err != nil {
		t.Fatalf("the admin reads the stream: %v", err)
	}
	if n := st.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("the stream holds %d events after the clients' forged publishes, want the clerk's 1", n)
	}
}

// The seeds are private (dir 0700, files 0600), reused by a second start,
// and a seed that others may read is refused with what to run.
func TestEmbeddedSeedsArePrivateAndKept(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir)
	keys := filepath.Join(dir, natsauth.EmbeddedDir)
	if fi, err := os.Stat(keys); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the keys' directory: %v, mode %v, want 0700", err, fi.Mode().Perm())
	}
	before := map[natsauth.Role][]byte{}
	for _, role := range natsauth.Roles {
		f := natsauth.SeedFile(keys, role)
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("seed %s: %v, mode %v, want 0600", f, err, fi.Mode().Perm())
		}
		before[role], _ = os.ReadFile(f)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	s = startServe(t, dir)
	for _, role := range natsauth.Roles {
		if after, _ := os.ReadFile(natsauth.SeedFile(keys, role)); !bytes.Equal(after, before[role]) {
			t.Errorf("the %s seed changed on a second start", role)
		}
	}
	if n := count(t, s.natsURL, s.login(t, natsauth.RoleAdmin)...); n != 0 {
		t.Errorf("the stream holds %d events, want 0", n)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	seed := natsauth.SeedFile(keys, natsauth.RoleAuditor)
	if err := os.Chmod(seed, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := ledgerCmd(t, "serve", "--data", dir, "--http", "127.0.0.1:0", "--nats-port", "-1")
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+seed) {
		t.Errorf("serve with a seed others may read: %v, want a refusal that says chmod 600 %s", err, seed)
	}
}

// With --nats-port -1 there is no client port: the ledger and its
// projector connect in process, record over HTTP and answer queries.
func TestEmbeddedWithoutClientPort(t *testing.T) {
	port := freeTCPPort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stdout, stderr syncBuffer
	go func() {
		done <- run(ctx, []string{"serve", "--data", t.TempDir(), "--http", fmt.Sprintf("127.0.0.1:%d", port), "--nats-port", "-1"},
			strings.NewReader(""), &stdout, &stderr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	waitHealthy(t, base, done)
	if !strings.Contains(stdout.String(), "no client port") {
		t.Errorf("serve does not say it has no client port: %s", stdout.String())
	}
	out := mustLedgerCmd(t, "record", "--server", base, "--act", refugees, "--type", "drafted", "--date", "2009-03", "--title", "Law on Refugees", "--kind", "law")
	if !strings.Contains(out, "version 1, sequence 1") {
		t.Fatalf("record: %q", out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ready map[string]any
		if testkit.Readyz(t, base, &ready) == http.StatusOK {
			pos, _ := testkit.Position(base, false)
			if pos.LastSeq >= 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the in-process projector did not reach sequence 1 within 30s:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	h, code, err := testkit.History(base, refugees)
	if err != nil || code != http.StatusOK || len(h.Events) != 1 {
		t.Errorf("history: %d %v %+v", code, err, h)
	}
}

// --insecure-open-nats serves anyone, and says so loudly; the store moves
// between the two postures with its events.
func TestEmbeddedOpenFlag(t *testing.T) {
	_, help, _ := ledgerCmd(t, "serve", "--help")
	if !strings.Contains(help, "insecure-open-nats") || !strings.Contains(help, "delete, purge or rewrite the stream") {
		t.Errorf("serve --help does not say what --insecure-open-nats allows:\n%s", help)
	}
	dir := t.TempDir()
	s := startServe(t, dir, "--insecure-open-nats")
	if !strings.Contains(s.stderr.String(), "level=WARN") || !strings.Contains(s.stderr.String(), "any local process may delete") {
		t.Errorf("an open server without a warning:\n%s", s.stderr.String())
	}
	mustLedgerCmd(t, "record", "--server", s.base, "--act", refugees, "--type", "drafted", "--date", "2009-03", "--title", "Law on Refugees", "--kind", "law")
	if n := count(t, s.natsURL); n != 1 {
		t.Errorf("an anonymous client counts %d events, want 1", n)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	// Served again with access control: the event is there, moved into
	// the ledger's account, and anonymous clients are refused.
	s = startServe(t, dir)
	if !strings.Contains(s.stderr.String(), "moved a stream of the store into its account") {
		t.Errorf("serve did not say it moved the open store's streams:\n%s", s.stderr.String())
	}
	out := mustLedgerCmd(t, "record", "--server", s.base, "--act", refugees, "--type", "adopted", "--date", "2009-11")
	if !strings.Contains(out, "version 2, sequence 2") {
		t.Errorf("after the move: %q, want version 2", out)
	}
	if _, err := nats.Connect(s.natsURL, nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("anonymous, after the move: %v", err)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	s = startServe(t, dir, "--insecure-open-nats")
	if n := count(t, s.natsURL); n != 2 {
		t.Errorf("open again: %d events, want 2", n)
	}
}
