//go:build reliability

package reliability_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// apiOnEngine is the HTTP API on a ledger on an embedded server with sync
// always, as `ledger serve` runs it, but in the test's process and without
// the access control of serve's default: the clerks of this scenario speak
// HTTP only, and the ledger is the one NATS client.
func apiOnEngine(t *testing.T) (*natstest.Env, string) {
	t.Helper()
	env := natstest.MustStart(t, natstest.Options{SyncAlways: true})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	srv := httptest.NewServer((&httpapi.Server{Ledger: l, Stream: env.Store}).Handler())
	t.Cleanup(srv.Close)
	return env, srv.URL
}

// sendUntilAcked posts ev with a client that gives up after timeout, and
// retries the same event (the same id) until it gets a receipt: retries
// counts the attempts that timed out.
func sendUntilAcked(ctx context.Context, base, ev string, timeout time.Duration, retries *atomic.Int64) (ledger.Receipt, error) {
	c := &http.Client{Timeout: timeout}
	for ctx.Err() == nil {
		r, status, err := post(ctx, c, base, `{"event":`+ev+`}`)
		if err == nil && status == http.StatusCreated {
			return r, nil
		}
		if err == nil && status != http.StatusServiceUnavailable {
			return r, fmt.Errorf("answered %d", status)
		}
		retries.Add(1)
		c.Timeout = 10 * time.Second // the retry waits for its answer
	}
	return ledger.Receipt{}, errors.New("gave up")
}

// (d) 32 clerks on 4 acts, then 256 acts at once, each clerk's first try
// cut off by a client timeout about half of the time and retried with the
// same id: every event is in its act's history once, and a retry after
// success gets the first receipt back, marked duplicate.
func TestConcurrentClerksWithTimeoutsAndRetries(t *testing.T) {
	t0 := time.Now()
	_, base := apiOnEngine(t)
	// Bounded: a wedged ledger fails the test within 90 seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var retries atomic.Int64
	var mu sync.Mutex
	var acked []ledger.Receipt
	record := func(ev string, timeout time.Duration) ledger.Receipt {
		r, err := sendUntilAcked(ctx, base, ev, timeout, &retries)
		if err != nil {
			t.Errorf("%s: %v", ev, err)
			return r
		}
		mu.Lock()
		acked = append(acked, r)
		mu.Unlock()
		return r
	}

	// Few acts, many clerks.
	const clerks, acts, perClerk = 32, 4, 25
	for a := 0; a < acts; a++ {
		act := fmt.Sprintf("/akn/kz/act/2020-01-01/few-%d", a)
		record(fmt.Sprintf(`{"act":%q,"type":"drafted","date":"2019-06-01","body":{"title":"t","kind":"law"}}`, act), 10*time.Second)
		record(fmt.Sprintf(`{"act":%q,"type":"adopted","date":"2019-12-01","body":{"chamber":"Parliament"}}`, act), 10*time.Second)
	}
	var wg sync.WaitGroup
	for g := 0; g < clerks; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			act := fmt.Sprintf("/akn/kz/act/2020-01-01/few-%d", g%acts)
			for k := 0; k < perClerk; k++ {
				record(amendment(act, g*perClerk+k), time.Duration(1+k%4)*time.Millisecond)
			}
		}(g)
	}
	wg.Wait()
	few := len(acked)

	// Many acts at once.
	const many = 256
	for g := 0; g < many; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			act := fmt.Sprintf("/akn/kz/act/2020-01-01/many-%d", g)
			record(fmt.Sprintf(`{"id":%q,"act":%q,"type":"drafted","date":"2019-06-01","body":{"title":"t","kind":"law"}}`, events.NewID(), act), time.Duration(1+g%5)*time.Millisecond)
			record(fmt.Sprintf(`{"id":%q,"act":%q,"type":"adopted","date":"2019-12-01","body":{"chamber":"Parliament"}}`, events.NewID(), act), time.Duration(1+g%5)*time.Millisecond)
		}(g)
	}
	wg.Wait()

	checked, lost, dup := checkAcked(t, base, acked)

	// A retry after success: the first receipt, marked duplicate.
	first := acked[len(acked)-1]
	h := history(t, base, first.Act)
	ev, err := events.Encode(&h.Events[first.Version-1].Event)
	if err != nil {
		t.Fatal(err)
	}
	plain := stripRecordFields(t, ev)
	again, status, err := post(ctx, http.DefaultClient, base, `{"event":`+plain+`}`)
	if err != nil || status != http.StatusCreated || !again.Duplicate || again.Seq != first.Seq || again.Version != first.Version {
		t.Errorf("a retry after success: %d %+v %v; want the first receipt %+v marked duplicate", status, again, err, first)
	}
	t.Logf("SUMMARY concurrency: %d clerks on %d acts (%d events) and %d acts at once (%d events); %d attempts cut off by client timeouts and retried with the same id; %d acknowledged events checked: lost %d, duplicated %d; %s",
		clerks, acts, few, many, len(acked)-few, retries.Load(), checked, lost, dup, time.Since(t0).Round(time.Millisecond))
}

// stripRecordFields removes from a stored event's JSON the fields the
// ledger sets, giving back what the clerk sent.
func stripRecordFields(t *testing.T, ev []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(ev, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"recorded_at", "recorded_by", "hash", "prev_hash"} {
		delete(m, k)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
