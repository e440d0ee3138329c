package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// postError posts a new act and returns the status and the error's code
// and message, if any.
func postError(t *testing.T, base string) (int, ledger.ErrorDetail) {
	t.Helper()
	body := fmt.Sprintf(`{"event":{"act":"/akn/kz/act/2010-01-01/%d","type":"drafted","date":"2009-06-01","body":{"title":"Law","kind":"law"}}}`, time.Now().UnixNano())
	resp, err := http.Post(base+"/v1/events", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e ledger.ErrorJSON
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("%s: %s is not an error's JSON: %v", resp.Status, data, err)
		}
	}
	return resp.StatusCode, e.Error
}

// waitConfigCheck polls /readyz until its stream_config check fails
// naming want, and returns what it says.
func waitConfigCheck(t *testing.T, base, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, r := readyz(t, base)
		for _, c := range r.Checks {
			if c.Name == "stream_config" && !c.OK && strings.Contains(c.Error, want) && status == http.StatusServiceUnavailable {
				return c.Error
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz does not name %q within 20s: %d %+v", want, status, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// `ledger serve` notices the stream edited to age out events (the
// `nats stream edit LEX --max-age 3s --dupe-window 1s` of issue 13):
// /readyz fails naming it, lex_stream_config_ok{stream="LEX"} is 0,
// appends get 503 stream_weakened and are not written; once restored,
// ready again and appends go on, without a restart. A deleted stream is
// noticed too, and not created again by the ledger.
func TestServeNoticesAWeakenedStream(t *testing.T) {
	s := startServe(t, t.TempDir(), "--watch-interval", "100ms")
	waitReady(t, s.base, 10*time.Second)
	if got := postEvent(t, s.base, `{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"drafted","date":"2009-06-01","body":{"title":"Law","kind":"law"}}}`); got != http.StatusCreated {
		t.Fatalf("a first event: %d", got)
	}
	nc, err := nats.Connect(s.natsURL, s.login(t, natsauth.RoleAdmin)...) // only the admin may edit the stream
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := js.Stream(ctx, natsjs.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	orig := st.CachedInfo().Config
	weak := orig
	weak.MaxAge, weak.Duplicates = 3*time.Second, time.Second
	if _, err := js.UpdateStream(ctx, weak); err != nil {
		t.Fatal(err)
	}
	says := waitConfigCheck(t, s.base, "max_age 3s")
	if !strings.Contains(says, "stream LEX") {
		t.Errorf("the stream_config check %q does not name the stream", says)
	}
	status, e := postError(t, s.base)
	if status != http.StatusServiceUnavailable || e.Code != events.CodeStreamWeakened || !strings.Contains(e.Message, "max_age 3s") {
		t.Errorf("an append to the weakened stream: %d %+v; want 503 stream_weakened naming max_age 3s", status, e)
	}
	if m := scrape(t, s.base); m[`lex_stream_config_ok{stream="LEX"}`] != 0 || m[`lex_ledger_appends_total{outcome="stream_weakened"}`] != 1 {
		t.Errorf("lex_stream_config_ok{LEX} = %v and appends refused %v; want 0 and 1",
			m[`lex_stream_config_ok{stream="LEX"}`], m[`lex_ledger_appends_total{outcome="stream_weakened"}`])
	}
	if info, err := st.Info(ctx); err != nil || info.State.Msgs != 1 {
		t.Errorf("the stream holds %v messages (%v); want the first event only", info.State.Msgs, err)
	}
	if !strings.Contains(s.stderr.String(), "max_age 3s") {
		t.Errorf("no error logged naming max_age 3s: %s", s.stderr.String())
	}

	if _, err := js.UpdateStream(ctx, orig); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s.base, 20*time.Second)
	if status, e := postError(t, s.base); status != http.StatusCreated {
		t.Fatalf("an append once restored: %d %+v", status, e)
	}
	if m := scrape(t, s.base); m[`lex_stream_config_ok{stream="LEX"}`] != 1 {
		t.Errorf("restored, lex_stream_config_ok{LEX} = %v, want 1", m[`lex_stream_config_ok{stream="LEX"}`])
	}

	if err := js.DeleteStream(ctx, natsjs.DefaultStream); err != nil {
		t.Fatal(err)
	}
	waitConfigCheck(t, s.base, "stream LEX was changed: the stream was deleted")
	if status, e := postError(t, s.base); status != http.StatusServiceUnavailable || e.Code != events.CodeStreamWeakened {
		t.Errorf("an append once the stream was deleted: %d %+v; want 503 stream_weakened", status, e)
	}
	if _, err := js.Stream(ctx, natsjs.DefaultStream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("the stream is back after the ledger was asked to append: %v", err)
	}
	// And it still stops: the in-process projector follows a stream that
	// is gone.
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("not stopped: %s\n%s", s.stderr.String(), buf[:n])
	}
	s.done <- nil // for startServe's clean-up
}
