package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// receiptLog collects the receipts that clerks got, to check against the
// stream at the end of a test.
type receiptLog struct {
	mu   sync.Mutex
	byID map[events.ID][]ledger.Receipt
}

func (r *receiptLog) add(rs ...ledger.Receipt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = map[events.ID][]ledger.Receipt{}
	}
	for _, x := range rs {
		r.byID[x.ID] = append(r.byID[x.ID], x)
	}
}

// checkStream reads every act of acts from the store and checks it
// against the receipts: each act's events carry their versions in order
// with no gap, each event's prev_hash is the hash of the act's event
// before it, no event id is stored twice, every receipt names the event
// the stream holds at its sequence and version, and every event stored
// was acknowledged exactly once as new (unacknowledged lists the ids that
// may be stored without a receipt: writes whose answer was lost). The
// stream holds nothing else.
func (r *receiptLog) checkStream(t *testing.T, env *natstest.Env, l *ledger.Ledger, acts []events.ActID, unacknowledged map[events.ID]bool) {
	t.Helper()
	stored := map[events.ID]eventlog.Entry{}
	total := 0
	for _, act := range acts {
		h := mustHistory(t, l, act)
		var prev events.Digest
		for i, en := range h {
			if en.Defect != nil {
				t.Errorf("%s: the stream holds a defect at sequence %d: %v", act, en.Seq, en.Defect)
				continue
			}
			if en.Version != uint64(i+1) {
				t.Errorf("%s: entry %d has version %d, want %d", act, i, en.Version, i+1)
			}
			if en.Event.PrevHash != prev {
				t.Errorf("%s: version %d's prev_hash is not the hash of version %d: the chain is broken", act, en.Version, i)
			}
			prev = en.Event.Hash
			if _, dup := stored[en.Event.ID]; dup {
				t.Errorf("event id %s is stored twice", en.Event.ID)
			}
			stored[en.Event.ID] = en
			total++
		}
	}
	if got := msgCount(t, env); got != uint64(total) {
		t.Errorf("the stream holds %d messages, the acts %d events", got, total)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, rs := range r.byID {
		en, ok := stored[id]
		if !ok {
			t.Errorf("event %s was acknowledged (%+v) but is not in the stream", id, rs[0])
			continue
		}
		news := 0
		for _, x := range rs {
			if x.Seq != en.Seq || x.Version != en.Version || x.Act != en.Event.Act {
				t.Errorf("receipt of %s says %s version %d sequence %d; the stream holds it on %s at version %d sequence %d",
					id, x.Act, x.Version, x.Seq, en.Event.Act, en.Version, en.Seq)
			}
			if !x.Duplicate {
				news++
			}
		}
		if news != 1 && !unacknowledged[id] {
			t.Errorf("event %s was acknowledged as new %d times, want once", id, news)
		}
	}
	for id, en := range stored {
		if _, ok := r.byID[id]; !ok && !unacknowledged[id] {
			t.Errorf("event %s is in the stream (%s version %d) but no clerk got a receipt for it", id, en.Event.Act, en.Version)
		}
	}
}

// Many clerks at once, their commands decided in shared groups: each
// clerk amends an act of its own (disjoint from the others'), shared acts
// with and without the version it read (overlapping), sends some events
// twice (in turn and at the same time) and reuses one id on another act.
// Every acknowledged event is in the stream once, at the version and
// sequence of its receipt; each act's versions run without a gap and its
// chain holds; retries are duplicates and the reused id is refused.
func TestManyClerksOnOverlappingAndDisjointActs(t *testing.T) {
	const clerks, rounds, shared = 24, 12, 4
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)
	var log receiptLog

	var acts, sharedActs []events.ActID
	for i := 0; i < shared; i++ {
		sharedActs = append(sharedActs, events.ActID(fmt.Sprintf("/akn/kz/act/code/2001-01-01/%d", 500+i)))
	}
	own := make([]events.ActID, clerks)
	for g := range own {
		own[g] = events.ActID(fmt.Sprintf("/akn/kz/act/2010-01-01/%d", 100+g))
	}
	acts = append(append(acts, sharedActs...), own...)
	for _, act := range acts {
		log.add(mustAppend(t, l,
			event(act, events.Drafted, "2000-01-10", titled("Code "+string(act), events.CodeKind)),
			event(act, events.Adopted, "2000-07-16", chamber("Parliament")))...)
	}

	amendment := func(act events.ActID, g, n int) events.Event {
		return event(act, events.Amended, "2010-12-10", amendedBy(law2009, "2011-01-01", fmt.Sprintf("art_%d", 1000*g+n+1)))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*clerks)
	for g := 0; g < clerks; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clerk := fmt.Sprintf("clerk-%d@test", g)
			append1 := func(c ledger.Command) (ledger.Receipt, error) {
				r, err := l.Append(ctx, clerk, c)
				if err == nil {
					log.add(r)
				}
				return r, err
			}
			ownVersion := uint64(2) // drafted, adopted
			for n := 0; n < rounds; n++ {
				// The clerk's own act, without expectation: disjoint from
				// every other clerk's.
				e := amendment(own[g], g, n)
				r, err := append1(cmd(e))
				if err != nil {
					errs <- fmt.Errorf("%s: own act: %v", clerk, err)
					return
				}
				ownVersion++
				if r.Duplicate || r.Version != ownVersion {
					errs <- fmt.Errorf("%s: own act: receipt %+v, want version %d, new", clerk, r, ownVersion)
					return
				}
				switch n % 4 {
				case 1:
					// A retry of the event just recorded: its first receipt.
					d, err := append1(cmd(e))
					if err != nil || !d.Duplicate || d.Seq != r.Seq || d.Version != r.Version {
						errs <- fmt.Errorf("%s: the retry of %s: %+v, %v; want the receipt %+v as a duplicate", clerk, e.ID, d, err, r)
						return
					}
				case 2:
					// Its id on a shared act: an id names one event.
					c := amendment(sharedActs[g%shared], g, n)
					c.ID = e.ID
					_, err := l.Append(ctx, clerk, cmd(c))
					var le *events.Error
					if !errors.As(err, &le) || le.Code != events.CodeConflict || le.Rule != events.RuleIDUsed {
						errs <- fmt.Errorf("%s: id %s reused on %s: %v, want a conflict, rule id_used", clerk, e.ID, c.Act, err)
						return
					}
				case 3:
					// The same new event sent twice at once: recorded once.
					e2 := amendment(own[g], g, 100+n)
					var rs [2]ledger.Receipt
					var es [2]error
					var twice sync.WaitGroup
					for k := range 2 {
						twice.Add(1)
						go func() {
							defer twice.Done()
							rs[k], es[k] = append1(cmd(e2))
						}()
					}
					twice.Wait()
					if es[0] != nil || es[1] != nil || rs[0].Seq != rs[1].Seq || rs[0].Duplicate == rs[1].Duplicate {
						errs <- fmt.Errorf("%s: %s sent twice at once: %+v %v, %+v %v; want one new receipt and its duplicate", clerk, e2.ID, rs[0], es[0], rs[1], es[1])
						return
					}
					ownVersion++
				}
				// A shared act, with the version read (retrying on conflict)
				// or without expectation.
				act := sharedActs[(g+n)%shared]
				se := amendment(act, g, 200+n)
				if n%2 == 0 {
					if _, err := append1(cmd(se)); err != nil {
						errs <- fmt.Errorf("%s: shared act %s without expectation: %v", clerk, act, err)
						return
					}
					continue
				}
				h, err := l.History(ctx, act)
				if err != nil {
					errs <- err
					return
				}
				v := uint64(len(h))
				for {
					_, err := append1(expect(se, v))
					if err == nil {
						break
					}
					var le *events.Error
					if !errors.As(err, &le) || le.Code != events.CodeConflict || le.Current <= v {
						errs <- fmt.Errorf("%s: shared act %s at expected version %d: %v", clerk, act, v, err)
						return
					}
					v = le.Current
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	log.checkStream(t, env, l, acts, nil)
}

// failingStore passes every call to a real store, but fails the writes of
// one act, once armed: lost set, it writes them and then answers as if
// the server had not (a timeout after the server stored the event: the
// outcome unknown to the ledger); otherwise it refuses them unwritten, as
// a stream without a leader does. Writes of other acts in the same
// pipelined group go through.
type failingStore struct {
	eventlog.Store
	act   events.ActID
	lost  bool
	armed chan struct{} // receives to arm for one failing write
	ids   sync.Map      // events.ID -> true: written, the answer lost
}

var errLostAnswer = errors.New("nats: timeout: no acknowledgement from the stream")

func (s *failingStore) takes(msgs []eventlog.Message) bool {
	for _, m := range msgs {
		if m.Event.Act == s.act {
			select {
			case <-s.armed:
				return true
			default:
				return false
			}
		}
	}
	return false
}

func (s *failingStore) fail(ctx context.Context, msgs []eventlog.Message) error {
	if s.lost {
		if _, err := s.Store.Append(ctx, msgs); err != nil {
			return err
		}
		for _, m := range msgs {
			s.ids.Store(m.Event.ID, true)
		}
	}
	return fmt.Errorf("%w: %w", eventlog.ErrUnavailable, errLostAnswer)
}

func (s *failingStore) Append(ctx context.Context, msgs []eventlog.Message) ([]eventlog.Entry, error) {
	if s.takes(msgs) {
		return nil, s.fail(ctx, msgs)
	}
	return s.Store.Append(ctx, msgs)
}

func (s *failingStore) AppendEach(ctx context.Context, msgs []eventlog.Message) []eventlog.Result {
	if !s.takes(msgs) {
		return s.Store.AppendEach(ctx, msgs)
	}
	var others []eventlog.Message
	var at []int
	out := make([]eventlog.Result, len(msgs))
	for i, m := range msgs {
		if m.Event.Act == s.act {
			out[i].Err = s.fail(ctx, msgs[i:i+1])
			continue
		}
		others = append(others, m)
		at = append(at, i)
	}
	if len(others) > 0 {
		for k, r := range s.Store.AppendEach(ctx, others) {
			out[at[k]] = r
		}
	}
	return out
}

// A write that fails while other clerks' commands on other acts are
// decided and written around it, against a real server: refused unwritten,
// and written with its answer lost. Its clerk gets CodeUnavailable; no
// acknowledged event is lost or altered; the failing act's next commands
// see the act as the store holds it (the event there or not), with or
// without an expected version; the clerk's retry with the same id is
// recorded once (a duplicate when the lost write had stored it).
func TestFailedWriteAmongConcurrentGroups(t *testing.T) {
	for _, lost := range []bool{false, true} {
		name := "Refused"
		if lost {
			name = "AnswerLost"
		}
		t.Run(name, func(t *testing.T) {
			const clerks, rounds, failures = 16, 8, 4
			env := natstest.MustStart(t, natstest.Options{})
			store := &failingStore{Store: env.Store, act: refugees, lost: lost, armed: make(chan struct{}, 1)}
			l := mustLedger(t, store)
			ctx := testContext(t)
			var log receiptLog

			acts := []events.ActID{refugees}
			for g := 0; g < clerks; g++ {
				acts = append(acts, events.ActID(fmt.Sprintf("/akn/kz/act/2010-02-01/%d", 300+g)))
			}
			for _, act := range acts {
				log.add(mustAppend(t, l,
					event(act, events.Drafted, "2009-06-01", titled("Law "+string(act), events.Law)),
					event(act, events.Adopted, "2009-11-20", chamber("Parliament")))...)
			}

			// The other clerks amend their acts all along.
			var wg sync.WaitGroup
			stop := make(chan struct{})
			errs := make(chan error, clerks+failures*4)
			for g := 1; g <= clerks; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := 0; ; n++ {
						select {
						case <-stop:
							if n >= rounds {
								return
							}
						default:
						}
						e := event(acts[g], events.Amended, "2010-01-01", amendedBy(law2009, "2010-01-01", fmt.Sprintf("art_%d", n+1)))
						r, err := l.Append(ctx, "clerk@test", expect(e, uint64(n+2)))
						// A group written as one atomic batch with the
						// failing write fails with it: the clerk retries
						// with the same id, as it is told to.
						for events.ErrorCode(err) == events.CodeUnavailable {
							r, err = l.Append(ctx, "clerk@test", expect(e, uint64(n+2)))
						}
						if err != nil {
							errs <- fmt.Errorf("clerk %d, amendment %d: %v", g, n, err)
							return
						}
						if r.Version != uint64(n+3) {
							errs <- fmt.Errorf("clerk %d, amendment %d: receipt %+v, want version %d", g, n, r, n+3)
							return
						}
						log.add(r)
					}
				}()
			}

			version := uint64(2) // drafted, adopted: as the clerk of the failing act knows it
			unacknowledged := map[events.ID]bool{}
			for f := 0; f < failures; f++ {
				e := event(refugees, events.Amended, "2010-01-01", amendedBy(law2009, "2010-01-01", fmt.Sprintf("art_%d", 100+f)))
				store.armed <- struct{}{}
				_, err := l.Append(ctx, "clerk@test", expect(e, version))
				if e := wantError(t, err, events.CodeUnavailable); e.Current != 0 {
					t.Errorf("failure %d: the unavailable error names version %d", f, e.Current)
				}
				if lost {
					unacknowledged[e.ID] = true
					// Stored, unknown to the clerk: a command with the
					// version the clerk knew is refused with the true one.
					other := event(refugees, events.Amended, "2010-01-01", amendedBy(law2009, "2010-01-01", fmt.Sprintf("art_%d", 200+f)))
					_, err := l.Append(ctx, "clerk@test", expect(other, version))
					if ce := wantError(t, err, events.CodeConflict); ce.Current != version+1 {
						t.Errorf("failure %d: after a lost answer the conflict names version %d, want %d (the event is stored)", f, ce.Current, version+1)
					}
				}
				// The clerk retries with the same id and version: recorded
				// once, as new when nothing was stored, as a duplicate of
				// the stored event when the answer was lost.
				r, err := l.Append(ctx, "clerk@test", expect(e, version))
				if err != nil {
					t.Fatalf("failure %d: the retry: %v", f, err)
				}
				log.add(r)
				if r.Duplicate != lost || r.Version != version+1 {
					t.Errorf("failure %d: the retry's receipt is version %d, duplicate %t; want version %d, duplicate %t", f, r.Version, r.Duplicate, version+1, lost)
				}
				version = r.Version
				// Without expectation, the next event lands after it.
				n := event(refugees, events.Amended, "2010-01-01", amendedBy(law2009, "2010-01-01", fmt.Sprintf("art_%d", 300+f)))
				r, err = l.Append(ctx, "clerk@test", cmd(n))
				if err != nil {
					t.Fatalf("failure %d: the next amendment: %v", f, err)
				}
				log.add(r)
				if r.Version != version+1 || r.Duplicate {
					t.Errorf("failure %d: the next amendment is version %d, want %d", f, r.Version, version+1)
				}
				version = r.Version
			}
			close(stop)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if lost {
				store.ids.Range(func(k, _ any) bool {
					unacknowledged[k.(events.ID)] = true
					return true
				})
			}
			log.checkStream(t, env, l, acts, unacknowledged)
		})
	}
}
