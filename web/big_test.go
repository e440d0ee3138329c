package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/web"
)

// memProjector is a web.Projector over a projection in memory, without
// NATS: for pages over thousands of acts, built in a second.
type memProjector struct {
	mu   sync.RWMutex
	p    *projections.Projection
	seq  uint64
	hour int
	subs []chan eventlog.Entry
}

var _ web.Projector = (*memProjector)(nil)

func newMemProjector() *memProjector { return &memProjector{p: projections.New()} }

func (m *memProjector) Read(fn func(p *projections.Projection)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	fn(m.p)
}

func (m *memProjector) WaitFor(ctx context.Context, seq uint64) (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.seq >= seq {
		return m.seq, nil
	}
	return m.seq, context.DeadlineExceeded
}

func (m *memProjector) Report(act events.ActID) (projector.AuditReport, error) {
	return projector.AuditReport{}, events.Errorf(events.CodeNotFound, "no reports here")
}

func (m *memProjector) Subscribe() (<-chan eventlog.Entry, func()) {
	ch := make(chan eventlog.Entry, 1024)
	m.mu.Lock()
	m.subs = append(m.subs, ch)
	m.mu.Unlock()
	return ch, func() {}
}

// add records e (schema 1, a fresh id, an hour after the previous event)
// and applies it.
func (m *memProjector) add(tb testing.TB, e events.Event) {
	tb.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	m.hour++
	e.Schema, e.ID = 1, events.NewID()
	e.RecordedAt, e.RecordedBy = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(m.hour)*time.Hour), "clerk@test"
	en := eventlog.Entry{Seq: m.seq, Event: e}
	if _, err := m.p.Apply(en); err != nil {
		tb.Fatal(err)
	}
	for _, ch := range m.subs {
		select {
		case ch <- en:
		default:
		}
	}
}

// addAct records act i of country: adopted in 2000, commenced on
// 2001-01-01, and when repealed, repealed from 2005-01-01.
func (m *memProjector) addAct(tb testing.TB, country string, i int, repealed bool) events.ActID {
	tb.Helper()
	id := events.ActID(fmt.Sprintf("/akn/%s/act/2000-03-01/%d", country, i))
	m.add(tb, events.Event{Act: id, Type: events.Adopted, Date: events.MustDate("2000-03-01"),
		Body: events.Body{Title: fmt.Sprintf("Law %d", i), Kind: events.Law}})
	m.add(tb, events.Event{Act: id, Type: events.Commenced, Date: events.MustDate("2000-06-01"), EffectiveFrom: events.MustDate("2001-01-01")})
	if repealed {
		m.add(tb, events.Event{Act: id, Type: events.Repealed, Date: events.MustDate("2004-06-01"), EffectiveFrom: events.MustDate("2005-01-01")})
	}
	return id
}

// memSite serves the web interface over m.
func memSite(t *testing.T, m *memProjector) string {
	t.Helper()
	ui := web.New(m, web.Options{Clock: func() time.Time { return today }})
	mux := http.NewServeMux()
	ui.Routes(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	t.Cleanup(ui.Close)
	return hs.URL
}

var startTag = regexp.MustCompile(`<[a-zA-Z]`)

// The jurisdiction page of 10,000 acts in force: its size in bytes and in
// elements (start tags), logged for BENCHMARKS.md.
func TestJurisdictionPageSize(t *testing.T) {
	m := newMemProjector()
	for i := range 10000 {
		m.addAct(t, "kz", i, false)
	}
	s := &site{url: memSite(t, m)}
	start := time.Now()
	p := s.mustPage(t, "/ui/jurisdiction", "country", "kz", "as_of", "2009-01-01")
	took := time.Since(start)
	part := s.mustPage(t, "/ui/jurisdiction", "country", "kz", "as_of", "2009-01-01", "partial", "1")
	t.Logf("jurisdiction page, 10,000 acts in force: %d bytes, %d elements, in %s; its parts (a live refresh): %d bytes",
		len(p.body), len(startTag.FindAllString(p.body, -1)), took.Round(time.Millisecond), len(part.body))
}
