package jepsen_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/jepsen"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
)

// The faults that TestResume can run alone, by the names of
// LEX_JEPSEN_FAULTS.
var resumeFaults = map[string]fault{
	"pause45":   pause("leader", 45*time.Second),
	"pause10":   pause("leader", 10*time.Second),
	"kill":      kill("leader", 10*time.Second),
	"partition": partition("leader", 15*time.Second),
	"quorum":    quorumLoss(15 * time.Second),
	// own cuts off the node the ledger is connected to, leader or not:
	// it still answers the ledger's pings (resume injects it).
	"own": {kind: "partition of the ledger's node", hold: 15 * time.Second},
}

// TestResume runs the faults named in LEX_JEPSEN_FAULTS (comma-separated:
// pause45, pause10, kill, partition, quorum, own) one at a time, each on a
// fresh cluster, and logs with timestamps from the fault what the ledger
// and the cluster do until appends resume: the ledger connection's
// disconnections and reconnections (which server), the stream's leader
// as each node sees it, and every append's and store call's error and
// duration. It checks no history: it is for finding where the time goes
// (RELIABILITY.md, Jepsen-style runs). It fails when appends did not
// resume within a minute of the heal, or, with the leader paused, not
// before the node woke up.
func TestResume(t *testing.T) {
	names := os.Getenv("LEX_JEPSEN_FAULTS")
	if names == "" {
		t.Skip("names the faults to run alone in LEX_JEPSEN_FAULTS (pause45, pause10, kill, partition, quorum, own)")
	}
	for _, name := range strings.Split(names, ",") {
		f, ok := resumeFaults[strings.TrimSpace(name)]
		if !ok {
			t.Fatalf("no fault %q in LEX_JEPSEN_FAULTS", name)
		}
		t.Run(name, func(t *testing.T) {
			r := resume(t, f, 4)
			t.Logf("%s: %s (load %s)", name, r, loadavg())
			switch {
			case r.afterHeal < 0:
				t.Errorf("appends did not resume within a minute of the heal")
			case f.kind == "SIGSTOP" && (r.afterFault < 0 || r.afterFault > f.hold):
				t.Errorf("appends resumed only when the paused node woke up")
			}
		})
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// resumed is when appends came back after a fault.
type resumed struct {
	// afterFault is from the fault to the first acknowledgement of an
	// append called after it; afterHeal from the heal to the first of one
	// called after the heal; -1 when there was none.
	afterFault, afterHeal time.Duration
	// during is the longest time without an acknowledgement between
	// afterFault and the heal, after the longest one from afterHeal on.
	during, after time.Duration
}

func (r resumed) String() string {
	return fmt.Sprintf("appends resumed %s after the fault, %s after the heal; then held up to %s before the heal, %s after it",
		r.afterFault, r.afterHeal, r.during, r.after)
}

// ack is an acknowledged append's call and return.
type ack struct{ called, acked time.Time }

// resumption measures r from the acknowledgements.
func resumption(acks []ack, fault, healed time.Time) resumed {
	r := resumed{afterFault: -1, afterHeal: -1}
	slices.SortFunc(acks, func(a, b ack) int { return a.acked.Compare(b.acked) })
	var first, firstHealed time.Time
	for _, a := range acks {
		if first.IsZero() && a.called.After(fault) {
			first = a.acked
		}
		if firstHealed.IsZero() && a.called.After(healed) {
			firstHealed = a.acked
		}
	}
	if !first.IsZero() {
		r.afterFault = first.Sub(fault).Round(time.Millisecond)
	}
	if !firstHealed.IsZero() {
		r.afterHeal = firstHealed.Sub(healed).Round(time.Millisecond)
	}
	for i := 1; i < len(acks); i++ {
		prev, d := acks[i-1].acked, acks[i].acked.Sub(acks[i-1].acked).Round(time.Millisecond)
		switch {
		case !first.IsZero() && !prev.Before(first) && acks[i].acked.Before(healed):
			r.during = max(r.during, d)
		case !firstHealed.IsZero() && !prev.Before(firstHealed):
			r.after = max(r.after, d)
		}
	}
	return r
}

// resume starts a cluster and a ledger on it, lets clerks append to acts
// of their own, injects f and heals it, and returns when the first append
// called after the fault was acknowledged.
func resume(t *testing.T, f fault, clerks int) resumed {
	c := newCluster(t)
	var fault atomic.Int64 // Unix nanoseconds of the fault, 0 before it
	since := func() string {
		if at := fault.Load(); at != 0 {
			return fmt.Sprintf("%+7.3fs", time.Since(time.Unix(0, at)).Seconds())
		}
		return "  before"
	}
	logf := func(format string, args ...any) { t.Logf(since()+" "+format, args...) }

	nc := connectLogged(t, c, logf)
	st := openOn(t, c, nc)
	l := ledger.New(&tracedStore{Store: st, logf: logf}, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	c.waitLeader(stream)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); watchLeaders(c, nc, stop, logf) }()

	// Unix nanoseconds of the first acknowledgement of an append called
	// after the fault, and after the heal.
	var first, firstHealed, healedAt atomic.Int64
	var ackMu sync.Mutex
	var acks []ack
	for g := range clerks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			act := fmt.Sprintf("/akn/kz/act/2020-01-01/r%d", g)
			failing := false
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				ev := fmt.Sprintf(`{"id":%q,"act":%q,"type":"drafted","date":"2019-06-01","body":{"title":"Law %d","kind":"law"}}`, events.NewID(), act, k)
				if k == 1 {
					ev = fmt.Sprintf(`{"id":%q,"act":%q,"type":"adopted","date":"2019-12-01","body":{"chamber":"Parliament"}}`, events.NewID(), act)
				}
				if k > 1 {
					ev = fmt.Sprintf(`{"id":%q,"act":%q,"type":"amended","date":"2020-01-01","effective_from":"2020-02-01","instrument":"/akn/kz/act/2020-01-01/amending-%d-%d","provisions":["art_1"],"body":{"effect":"substitution","texts":{"art_1":"Article 1 (%d)."}}}`,
						events.NewID(), act, g, k, k)
				}
				cmd := command(t, ev)
				for {
					called := time.Now()
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					_, err := l.Append(ctx, identity(0), cmd)
					cancel()
					d := time.Since(called)
					if err == nil {
						at := fault.Load()
						if failing || d > time.Second {
							logf("clerk %d: acknowledged after %s", g, d.Round(time.Millisecond))
						}
						if at != 0 && called.UnixNano() > at {
							first.CompareAndSwap(0, time.Now().UnixNano())
						}
						if h := healedAt.Load(); h != 0 && called.UnixNano() > h {
							firstHealed.CompareAndSwap(0, time.Now().UnixNano())
						}
						ackMu.Lock()
						acks = append(acks, ack{called, time.Now()})
						ackMu.Unlock()
						failing = false
						break
					}
					logf("clerk %d: append failed after %s: %v", g, d.Round(time.Millisecond), err)
					failing = true
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
				}
			}
		}()
	}

	time.Sleep(4 * time.Second)
	leader := c.waitLeader(stream)
	fault.Store(time.Now().UnixNano())
	struck, heal := injectResume(t, c, f, leader, nc.ConnectedServerName())
	logf("%s of %s for %s", f.kind, struck, f.hold)
	deadline := time.Now().Add(f.hold)
	for time.Now().Before(deadline) && first.Load() == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	if first.Load() != 0 {
		logf("appends resumed while the fault holds")
	}
	time.Sleep(time.Until(deadline))
	heal()
	healed := time.Now()
	healedAt.Store(healed.UnixNano())
	logf("healed")
	for end := time.Now().Add(60 * time.Second); firstHealed.Load() == 0 && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(5 * time.Second)
	close(stop)
	wg.Wait()

	return resumption(acks, time.Unix(0, fault.Load()), healed)
}

// injectResume injects f, or, for the fault "own", cuts off the node the
// ledger is connected to (named own).
func injectResume(t *testing.T, c *cluster, f fault, leader int, own string) (string, func()) {
	if f.inject != nil {
		return f.inject(c, leader)
	}
	i := slices.IndexFunc(c.nodes, func(n *testkit.NATSNode) bool { return n.Name == own })
	if i < 0 {
		t.Fatalf("the ledger is connected to %q, not one of the cluster's nodes", own)
	}
	c.isolate(i, true)
	return c.nodes[i].Name, func() { c.isolate(i, false) }
}

// connectLogged connects as the ledger role (connectAs), logging the
// connection's disconnections and reconnections.
func connectLogged(t *testing.T, c *cluster, logf func(string, ...any)) *nats.Conn {
	t.Helper()
	nc := connectAs(t, c, natsauth.RoleLedger,
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			logf("connection: disconnected from %s: %v", nc.ConnectedUrl(), err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logf("connection: reconnected to %s (%s)", nc.ConnectedServerName(), nc.ConnectedUrl())
		}))
	logf("connection: connected to %s", nc.ConnectedServerName())
	return nc
}

// watchLeaders logs every change of the streams' leaders as the running,
// unpaused nodes see them, and of the server the connection is on.
func watchLeaders(c *cluster, nc *nats.Conn, stop <-chan struct{}, logf func(string, ...any)) {
	last := ""
	for {
		select {
		case <-stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
		var views []string
		for _, n := range c.nodes {
			if !n.Proc.Running() || n.Paused {
				views = append(views, n.Name+": down")
				continue
			}
			j, err := n.JSZ()
			if err != nil {
				views = append(views, n.Name+": "+err.Error())
				continue
			}
			v := n.Name + ":"
			if j.Meta != nil {
				v += " meta " + j.Meta.Leader
			}
			for _, a := range j.Accounts {
				for _, s := range a.Streams {
					if s.Cluster != nil && (s.Name == stream || s.Name == stream+"_IDS") {
						v += fmt.Sprintf(" %s %q", s.Name, s.Cluster.Leader)
					}
				}
			}
			views = append(views, v)
		}
		now := "connection on " + nc.ConnectedServerName() + " (" + nc.Status().String() + "); " + strings.Join(views, "; ")
		if now != last {
			logf("%s", now)
			last = now
		}
	}
}

// tracedStore logs the store calls of the ledger that fail or take long.
type tracedStore struct {
	*natsjs.Store
	logf func(string, ...any)
}

func (s *tracedStore) Append(ctx context.Context, msgs []eventlog.Message) ([]eventlog.Entry, error) {
	start := time.Now()
	out, err := s.Store.Append(ctx, msgs)
	s.trace("Append", len(msgs), start, err)
	return out, err
}

func (s *tracedStore) AppendEach(ctx context.Context, msgs []eventlog.Message) []eventlog.Result {
	start := time.Now()
	out := s.Store.AppendEach(ctx, msgs)
	var err error
	for _, r := range out {
		if r.Err != nil {
			err = r.Err
		}
	}
	s.trace("AppendEach", len(msgs), start, err)
	return out
}

func (s *tracedStore) Load(ctx context.Context, act events.ActID, after uint64) ([]eventlog.Entry, error) {
	start := time.Now()
	out, err := s.Store.Load(ctx, act, after)
	s.trace("Load "+string(act), len(out), start, err)
	return out, err
}

func (s *tracedStore) trace(call string, n int, start time.Time, err error) {
	if d := time.Since(start); err != nil || d > 500*time.Millisecond {
		s.logf("store: %s (%d) took %s: %v", call, n, d.Round(time.Millisecond), err)
	}
}

// A node whose process hangs keeps its routes, and the other servers keep
// handing it a share of the direct gets, which it never answers: with the
// stream's leader paused, reads of an act after the new leader's election
// waited out their whole timeout, holding the ledger's sequencer (and
// every append) for ten seconds at a time (issue 17, the 45-second pause).
// With the former leader paused, every read of an act must come back,
// well before the ledger's read timeout: the nodes cut a hung node's
// routes within about 6 s (natsauth.RoutePingInterval), and a read that
// a replica does not answer within 1 s is read from the leader.
func TestReadsPastPausedNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node cluster")
	}
	c := newCluster(t)
	openStore(t, c) // creates the stream
	leader := c.waitLeader(stream)
	opts, err := natsauth.ClientOptions(natsauth.SeedFile(c.auth, natsauth.RoleLedger), "")
	if err != nil {
		t.Fatal(err)
	}
	// On a follower's node only, so that the connection does not leave:
	// what is tested is the read.
	on := c.nodes[(leader+1)%3]
	nc, err := nats.Connect(on.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx := context.Background()
	var st *natsjs.Store
	c.waitFor(60*time.Second, "the stream opened", func() bool {
		octx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		st, err = natsjs.Open(octx, nc, natsjs.Config{Replicas: 3})
		return err == nil
	})
	l := ledger.New(st, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	act := "/akn/kz/act/2020-01-01/p1"
	w := &workload{h: jepsen.NewHistory(), ledgers: []*ledger.Ledger{l}, known: map[string]int{}, acts: []string{act}}
	w.setup(t)
	const n = 40
	for k := range n - 2 {
		cmd := command(t, fmt.Sprintf(`{"id":%q,"act":%q,"type":"amended","date":"2020-01-01","effective_from":"2020-02-01","instrument":"/akn/kz/act/2020-01-01/amending-%d","provisions":["art_1"],"body":{"effect":"substitution","texts":{"art_1":"Article 1 (%d)."}}}`,
			events.NewID(), act, k, k))
		if !w.append(0, cmd, -1, attempts) {
			t.Fatalf("amendment %d not acknowledged", k)
		}
	}
	c.converged(stream)

	p := c.nodes[leader]
	c.pause(p, true)
	t.Cleanup(func() {
		if p.Paused {
			c.pause(p, false)
		}
	})
	c.waitFor(30*time.Second, "a new leader of stream "+stream, func() bool {
		l, _, ok := on.Stream(stream)
		return ok && l != "" && l != p.Name
	})
	for i := range 12 {
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second) // the sequencer's read timeout
		entries, err := st.Load(rctx, events.ActID(act), 0)
		cancel()
		d := time.Since(start)
		t.Logf("read %d with %s paused: %d events in %s", i, p.Name, len(entries), d.Round(time.Millisecond))
		switch {
		case err != nil:
			t.Errorf("read %d with %s paused failed after %s: %v", i, p.Name, d.Round(time.Millisecond), err)
		case len(entries) != n:
			t.Errorf("read %d with %s paused: %d events, want %d", i, p.Name, len(entries), n)
		case d > 5*time.Second:
			t.Errorf("read %d with %s paused took %s", i, p.Name, d.Round(time.Millisecond))
		}
	}
	t.Logf("load %s", loadavg())
}
