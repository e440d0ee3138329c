package projector_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/nats-io/nats.go"
)

// Acts of the seed (examples/seed.jsonl).
const (
	criminalCode events.ActID = "/akn/kz/act/code/1997-07-16/167" // the Criminal Code
	refugees     events.ActID = "/akn/kz/act/2009-12-04/216"      // the Law on Refugees
	judicialLaw  events.ActID = "/akn/kz/act/2009-12-10/judicial-system-improvement"
	seedEvents                = 44
)

// testContext is bounded, so that a stuck projector fails the test instead
// of hanging it.
func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// readSeed decodes the seed as the importer does.
func readSeed(t *testing.T) []events.Event {
	t.Helper()
	out := testkit.ReadSeed(t, "../examples/seed.jsonl")
	if len(out) != seedEvents {
		t.Fatalf("the seed holds %d events, want %d", len(out), seedEvents)
	}
	return out
}

// mustLedger returns a ledger over the env's store, closed when the test ends.
func mustLedger(t *testing.T, env *natstest.Env) *ledger.Ledger {
	t.Helper()
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	return l
}

// loadSeed records the seed through a ledger in atomic batches of up to 8
// events and returns the receipts, in order.
func loadSeed(t *testing.T, l *ledger.Ledger) []ledger.Receipt {
	t.Helper()
	evs := readSeed(t)
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

// running is a projector.Service whose Run is going.
type running struct {
	svc   *projector.Service
	views *natsjs.Views
	stop  func() error // cancels Run and returns what it returned
}

// startService opens the views on nc, builds a Service over src, restores
// its snapshot if restore is set, and runs it until the test ends (or stop).
func startService(t *testing.T, src projector.Source, nc *nats.Conn, opts projector.Options, restore bool) *running {
	t.Helper()
	ctx := testContext(t, time.Minute)
	views, err := natsjs.OpenViews(ctx, nc, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc := projector.New(src, views, opts)
	if restore {
		if err := svc.Restore(ctx); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	stopped := false
	var runErr error
	r := &running{svc: svc, views: views}
	r.stop = func() error {
		if stopped {
			return runErr
		}
		stopped = true
		cancel()
		select {
		case runErr = <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return within 30s of its cancellation")
		}
		return runErr
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// waitFor waits, bounded, until the service has applied seq.
func (r *running) waitFor(t *testing.T, seq uint64) {
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

func (r *running) position() (last, evs uint64) {
	r.svc.Read(func(p *projections.Projection) { last, evs = p.LastSeq(), p.Events() })
	return last, evs
}

// created returns the first event of a new law: adopted, with its title.
func created(act events.ActID, title string) events.Event {
	return events.Event{ID: events.NewID(), Act: act, Type: events.Adopted, Date: events.MustDate("2011-05-01"),
		Body: events.Body{Title: title, Kind: events.Kind("law")}}
}

// contextWithCancel is a context for Run, cancelled by the test.
func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// drain returns Run's result if it has returned, for a failure message.
func drain(done <-chan error) any {
	select {
	case err := <-done:
		return err
	default:
		return "still running"
	}
}
