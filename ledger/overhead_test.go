package ledger_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
)

// memStore is an in-memory eventlog.Store, only to measure the ledger's own
// CPU cost per append apart from the engine's (BenchmarkLedgerOverhead).
// Every behavioural test runs against real JetStream.
// It claims ids as the port says, in a map.
type memStore struct {
	mu     sync.Mutex
	seq    uint64
	last   map[events.ActID]uint64
	claims map[events.ID]eventlog.Claim
}

func (m *memStore) Append(ctx context.Context, msgs []eventlog.Message) ([]eventlog.Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.claims == nil {
		m.claims = map[events.ID]eventlog.Claim{}
	}
	var used []eventlog.UsedID
	for i, msg := range msgs {
		c := eventlog.Claim{ID: msg.Event.ID, Act: msg.Event.Act, Content: msg.Content}
		if held, ok := m.claims[c.ID]; !ok {
			m.claims[c.ID] = c
		} else if held != c {
			used = append(used, eventlog.UsedID{Index: i, Held: held})
		}
	}
	if used != nil {
		return nil, &eventlog.IDUsedError{Used: used}
	}
	out := make([]eventlog.Entry, len(msgs))
	for _, msg := range msgs {
		if msg.Expect && m.last[msg.Event.Act] != msg.ExpectSeq {
			return nil, eventlog.ErrConflict
		}
	}
	for i, msg := range msgs {
		m.seq++
		m.last[msg.Event.Act] = m.seq
		out[i] = eventlog.Entry{Seq: m.seq, StoredAt: time.Now(), Event: *msg.Event}
	}
	return out, nil
}

func (m *memStore) AppendEach(ctx context.Context, msgs []eventlog.Message) []eventlog.Result {
	out := make([]eventlog.Result, len(msgs))
	for i := range msgs {
		st, err := m.Append(ctx, msgs[i:i+1])
		if err == nil {
			out[i].Entry = st[0]
		}
		out[i].Err = err
	}
	return out
}

func (m *memStore) Load(ctx context.Context, act events.ActID, after uint64) ([]eventlog.Entry, error) {
	return nil, nil
}

func BenchmarkLedgerOverhead(b *testing.B) {
	ctx := context.Background()
	l := ledger.New(&memStore{last: map[events.ActID]uint64{}}, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	act := "/akn/kz/act/2001-01-10/1"
	for _, s := range []string{
		`{"act":"` + act + `","type":"drafted","date":"2001-01-10","body":{"title":"Benchmark law","kind":"law"}}`,
		`{"act":"` + act + `","type":"adopted","date":"2001-03-01"}`,
	} {
		e, _ := events.Decode([]byte(s))
		if _, err := l.Append(ctx, "bench", ledger.Command{Event: e}); err != nil {
			b.Fatal(err)
		}
	}
	tmpl, err := events.Decode([]byte(`{"act":"` + act + `","type":"amended","date":"2005-06-10","effective_from":"2005-07-01","instrument":"/akn/kz/act/2005-06-01/1","provisions":["art_7"],"body":{"effect":"substitution","texts":{"art_7":"Article 7 as amended: the court shall hear the case within a reasonable time, and the parties shall be heard."}}}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		e := tmpl
		if _, err := l.Append(ctx, "bench", ledger.Command{Event: e}); err != nil {
			b.Fatal(err)
		}
	}
}
