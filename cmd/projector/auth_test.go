package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/auth"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// `projector serve --auth --tls-cert --tls-key` and the query commands
// with --token and --ca: the auditor reads, the clerk and strangers are
// refused with a message that says what to do.
func TestServeWithAuthAndTLS(t *testing.T) {
	t.Setenv("LEDGER_TOKEN", "")
	t.Setenv("LEDGER_CA", "")
	t.Setenv("LEDGER_AUTH", "")
	dir := t.TempDir()
	tf := testkit.MustTLS(t, dir)
	tokens := filepath.Join(dir, "tokens.json")
	f, _ := auth.ReadOrNew(tokens)
	ada, _ := f.Add("ada", auth.Auditor, time.Now())
	alice, _ := f.Add("alice", auth.Clerk, time.Now())
	if err := f.Write(tokens); err != nil {
		t.Fatal(err)
	}

	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	var cmds []ledger.Command
	for _, e := range testkit.ReadSeed(t, seedFile) {
		cmds = append(cmds, ledger.Command{Event: e})
	}
	if _, err := l.AppendAtomic(context.Background(), "seed@test", cmds); err != nil {
		t.Fatal(err)
	}

	port := freeTCPPort(t)
	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--nats-url", env.Server.ClientURL(), "--http", fmt.Sprintf("127.0.0.1:%d", port),
			"--auth", tokens, "--tls-cert", tf.Cert, "--tls-key", tf.Key, "--feed=false"}, stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("projector serve did not stop within 30s")
		}
	})
	// Ready when the auditor sees the seed.
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tf.Pool}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/acts?min_seq=%d", base, seedEvents), nil)
		req.Header.Set("Authorization", "Bearer "+ada)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("projector serve exited: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("projector serve did not answer the auditor within 30s\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), base) {
		t.Errorf("projector serve does not say it serves %s: %q", base, stdout.String())
	}

	client := []string{"--server", base, "--ca", tf.CA}
	t.Run("AuditorQueries", func(t *testing.T) {
		out, errs, err := runCmd(t, append([]string{"asof", "2005-01-01", "--jurisdiction", "kz", "--token", ada}, client...)...)
		if err != nil || !strings.HasPrefix(lineWith(out, criminalCode), "in_force ") {
			t.Errorf("asof as the auditor: %v\n%s%s", err, out, errs)
		}
		t.Setenv("LEDGER_TOKEN", ada)
		out, errs, err = runCmd(t, append([]string{"export", refugees, "--as-of", "2010-01-01"}, client...)...)
		if err != nil || !strings.Contains(out, "<akomaNtoso") {
			t.Errorf("export with $LEDGER_TOKEN: %v\n%.300s%s", err, out, errs)
		}
	})
	t.Run("ErrRefused", func(t *testing.T) {
		t.Setenv("LEDGER_TOKEN", "")
		for _, c := range []struct {
			token, want string
		}{
			{"", "needs a token"},
			{alice, "alice is a clerk"},
			{"lex_nope", "not valid"},
		} {
			args := append([]string{"timeline", refugees}, client...)
			if c.token != "" {
				args = append(args, "--token", c.token)
			}
			if _, _, err := runCmd(t, args...); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("timeline with token %q says %v, want %q", c.token, err, c.want)
			}
		}
	})
}
