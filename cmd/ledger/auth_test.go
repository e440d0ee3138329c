package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsauth"
)

// startSecureServe runs `ledger serve --auth tokens --tls-cert --tls-key`
// in process and waits until it answers /healthz over HTTPS.
func startSecureServe(t *testing.T, dir, tokens string, tf testkit.TLSFiles) *serveProc {
	t.Helper()
	httpPort, natsPort := freeTCPPort(t), freeTCPPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &serveProc{
		base:    fmt.Sprintf("https://127.0.0.1:%d", httpPort),
		natsURL: fmt.Sprintf("nats://127.0.0.1:%d", natsPort),
		dir:     dir,
		stdout:  &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1),
	}
	args := []string{"serve", "--data", dir, "--http", fmt.Sprintf("127.0.0.1:%d", httpPort), "--nats-port", strconv.Itoa(natsPort),
		"--auth", tokens, "--tls-cert", tf.Cert, "--tls-key", tf.Key}
	go func() { s.done <- run(ctx, args, strings.NewReader(""), s.stdout, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop within 30s of its cancellation")
		}
	})
	c := tlsClient(tf)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-s.done:
			t.Fatalf("serve exited before it was healthy: %v\n%s", err, s.stderr.String())
		default:
		}
		if resp, err := c.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz did not answer 200 within 30s\n%s", s.base, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tlsClient(tf testkit.TLSFiles) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tf.Pool}}}
}

// The operator's and the clerk's path with access control: tokens made
// with `ledger token add`, serve --auth over TLS with a private CA, record
// and history with --token and --ca, refusals that say what to do, and a
// revoked token that stops working.
func TestServeWithAuthAndTLS(t *testing.T) {
	t.Setenv("LEDGER_TOKEN", "")
	t.Setenv("LEDGER_CA", "")
	t.Setenv("LEDGER_AUTH", "")
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	tf := testkit.MustTLS(t, dir)

	secrets := map[string]string{}
	for _, tk := range []struct{ name, role string }{{"alice", "clerk"}, {"ada", "auditor"}, {"root", "admin"}} {
		out, errOut, err := ledgerCmd(t, "token", "add", "--file", tokens, "--name", tk.name, "--role", tk.role)
		if err != nil {
			t.Fatalf("ledger token add %s: %v\n%s", tk.name, err, errOut)
		}
		secrets[tk.name] = strings.TrimSpace(out)
		if !strings.HasPrefix(secrets[tk.name], "lex_") || strings.Count(out, "\n") != 1 {
			t.Fatalf("ledger token add printed %q, want the secret alone on one line", out)
		}
		if !strings.Contains(errOut, "once") {
			t.Errorf("ledger token add does not say the secret is shown once: %q", errOut)
		}
	}
	data, _ := os.ReadFile(tokens)
	for name, secret := range secrets {
		if strings.Contains(string(data), secret[4:]) {
			t.Errorf("the token file holds %s's secret:\n%s", name, data)
		}
	}
	list := mustLedgerCmd(t, "token", "list", "--file", tokens)
	for _, want := range []string{"alice  clerk", "ada    auditor", "root   admin"} {
		if !strings.Contains(list, want) {
			t.Errorf("ledger token list does not show %q:\n%s", want, list)
		}
	}
	if _, _, err := ledgerCmd(t, "token", "add", "--file", tokens, "--name", "alice", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "revoke it first") {
		t.Errorf("adding a second alice says %v, want a refusal that says to revoke the first", err)
	}

	s := startSecureServe(t, filepath.Join(dir, "data"), tokens, tf)
	if !strings.Contains(s.stdout.String(), s.base) {
		t.Errorf("serve does not say it serves %s: %q", s.base, s.stdout.String())
	}
	client := []string{"--server", s.base, "--ca", tf.CA}
	recordArgs := func(who string, extra ...string) []string {
		a := append([]string{"record"}, client...)
		if who != "" {
			a = append(a, "--token", secrets[who])
		}
		return append(append(a, "--act", refugees), extra...)
	}
	drafted := []string{"--type", "drafted", "--date", "2009-06-01", "--title", "Law on Refugees", "--kind", "law"}

	t.Run("ErrNoToken", func(t *testing.T) {
		_, _, err := ledgerCmd(t, recordArgs("", drafted...)...)
		if err == nil || !strings.Contains(err.Error(), "--token") {
			t.Errorf("record without a token says %v, want an error that names --token", err)
		}
	})
	t.Run("ErrAuditorRecords", func(t *testing.T) {
		_, _, err := ledgerCmd(t, recordArgs("ada", drafted...)...)
		if err == nil || !strings.Contains(err.Error(), "ada is an auditor") {
			t.Errorf("record by the auditor says %v, want a refusal naming her role", err)
		}
		if n := count(t, s.natsURL, s.login(t, natsauth.RoleAdmin)...); n != 0 {
			t.Errorf("the stream holds %d events after refused records, want 0", n)
		}
	})
	t.Run("ErrUnknownCA", func(t *testing.T) {
		args := recordArgs("alice", drafted...)
		args[4] = filepath.Join(dir, "nowhere.pem")
		if _, _, err := ledgerCmd(t, args...); err == nil || !strings.Contains(err.Error(), "--ca") {
			t.Errorf("record with a missing CA file says %v, want an error naming --ca", err)
		}
		args = append([]string{"record", "--server", s.base, "--token", secrets["alice"], "--act", refugees}, drafted...)
		if _, _, err := ledgerCmd(t, args...); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("record without the private CA says %v, want a certificate error", err)
		}
	})
	t.Run("ClerkRecordsAsHerself", func(t *testing.T) {
		mustLedgerCmd(t, recordArgs("alice", drafted...)...)
		t.Setenv("LEDGER_TOKEN", secrets["alice"]) // the environment's token, as the docs advise
		mustLedgerCmd(t, recordArgs("", "--type", "adopted", "--date", "2009-11-20")...)
		var h struct {
			Events []struct {
				Event struct {
					RecordedBy string `json:"recorded_by"`
				} `json:"event"`
			} `json:"events"`
		}
		out := mustLedgerCmd(t, append(append([]string{"history"}, client...), "--json", refugees)...)
		if err := json.Unmarshal([]byte(out), &h); err != nil || len(h.Events) != 2 {
			t.Fatalf("history printed %q, want two events", out)
		}
		for i, e := range h.Events {
			if e.Event.RecordedBy != "alice@http" {
				t.Errorf("event %d is recorded by %q, want alice@http", i+1, e.Event.RecordedBy)
			}
		}
	})
	t.Run("AdminReadsTheStream", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.base+"/v1/admin/stream", nil)
		req.Header.Set("Authorization", "Bearer "+secrets["root"])
		resp, err := tlsClient(tf).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st httpapi.StreamStatus
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != 200 || st.Messages != 2 || st.Stream != "LEX" {
			t.Errorf("GET /v1/admin/stream answered %d %+v (%v), want the stream LEX with 2 messages", resp.StatusCode, st, err)
		}
		req.Header.Set("Authorization", "Bearer "+secrets["alice"])
		resp2, err := tlsClient(tf).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if resp2.StatusCode != 403 {
			t.Errorf("alice the clerk on GET /v1/admin/stream got %d, want 403", resp2.StatusCode)
		}
	})
	t.Run("ErrOldTLS", func(t *testing.T) {
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tf.Pool, MaxVersion: tls.VersionTLS11}}}
		if resp, err := c.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			t.Errorf("a TLS 1.1 client was served; want TLS 1.2 at least")
		}
	})
	t.Run("RevokedTokenStopsWorking", func(t *testing.T) {
		t.Setenv("LEDGER_TOKEN", "")
		out := mustLedgerCmd(t, "token", "revoke", "--file", tokens, "--name", "alice")
		if !strings.Contains(out, "revoked") {
			t.Errorf("token revoke printed %q", out)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, _, err := ledgerCmd(t, append(append([]string{"history"}, client...), "--token", secrets["alice"], refugees)...)
			if err != nil && strings.Contains(err.Error(), "not valid") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("alice's revoked token still reads after 10s: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// Serve refuses, before it starts, flags it cannot honour.
func TestServeAuthFlagErrors(t *testing.T) {
	dir := t.TempDir()
	tf := testkit.MustTLS(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--auth", filepath.Join(dir, "missing.json")}, "ledger token add"},
		{[]string{"--tls-cert", tf.Cert}, "both --tls-cert and --tls-key"},
		{[]string{"--tls-cert", tf.CA, "--tls-key", tf.Key}, "TLS key pair"},
	} {
		args := append([]string{"serve", "--data", filepath.Join(dir, "data"), "--http", "127.0.0.1:0", "--nats-port", "0"}, c.args...)
		_, _, err := ledgerCmd(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve %s says %v, want an error saying %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}
