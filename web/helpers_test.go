package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/web"
)

// Acts of the seed (examples/seed.jsonl).
const (
	criminalCode events.ActID = "/akn/kz/act/code/1997-07-16/167" // the Criminal Code; art_49 is the death penalty
	refugees     events.ActID = "/akn/kz/act/2009-12-04/216"      // the Law on Refugees
	seedEvents                = 44
	seedPath                  = "../examples/seed.jsonl"
)

// testContext is bounded, so that a stuck server fails the test instead of
// hanging it.
func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// readSeed decodes the seed as the importer does.
func readSeed(t *testing.T) []events.Event {
	t.Helper()
	out := testkit.ReadSeed(t, seedPath)
	if len(out) != seedEvents {
		t.Fatalf("the seed holds %d events, want %d", len(out), seedEvents)
	}
	return out
}

// site is the web interface and the query API over a projector that runs
// on a real embedded JetStream server, loaded with the seed.
type site struct {
	url    string
	svc    *projector.Service
	ledger *ledger.Ledger
	ui     *web.Server
	env    *natstest.Env
}

// today is the interface's "today" in tests.
var today = time.Date(2010, 1, 1, 12, 0, 0, 0, time.UTC)

// mustSite starts the whole stack, records the seed in atomic batches of 8
// (so that record times differ between batches), and waits until the
// projector has applied it.
func mustSite(t *testing.T) *site {
	t.Helper()
	ctx := testContext(t, 2*time.Minute)
	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	evs := readSeed(t)
	var last uint64
	for i := 0; i < len(evs); i += 8 {
		var cmds []ledger.Command
		for _, e := range evs[i:min(i+8, len(evs))] {
			cmds = append(cmds, ledger.Command{Event: e})
		}
		rs, err := l.AppendAtomic(ctx, "seed@test", cmds)
		if err != nil {
			t.Fatalf("record seed events %d to %d: %v", i+1, i+len(cmds), err)
		}
		last = rs[len(rs)-1].Seq
	}
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	kp, _, err := projector.LoadOrCreateKey(filepath.Join(t.TempDir(), "checkpoint.nk"), "")
	if err != nil {
		t.Fatal(err)
	}
	svc := projector.New(env.Store, views, projector.Options{Signer: kp})
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("the projector did not stop within 30s")
		}
	})
	if got, err := svc.WaitFor(ctx, last); err != nil {
		t.Fatalf("the projector reached sequence %d, not %d: %v", got, last, err)
	}
	ui := web.New(svc, web.Options{Clock: func() time.Time { return today }, KeepAlive: 200 * time.Millisecond})
	mux := http.NewServeMux()
	(&httpapi.Queries{Projector: svc}).Routes(mux)
	ui.Routes(mux)
	mux.HandleFunc("/", httpapi.NotFound)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	t.Cleanup(ui.Close) // first: live streams end, so that Close does not wait on them
	return &site{url: hs.URL, svc: svc, ledger: l, ui: ui, env: env}
}

// record appends e as a clerk and waits until the projector applied it.
func (s *site) record(t *testing.T, e events.Event) ledger.Receipt {
	t.Helper()
	ctx := testContext(t, 30*time.Second)
	r, err := s.ledger.Append(ctx, "clerk@test", ledger.Command{Event: e})
	if err != nil {
		t.Fatalf("record %s on %s: %v", e.Type, e.Act, err)
	}
	if _, err := s.svc.WaitFor(ctx, r.Seq); err != nil {
		t.Fatalf("the projector did not apply sequence %d: %v", r.Seq, err)
	}
	return r
}

// recordedAt is the record time of an act's first event.
func (s *site) recordedAt(act events.ActID, i int) time.Time {
	var at time.Time
	s.svc.Read(func(p *projections.Projection) { at = p.History(act)[i].RecordedAt })
	return at
}

// page is an HTML answer.
type page struct {
	status int
	header http.Header
	body   string
}

var client = &http.Client{Timeout: 30 * time.Second}

// get asks path with the query parameters kv (name, value, ...).
func (s *site) get(t *testing.T, path string, kv ...string) page {
	t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	u := s.url + path
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// mustPage is get that expects 200 and HTML.
func (s *site) mustPage(t *testing.T, path string, kv ...string) page {
	t.Helper()
	p := s.get(t, path, kv...)
	if p.status != http.StatusOK {
		t.Fatalf("GET %s %v: %d\n%s", path, kv, p.status, p.body)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET %s: Content-Type %q, want text/html", path, ct)
	}
	return p
}

func (p page) has(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("the page does not contain %q", w)
		}
	}
}

func (p page) hasNot(t *testing.T, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(p.body, w) {
			t.Errorf("the page contains %q, and should not", w)
		}
	}
}

// provisionStatus returns the status a provision's badge shows.
func (p page) provisionStatus(t *testing.T, eid string) string {
	t.Helper()
	re := regexp.MustCompile(`id="prov-` + regexp.QuoteMeta(eid) + `"[^>]*>\s*<h3>[^<]*<span class="badge [^"]*" data-status="([a-z_]+)">([^<]*)</span>`)
	m := re.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the page shows no provision %s", eid)
	}
	return m[1]
}

// actStatus returns the status the act's badge shows.
func (p page) actStatus(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`<p class="status-line"><span class="badge [^"]*" data-status="([a-z_]+)">`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the page shows no status")
	}
	return m[1]
}

func TestMain(m *testing.M) {
	removeConfig := testkit.PrivateConfig() // the e2e test's serve signs with a default key
	code := m.Run()
	removeConfig()
	os.Exit(code)
}
