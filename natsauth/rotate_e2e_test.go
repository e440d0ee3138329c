package natsauth_test

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/nats-io/nats.go"
)

// TestRotationWithReload follows the rotation steps of docs/OPERATIONS.md
// on a real server: a new seed for the clerk, the configuration rewritten,
// nats-server reloaded (SIGHUP); the old key is then refused and its open
// connection closed, the new one logs in, other roles are untouched.
func TestRotationWithReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs it (skipped with -short)")
	}
	dir := t.TempDir()
	o := natsauth.Options{Port: testkit.FreePort(t), StoreDir: filepath.Join(dir, "jetstream")}
	res, err := natsauth.Generate(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(o.Port)
	srv := testkit.StartNATSServer(t, testkit.Tool(t, "nats-server", natsServerPkg), res.Config, addr)
	t.Cleanup(func() { srv.Terminate(t) })
	url := "nats://" + addr

	oldSeed := filepath.Join(t.TempDir(), "old-clerk.nk")
	data, _ := os.ReadFile(natsauth.SeedFile(dir, natsauth.RoleClerk))
	os.WriteFile(oldSeed, data, 0o600)
	login := func(seed string, opts ...nats.Option) (*nats.Conn, error) {
		copts, err := natsauth.ClientOptions(seed, "")
		if err != nil {
			t.Fatal(err)
		}
		return nats.Connect(url, append(copts, opts...)...)
	}
	closed := make(chan struct{})
	oldConn, err := login(oldSeed, nats.NoReconnect(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatalf("the clerk's first seed does not log in: %v", err)
	}
	defer oldConn.Close()
	auditor, err := login(natsauth.SeedFile(dir, natsauth.RoleAuditor), nats.NoReconnect())
	if err != nil {
		t.Fatal(err)
	}
	defer auditor.Close()

	rotated, err := natsauth.Generate(dir, o, "clerk")
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Users[natsauth.RoleClerk] == res.Users[natsauth.RoleClerk] {
		t.Fatal("the clerk's key did not change")
	}
	if err := srv.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("the old clerk connection is still open 10s after the reload\n%s", srv.Out)
	}
	if nc, err := login(oldSeed); err == nil {
		nc.Close()
		t.Error("the clerk's old seed still logs in after the reload")
	}
	nc, err := login(natsauth.SeedFile(dir, natsauth.RoleClerk))
	if err != nil {
		t.Fatalf("the clerk's new seed does not log in after the reload: %v", err)
	}
	nc.Close()
	if err := auditor.Flush(); err != nil || !auditor.IsConnected() {
		t.Errorf("the auditor's connection did not survive the clerk's rotation: %v", err)
	}
}
