package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
	"github.com/nats-io/nats.go/jetstream"
)

// mustWatch watches env's stream and views, with the periodic check alone
// (a projector in another account than the stream hears none of its
// advisories), until the test ends.
func mustWatch(t *testing.T, env *natstest.Env, views *natsjs.Views) *natsjs.Watcher {
	t.Helper()
	w := natsjs.NewWatcher(natsjs.WatchOptions{Interval: 50 * time.Millisecond, NoAdvisories: true})
	ctx, cancel := context.WithCancel(context.Background())
	if err := w.WatchStore(ctx, env.Store); err != nil {
		t.Fatal(err)
	}
	if err := w.WatchViews(ctx, views); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// The projector's /readyz fails, naming the stream and the setting, and
// lex_stream_config_ok drops to 0, once the ledger's stream is edited to
// age out events; both recover when the configuration is restored.
func TestReadinessNamesAWeakenedStream(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mountOps(mux, env.Store, env.Store, projector.New(env.Store, views, projector.Options{}), mustWatch(t, env, views))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	const ok = `lex_stream_config_ok{stream="LEX"}`
	if m := getMetrics(t, hs.URL); m[ok] != 1 || m[`lex_stream_config_ok{stream="KV_LEX_STATE"}`] != 1 {
		t.Errorf("before any change %s = %v, want 1 (and for every view)", ok, m[ok])
	}

	js, err := jetstream.New(env.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, natsjs.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	orig := s.CachedInfo().Config
	weak := orig
	weak.MaxAge, weak.Duplicates = 3*time.Second, time.Second
	if _, err := js.UpdateStream(ctx, weak); err != nil {
		t.Fatal(err)
	}
	configCheck := func() (bool, string) {
		_, r := getReadyz(t, hs.URL)
		for _, c := range r.Checks {
			if c.Name == "stream_config" {
				return c.OK, c.Error
			}
		}
		t.Fatalf("/readyz has no stream_config check: %+v", r)
		return false, ""
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		good, says := configCheck()
		if !good {
			if !strings.Contains(says, "stream LEX") || !strings.Contains(says, "max_age 3s") {
				t.Errorf("the stream_config check says %q; want it to name stream LEX and max_age 3s", says)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not notice max_age 3s within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status, _ := getReadyz(t, hs.URL); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz answers %d with a weakened stream, want 503", status)
	}
	if m := getMetrics(t, hs.URL); m[ok] != 0 {
		t.Errorf("with max_age set %s = %v, want 0", ok, m[ok])
	}

	if _, err := js.UpdateStream(ctx, orig); err != nil {
		t.Fatal(err)
	}
	for deadline = time.Now().Add(20 * time.Second); ; {
		if good, _ := configCheck(); good {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not see the configuration restored within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m := getMetrics(t, hs.URL); m[ok] != 1 {
		t.Errorf("restored, %s = %v, want 1", ok, m[ok])
	}
}
