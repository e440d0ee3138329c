package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
)

// TestMain removes the binaries that testkit.Tool built.
func TestMain(m *testing.M) {
	removeConfig := testkit.PrivateConfig() // serve's default signing key
	code := m.Run()
	testkit.RemoveTools()
	removeConfig()
	os.Exit(code)
}

// TestCommandsWithProjectorNkey runs projector serve, rebuild and verify
// with --nats-nkey on a nats-server (go.mod's version) that runs the
// configuration of 'ledger nats-config', after the ledger role recorded
// the seed.
func TestCommandsWithProjectorNkey(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs it (skipped with -short)")
	}
	dir := t.TempDir()
	o := natsauth.Options{Port: freeTCPPort(t), StoreDir: filepath.Join(dir, "jetstream")}
	res, err := natsauth.Generate(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", o.Port)
	srv := testkit.StartNATSServer(t, testkit.Tool(t, "nats-server", "github.com/nats-io/nats-server/v2"), res.Config, addr)
	t.Cleanup(func() { srv.Terminate(t) })
	url := "nats://" + addr

	// The ledger role records the seed.
	opts, err := natsauth.ClientOptions(natsauth.SeedFile(dir, natsauth.RoleLedger), "")
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, err := natsjs.Open(ctx, nc, natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var cmds []ledger.Command
	for _, e := range testkit.ReadSeed(t, seedFile) {
		cmds = append(cmds, ledger.Command{Event: e})
	}
	led := ledger.New(store, ledger.Options{AppendTimeout: 30 * time.Second})
	if _, err := led.AppendAtomic(ctx, "seed@test", cmds); err != nil {
		t.Fatal(err)
	}
	led.Close()

	seed := natsauth.SeedFile(dir, natsauth.RoleProjector)
	base := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	sctx, stop := context.WithCancel(ctx)
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(sctx, []string{"serve", "--nats-url", url, "--nats-nkey", seed, "--http", strings.TrimPrefix(base, "http://"),
			"--checkpoint-key", filepath.Join(dir, "checkpoint.nk")}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		if pos, ok := testkit.Position(base, false); ok && pos.LastSeq == seedEvents {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("projector serve exited: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("projector serve with the projector's nkey did not apply the seed within a minute\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A signed checkpoint in the projector's account, for auditors to check.
	resp, err := http.Post(base+"/v1/checkpoints", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/checkpoints: %s", resp.Status)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("projector serve stopped with %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "NATS refused") {
		t.Errorf("the projector role lacked a permission:\n%s", stderr.String())
	}

	// A projector of one jurisdiction, with the same role: its filtered
	// consumer and its part's last sequence (a message get by a wildcard
	// subject) go through the account's imports.
	partBase := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	pctx, pstop := context.WithCancel(ctx)
	var pout, perr syncBuffer
	pdone := make(chan error, 1)
	go func() {
		pdone <- run(pctx, []string{"serve", "--nats-url", url, "--nats-nkey", seed, "--http", strings.TrimPrefix(partBase, "http://"),
			"--jurisdiction", "kz", "--feed=false"}, &pout, &perr)
	}()
	waitServing(t, partBase+"/readyz", pdone)
	if pos, ok := testkit.Position(partBase, false); !ok || pos.LastSeq != seedEvents || pos.Behind != 0 {
		t.Errorf("the projector of kz with the projector's nkey stands at %+v, want sequence %d, 0 behind", pos, seedEvents)
	}
	pstop()
	if err := <-pdone; err != nil || strings.Contains(perr.String(), "NATS refused") {
		t.Errorf("projector serve --jurisdiction kz with the projector's nkey: %v\n%s", err, perr.String())
	}

	out, errs, err := runCmd(t, "rebuild", "--nats-url", url, "--nats-nkey", seed, "--quiet")
	if err != nil || !strings.Contains(out, fmt.Sprintf("to sequence %d", seedEvents)) {
		t.Errorf("projector rebuild with the projector's nkey: %v\n%s%s", err, out, errs)
	}
	var vout, verr bytes.Buffer
	vctx, vcancel := context.WithTimeout(ctx, time.Minute)
	defer vcancel()
	if err := run(vctx, []string{"verify", "--nats-url", url, "--nats-nkey", seed, "--quiet"}, &vout, &verr); err != nil {
		t.Errorf("projector verify with the projector's nkey: %v\n%s%s", err, vout.String(), verr.String())
	}

	// Auditors verify from the clients' account, through its imports of
	// the stream and of the checkpoints the projector signed.
	vout.Reset()
	verr.Reset()
	auditor := natsauth.SeedFile(dir, natsauth.RoleAuditor)
	if err := run(vctx, []string{"verify", "--nats-url", url, "--nats-nkey", auditor, "--quiet"}, &vout, &verr); err != nil ||
		!strings.Contains(vout.String(), fmt.Sprintf("verified: %d events", seedEvents)) || !strings.Contains(vout.String(), " 1 checkpoint;") {
		t.Errorf("projector verify with the auditor's nkey: %v\n%s%s", err, vout.String(), verr.String())
	}
}
