package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/nats-io/nats.go"
)

// Acts of the seed (examples/seed.jsonl) beyond refugees and criminal.
const (
	criminalCode              = criminal
	judicialLaw  events.ActID = "/akn/kz/act/2009-12-10/judicial-system-improvement"
	seedEvents                = 44
)

// testContext is bounded, so that a stuck projector fails the test instead
// of hanging it.
func testContext(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// mustLedger returns a ledger over the env's store, closed when the test ends.
func mustLedger(t testing.TB, env *natstest.Env) *ledger.Ledger {
	t.Helper()
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	return l
}

// loadSeed records the seed through a ledger in atomic batches of up to 8
// events and returns the receipts, in order.
func loadSeed(t *testing.T, l *ledger.Ledger) []ledger.Receipt {
	t.Helper()
	evs := testkit.ReadSeed(t, "../examples/seed.jsonl")
	if len(evs) != seedEvents {
		t.Fatalf("the seed holds %d events, want %d", len(evs), seedEvents)
	}
	var rs []ledger.Receipt
	for i := 0; i < len(evs); i += 8 {
		var cmds []ledger.Command
		for _, e := range evs[i:min(i+8, len(evs))] {
			cmds = append(cmds, ledger.Command{Event: e})
		}
		got, err := l.AppendAtomic(context.Background(), "seed@test", cmds)
		if err != nil {
			t.Fatalf("record seed events %d to %d: %v", i+1, i+len(cmds), err)
		}
		rs = append(rs, got...)
	}
	return rs
}

// amendment returns a fresh substitution of the Criminal Code's art_49.
func amendment(n int) events.Event {
	return events.Event{ID: events.NewID(), Act: criminalCode, Type: events.Amended, Date: events.MustDate("2011-01-01"),
		EffectiveFrom: events.MustDate("2011-02-01"), Instrument: events.ActID(fmt.Sprintf("/akn/kz/act/2011-01-01/t%d", n)),
		Provisions: []string{"art_49"},
		Body:       events.Body{Effect: "substitution", Texts: map[string]string{"art_49": fmt.Sprintf("Article 49, version %d.", n)}}}
}

func mustAppend(t *testing.T, l *ledger.Ledger, e events.Event) ledger.Receipt {
	t.Helper()
	r, err := l.Append(context.Background(), "clerk@test", ledger.Command{Event: e})
	if err != nil {
		t.Fatalf("append %s to %s: %v", e.Type, e.Act, err)
	}
	return r
}

// running is a projector.Service whose Run is going, with its queries
// (httpapi.Queries) on a real HTTP server.
type running struct {
	svc *projector.Service
	url string
}

// startService opens the views on nc, builds a Service over src and runs
// it, with its queries served, until the test ends.
func startService(t testing.TB, src *natsjs.Store, nc *nats.Conn, opts projector.Options) *running {
	t.Helper()
	ctx := testContext(t, time.Minute)
	views, err := natsjs.OpenViews(ctx, nc, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc := projector.New(src, views, opts)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	mux := http.NewServeMux()
	(&httpapi.Queries{Projector: svc}).Routes(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return within 30s of its cancellation")
		}
		hs.Close()
	})
	return &running{svc: svc, url: hs.URL}
}

// seeded starts a server, records the seed, and runs a projector with its
// feed on until it has applied the seed's last event.
func seeded(t *testing.T) (*natstest.Env, *running, uint64) {
	t.Helper()
	env := natstest.MustStart(t, natstest.Options{})
	rs := loadSeed(t, mustLedger(t, env))
	last := rs[len(rs)-1].Seq
	r := startService(t, env.Store, env.Conn, projector.Options{Feed: true})
	r.waitFor(t, last)
	return env, r, last
}

// waitFor waits, bounded, until the service has applied seq.
func (r *running) waitFor(t testing.TB, seq uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if got, err := r.svc.WaitFor(ctx, seq); err != nil {
		t.Fatalf("the projector reached sequence %d, not %d, within 30s: %v", got, seq, err)
	}
}

func (r *running) digest() string {
	var d string
	r.svc.Read(func(p *projections.Projection) { d = p.Digest() })
	return d
}

// answer is an HTTP answer.
type answer struct {
	status int
	seq    string // the Lex-Projection-Seq header
	header http.Header
	body   []byte
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// errorBody is the body of an error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// get asks base+path with the query parameters kv (name, value, ...).
func get(t *testing.T, base, path string, kv ...string) answer {
	t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	u := base + path
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	resp, err := httpClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, seq: resp.Header.Get(httpapi.HeaderSeq), header: resp.Header, body: body}
}

// mustGet is get that expects 200 and returns the answer.
func mustGet(t *testing.T, base, path string, kv ...string) answer {
	t.Helper()
	a := get(t, base, path, kv...)
	if a.status != http.StatusOK {
		t.Fatalf("GET %s %v: %d %s", path, kv, a.status, a.body)
	}
	return a
}

func seqString(n uint64) string { return strconv.FormatUint(n, 10) }
