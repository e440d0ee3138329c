package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// The flags of a partial projector are checked before it connects: a
// jurisdiction that is no country, a filter outside the stream's
// subjects, overlapping parts, a checkpoint key, and (any projector's) a
// memory limit that is none.
func TestServeFollowFlagsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--jurisdiction", "KZ"}, "the first component"},
		{[]string{"--jurisdiction", "kz.act"}, "give the country of the acts' identifiers alone"},
		{[]string{"--jurisdiction", ""}, "give the country"},
		{[]string{"--subjects", "lex.ids.>"}, "is not under the stream's subjects lex.events.>"},
		{[]string{"--subjects", "lex.events.kz.>.act"}, "> may only be the last component"},
		{[]string{"--jurisdiction", "kz", "--subjects", "lex.events.kz.act.>"}, "overlap"},
		{[]string{"--jurisdiction", "kz", "--checkpoint-key", "/nonexistent/key"}, "cannot sign checkpoints"},
		{[]string{"--memory-limit", "half"}, "give 'auto', 'off' or a size"},
	} {
		args := append([]string{"serve", "--nats-url", "nats://127.0.0.1:1", "--http", "127.0.0.1:0"}, tc.args...)
		_, _, err := runCmd(t, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("projector %s returned %v, want an error saying %q", strings.Join(args, " "), err, tc.want)
		}
	}
}

// `projector serve --jurisdiction kz` follows the acts of kz only: it
// becomes ready on a stream whose last event is another jurisdiction's,
// answers for kz and refuses ru with 421.
func TestServeFollowsAJurisdiction(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	var cmds []ledger.Command
	for _, e := range testkit.ReadSeed(t, seedFile) {
		cmds = append(cmds, ledger.Command{Event: e})
	}
	cmds = append(cmds, ledger.Command{Event: events.Event{ID: events.NewID(), Act: "/akn/ru/act/2011-05-01/1", Type: events.Adopted,
		Date: events.MustDate("2011-05-01"), Body: events.Body{Title: "A law of ru", Kind: events.Kind("law")}}})
	if _, err := l.AppendAtomic(context.Background(), "seed@test", cmds); err != nil {
		t.Fatal(err)
	}
	lns := testkit.NewListeners()
	listen = lns.Listen
	t.Cleanup(func() { listen = net.Listen })
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--nats-url", env.Server.ClientURL(), "--http", "127.0.0.1:0", "--jurisdiction", "kz"}, &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	})
	ln := lns.Next(t, done)
	base := "http://" + ln.Addr().String()
	waitServing(t, base+"/readyz", done)
	if !strings.Contains(stdout.String(), "following part kz.> of stream") {
		t.Errorf("projector serve printed %q, want it to say it follows part kz.>", stdout.String())
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get("/v1/act?act=/akn/ru/act/2011-05-01/1"); status != http.StatusMisdirectedRequest || !strings.Contains(body, "kz.>") {
		t.Errorf("an act of ru answers %d %s, want 421 naming kz.>", status, body)
	}
	if status, body := get("/v1/act?act=/akn/kz/act/2009-12-04/216"); status != http.StatusOK {
		t.Errorf("an act of kz answers %d %s, want 200", status, body)
	}
	if status, body := get("/v1/projection"); status != http.StatusOK || !strings.Contains(body, `"behind":0`) || !strings.Contains(body, `"scope":["kz.>"]`) {
		t.Errorf("/v1/projection answers %d %s, want 0 behind and scope kz.>", status, body)
	}
}
