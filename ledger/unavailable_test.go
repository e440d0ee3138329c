package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// notReadyStore passes every call to a real store, but refuses the next
// `refuse` writes as natsjs does when a stream's leader answers JetStream
// 10163 (expected last sequence per subject temporarily unavailable):
// nothing written, eventlog.ErrUnavailable wrapping the server's answer.
type notReadyStore struct {
	eventlog.Store
	refuse atomic.Int64
}

var errNotReady = errors.New("nats: API error: code=503 err_code=10163 description=expected last sequence per subject temporarily unavailable")

func (s *notReadyStore) Append(ctx context.Context, msgs []eventlog.Message) ([]eventlog.Entry, error) {
	if s.refuse.Add(-1) >= 0 {
		return nil, fmt.Errorf("%w: %w", eventlog.ErrUnavailable, errNotReady)
	}
	return s.Store.Append(ctx, msgs)
}

func (s *notReadyStore) AppendEach(ctx context.Context, msgs []eventlog.Message) []eventlog.Result {
	if s.refuse.Add(-1) >= 0 {
		out := make([]eventlog.Result, len(msgs))
		for i := range out {
			out[i].Err = fmt.Errorf("%w: %w", eventlog.ErrUnavailable, errNotReady)
		}
		return out
	}
	return s.Store.AppendEach(ctx, msgs)
}

// A store that cannot check expectations yet is unavailable, not a
// conflict: the clerk gets CodeUnavailable (503 over HTTP and NATS) with
// the store's error and its cause reachable through errors.Is, and a retry
// with the same id records the event once.
func TestStoreNotReadyIsUnavailable(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	store := &notReadyStore{Store: env.Store}
	l := mustLedger(t, store)
	mustAppend(t, l, event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law)))

	store.refuse.Store(1)
	adopted := event(refugees, events.Adopted, "2009-11-20", chamber("Parliament"))
	_, err := l.Append(testContext(t), "clerk@test", cmd(adopted))
	e := wantError(t, err, events.CodeUnavailable)
	if !errors.Is(err, eventlog.ErrUnavailable) || !errors.Is(err, errNotReady) {
		t.Errorf("the unavailable error %v does not wrap eventlog.ErrUnavailable and the store's answer", err)
	}
	if errors.Is(err, eventlog.ErrConflict) {
		t.Errorf("the unavailable error %v is reported as a conflict", err)
	}
	if status, body := ledger.DescribeError(err); status != 503 || body.Error.Code != events.CodeUnavailable || body.Error.CurrentVersion != nil {
		t.Errorf("the clerk is answered %d %s (current version %v), want 503 unavailable", status, body.Error.Code, body.Error.CurrentVersion)
	}
	if e.Message == errNotReady.Error() {
		t.Errorf("the message is the server's answer, not a sentence for the clerk: %q", e.Message)
	}

	r, err := l.Append(testContext(t), "clerk@test", cmd(adopted))
	if err != nil {
		t.Fatalf("the retry with the same id: %v", err)
	}
	if r.Duplicate || r.Version != 2 {
		t.Errorf("the retry is version %d (duplicate %t), want version 2, newly recorded", r.Version, r.Duplicate)
	}
	if h := mustHistory(t, l, refugees); len(h) != 2 || h[1].Event.ID != adopted.ID {
		t.Errorf("history holds %d events after the retry, want drafted and adopted once", len(h))
	}
}
