package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
)

// TestMain removes the binaries that testkit.Tool built. The signing keys
// that serve makes by default go into a directory of the tests' own
// (XDG_CONFIG_HOME), not into the user's.
func TestMain(m *testing.M) {
	removeConfig := testkit.PrivateConfig()
	code := m.Run()
	testkit.RemoveTools()
	removeConfig()
	os.Exit(code)
}

// TestServeOnNATSConfig is the operator's path: `ledger nats-config`
// writes a configuration, nats-server (built from go.mod's version) runs
// it on 127.0.0.1 with TLS, and `ledger serve --nats-url --nats-nkey
// --nats-ca` records over it with its in-process projector.
func TestServeOnNATSConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs it (skipped with -short)")
	}
	dir := t.TempDir()
	testkit.WriteTLS(t, dir)
	conf := filepath.Join(dir, "nats")
	port := freeTCPPort(t)
	out := mustLedgerCmd(t, "nats-config", "--port", strconv.Itoa(port), "--store", filepath.Join(dir, "jetstream"), "--clerks", "alice",
		"--tls-cert", filepath.Join(dir, "server.pem"), "--tls-key", filepath.Join(dir, "server-key.pem"), conf)
	for _, role := range natsauth.Roles {
		if !strings.Contains(out, natsauth.SeedFile(conf, role)+" (new)") {
			t.Errorf("nats-config does not report %s's new seed file:\n%s", role, out)
		}
	}
	if !strings.Contains(out, natsauth.ClerkSeedFile(conf, "alice")+" (new)") {
		t.Errorf("nats-config does not report the named clerk's new seed file:\n%s", out)
	}
	bin := testkit.Tool(t, "nats-server", "github.com/nats-io/nats-server/v2")
	srv := testkit.StartNATSServer(t, bin, filepath.Join(conf, natsauth.ConfigFile), fmt.Sprintf("127.0.0.1:%d", port))
	t.Cleanup(func() { srv.Terminate(t) })

	url := fmt.Sprintf("tls://127.0.0.1:%d", port)
	s := startServe(t, t.TempDir(), "--nats-url", url, "--nats-nkey", natsauth.SeedFile(conf, natsauth.RoleLedger),
		"--nats-ca", filepath.Join(dir, "ca.pem"), "--nats-users", filepath.Join(conf, natsauth.UsersFile))
	out = mustLedgerCmd(t, "record", "--server", s.base, "--act", refugees, "--type", "drafted", "--date", "2009-03",
		"--title", "Law on Refugees", "--kind", "law", "--drafting-body", "Government of Kazakhstan")
	if !strings.HasPrefix(out, "recorded drafted for "+refugees+": version 1, sequence 1") {
		t.Errorf("record over the authenticated server printed %q", out)
	}
	// The in-process projector, on the ledger role's rights, applied it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		pos, ok := testkit.Position(s.base, false)
		if ok && pos.LastSeq >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the in-process projector did not apply sequence 1 within 30s (at %+v)\n%s", pos, s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A named clerk's command over NATS, from the clients' account: the
	// server says who sent it, and users.json names the key.
	copts, err := natsauth.ClientOptions(natsauth.ClerkSeedFile(conf, "alice"), filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	clerk, err := nats.Connect(url, copts...)
	if err != nil {
		t.Fatal(err)
	}
	defer clerk.Close()
	cmd := fmt.Sprintf(`{"event":{"act":%q,"type":"adopted","date":"2009-11","body":{"chamber":"Parliament"}}}`, refugees)
	if m, err := clerk.Request(natsjs.SubjectRecord, []byte(cmd), 10*time.Second); err != nil || !strings.Contains(string(m.Data), `"version":2`) {
		t.Fatalf("the clerk's command over NATS: %v", err)
	}
	out = mustLedgerCmd(t, "history", "--server", s.base, "--json", refugees)
	if !strings.Contains(out, `"recorded_by":"alice@nats"`) && !strings.Contains(out, `"recorded_by": "alice@nats"`) {
		t.Errorf("alice's command over NATS is not recorded by alice@nats:\n%s", out)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("serve stopped with %v\n%s", err, s.stderr)
	}

	// The stream is backed up by admin, in its account.
	out = mustLedgerCmd(t, "backup", "--nats-url", url, "--nats-nkey", natsauth.SeedFile(conf, natsauth.RoleAdmin),
		"--nats-ca", filepath.Join(dir, "ca.pem"), "--quiet", "--out", filepath.Join(dir, "backup"))
	if !strings.HasPrefix(out, "backed up stream LEX: 2 events") {
		t.Errorf("ledger backup as admin printed %q, want the stream's two events", out)
	}

	// The wrong role: the server refuses, the request times out, and the
	// command says which seed to check.
	file := filepath.Join(dir, "one.jsonl")
	os.WriteFile(file, []byte(lifeOf("/akn/kz/act/2010-01-01/1")[0]+"\n"), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"import", "--quiet", "--nats-url", url, "--nats-nkey", natsauth.SeedFile(conf, natsauth.RoleClerk),
		"--nats-ca", filepath.Join(dir, "ca.pem"), file}, strings.NewReader(""), &stdout, &stderr)
	if err == nil {
		t.Error("an import with the clerk's seed succeeded")
	}
	if want := `Permissions Violation for Publish to "` + natsjs.StreamAPIPrefix + `.STREAM.INFO.LEX"`; !strings.Contains(stderr.String(), want) ||
		!strings.Contains(stderr.String(), "clerk.nk the seed of the role") {
		t.Errorf("an import with the clerk's seed: %v; its error output does not name the violation (%s) and the seed:\n%s", err, want, stderr.String())
	}

	// A second run keeps every seed; a rotation replaces the clerk's only.
	out = mustLedgerCmd(t, "nats-config", "--port", strconv.Itoa(port), "--clerks", "alice", "--rotate", "clerk", conf)
	for _, role := range natsauth.Roles {
		want := " (kept)"
		if role == natsauth.RoleClerk {
			want = " (new)"
		}
		if !strings.Contains(out, natsauth.SeedFile(conf, role)+want) {
			t.Errorf("after --rotate clerk, %s's seed is not reported%s:\n%s", role, want, out)
		}
	}
}

// TestNATSConfigErrors: every mistake says what is wrong and what to do.
func TestNATSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "ledger.nk")
	os.WriteFile(seed, []byte("not a seed\n"), 0o600)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no directory", []string{"nats-config"}, "takes one directory"},
		{"unknown role", []string{"nats-config", "--rotate", "janitor", dir}, "the roles are ledger, projector"},
		{"half TLS", []string{"nats-config", "--tls-cert", "c.pem", dir}, "--tls-key"},
		{"port zero", []string{"nats-config", "--port", "0", dir}, "--port 0"},
		{"broken seed", []string{"nats-config", dir}, "--rotate ledger"},
		{"nkey without a server", []string{"serve", "--nats-nkey", seed}, "--nats-url"},
		{"a file that is no seed", []string{"serve", "--nats-url", "nats://127.0.0.1:1", "--nats-nkey", seed, "--data", dir}, "does not hold an nkey seed"},
		{"import with no seed file", []string{"import", "--nats-url", "nats://127.0.0.1:1", "--nats-nkey", filepath.Join(dir, "missing.nk"), "-"}, "ledger nats-config"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ledgerCmd(t, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ledger %s: %v, want an error that says %q", strings.Join(c.args, " "), err, c.want)
			}
		})
	}
}

// A cluster node's configuration says how to connect to the cluster: every
// node's URL and three replicas; a single server's, its own URL alone.
func TestNATSConfigConnectHint(t *testing.T) {
	single := mustLedgerCmd(t, "nats-config", "--port", "4333", t.TempDir())
	if !strings.Contains(single, "ledger serve --nats-url nats://127.0.0.1:4333 --nats-nkey") || strings.Contains(single, "--replicas") {
		t.Errorf("a single server's hint:\n%s", single)
	}
	node := mustLedgerCmd(t, "nats-config", "--port", "4333", "--server-name", "n1", "--cluster-name", "lexledger", "--cluster-listen", "127.0.0.1:6333",
		"--routes", "nats-route://127.0.0.1:6333,nats-route://127.0.0.1:6334,nats-route://127.0.0.1:6335", t.TempDir())
	for _, want := range []string{
		"ledger serve --nats-url nats://127.0.0.1:4333,… (every node's client URL) --replicas 3 --nats-nkey",
		"projector serve --nats-url nats://127.0.0.1:4333,… (every node's client URL) --replicas 3 --nats-nkey",
	} {
		if !strings.Contains(node, want) {
			t.Errorf("a cluster node's hint lacks %q:\n%s", want, node)
		}
	}
}
