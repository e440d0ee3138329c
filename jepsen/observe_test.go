package jepsen_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/jepsen"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// liveProjector is a projector service following the stream through the
// run, as `projector serve` does, restarted from its snapshot like the
// process under a supervisor when its Run stops with an error.
type liveProjector struct {
	store *natsjs.Store
	views *natsjs.Views
	mu    sync.Mutex
	svc   *projector.Service
	stops []string // when and why Run stopped
	done  chan struct{}
}

// startProjector opens the stream and the views as the projector role and
// runs a projector until ctx ends.
func startProjector(t *testing.T, c *cluster, h *jepsen.History, ctx context.Context) *liveProjector {
	st := openStoreAs(t, c, natsauth.RoleProjector)
	var views *natsjs.Views
	c.waitFor(60*time.Second, "the views opened", func() bool {
		octx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		views, err = natsjs.OpenViews(octx, st.Conn(), 3)
		if err != nil {
			t.Logf("open the views: %v", err)
		}
		return err == nil
	})
	p := &liveProjector{store: st, views: views, svc: projector.New(st, views, projector.Options{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			err := p.current().Run(ctx)
			if ctx.Err() != nil {
				return
			}
			p.mu.Lock()
			p.stops = append(p.stops, fmt.Sprintf("%.3fs: %v", float64(h.Now())/1e9, err))
			p.mu.Unlock()
			time.Sleep(time.Second)
			svc := projector.New(st, views, projector.Options{})
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			if err := svc.Restore(rctx); err != nil {
				t.Logf("restore the projector: %v", err)
			}
			cancel()
			p.mu.Lock()
			p.svc = svc
			p.mu.Unlock()
		}
	}()
	return p
}

func (p *liveProjector) current() *projector.Service {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.svc
}

// rebuild runs a second projector from scratch on the stream until it has
// applied sequence last, and returns it.
func (p *liveProjector) rebuild(t *testing.T, last uint64) *projector.Service {
	svc := projector.New(p.store, p.views, projector.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer wcancel()
	if got, err := svc.WaitFor(wctx, last); err != nil {
		t.Fatalf("the rebuilt projector applied %d of %d: %v", got, last, err)
	}
	return svc
}

// compareViews waits for the live projector to reach sequence last, then
// rebuilds one from scratch and compares their answers to q.
func (p *liveProjector) compareViews(t *testing.T, last uint64, q jepsen.ViewQueries) (questions int, findings []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	live := p.current()
	if got, err := live.WaitFor(ctx, last); err != nil {
		return 0, []string{fmt.Sprintf("the live projector applied sequence %d of %d two minutes after the appends ended: %v", got, last, err)}
	}
	fresh := p.rebuild(t, last)
	var a, b jepsen.Answers
	live.Read(func(pr *projections.Projection) { a = jepsen.Answer(pr, q) })
	fresh.Read(func(pr *projections.Projection) { b = jepsen.Answer(pr, q) })
	return len(a), jepsen.CompareViews(a, b)
}

// probeInterval is how often each server's readiness is checked.
const probeInterval = 250 * time.Millisecond

// probe checks the readiness of each server every probeInterval until ctx
// ends, through the handler of its /readyz with the checks its serve
// command mounts: the stream (natsjs.Store.Health, which says when the
// stream has no leader) for a ledger, and the projector's catching up for
// the projector. The stream configuration's watch is left out: no fault
// changes it.
func probe(ctx context.Context, h *jepsen.History, ps *jepsen.Probes, stores []*natsjs.Store, proj *liveProjector) *sync.WaitGroup {
	type target struct {
		who     string
		handler http.HandlerFunc
	}
	var targets []target
	for i, st := range stores {
		targets = append(targets, target{fmt.Sprintf("ledger-%d", i), httpapi.Ready(httpapi.StreamCheck(stream, st.Health))})
	}
	targets = append(targets, target{"projector", httpapi.Ready(
		httpapi.StreamCheck(stream, proj.store.Health),
		httpapi.ProjectorCheck(func(ctx context.Context) error { return proj.current().ReadyCheck(ctx) }),
	)})
	var wg sync.WaitGroup
	for _, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(probeInterval)
			defer tick.Stop()
			for {
				call := h.Now()
				start := time.Now()
				rec := httptest.NewRecorder()
				tg.handler(rec, httptest.NewRequestWithContext(ctx, "GET", "/readyz", nil))
				p := jepsen.Probe{Who: tg.who, Call: call, Took: time.Since(start), Ready: rec.Code == http.StatusOK}
				if !p.Ready {
					p.Err = strings.TrimSpace(rec.Body.String())
				}
				if ctx.Err() != nil {
					return
				}
				ps.Add(p)
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	return &wg
}

// viewQueries are the questions put to both projections: each act's state
// before, on and after its amendments' day of effect and today, as known
// now and in the middle of each fault, with its timeline and versions.
func viewQueries(acts []string, knownAt []time.Time) jepsen.ViewQueries {
	q := jepsen.ViewQueries{KnownAt: knownAt}
	for _, a := range acts {
		q.Acts = append(q.Acts, events.ActID(a))
	}
	for _, d := range []string{"2019-12-15", "2020-01-15", "2020-02-15", time.Now().UTC().Format(time.DateOnly)} {
		q.AsOf = append(q.AsOf, events.MustDate(d))
	}
	return q
}
