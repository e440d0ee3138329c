package jepsen_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/nats-io/nats.go"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/jepsen"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
)

// fault is one step of a run's schedule: inject strikes the cluster and
// names what it struck; heal undoes it after hold.
type fault struct {
	kind string
	hold time.Duration
	// inject is given the stream leader's index.
	inject func(c *cluster, leader int) (node string, heal func())
}

func partition(role string, hold time.Duration) fault {
	return fault{"partition", hold, func(c *cluster, l int) (string, func()) {
		i := pick(l, role)
		c.isolate(i, true)
		return c.nodes[i].Name + " (" + role + ")", func() { c.isolate(i, false) }
	}}
}

func kill(role string, hold time.Duration) fault {
	return fault{"kill -9", hold, func(c *cluster, l int) (string, func()) {
		i := pick(l, role)
		c.kill(c.nodes[i])
		return c.nodes[i].Name + " (" + role + ")", func() { c.start(c.nodes[i]) }
	}}
}

func pause(role string, hold time.Duration) fault {
	return fault{"SIGSTOP", hold, func(c *cluster, l int) (string, func()) {
		i := pick(l, role)
		c.pause(c.nodes[i], true)
		return c.nodes[i].Name + " (" + role + ")", func() { c.pause(c.nodes[i], false) }
	}}
}

func slow(role string, d, hold time.Duration) fault {
	return fault{fmt.Sprintf("slow link %s", d), hold, func(c *cluster, l int) (string, func()) {
		i := pick(l, role)
		c.slow(i, d)
		return c.nodes[i].Name + " (" + role + ")", func() { c.slow(i, 0) }
	}}
}

// quorumLoss kills both followers: no write can be acknowledged until one
// is back.
func quorumLoss(hold time.Duration) fault {
	return fault{"quorum loss", hold, func(c *cluster, l int) (string, func()) {
		a, b := (l+1)%3, (l+2)%3
		c.kill(c.nodes[a])
		c.kill(c.nodes[b])
		return c.nodes[a].Name + "+" + c.nodes[b].Name + " (followers)", func() { c.start(c.nodes[a]); c.start(c.nodes[b]) }
	}}
}

// clockJump moves ledger 1's clock by d (back when negative), then back
// to the true time.
func clockJump(d, hold time.Duration) fault {
	return fault{fmt.Sprintf("clock jump %s", d), hold, func(c *cluster, _ int) (string, func()) {
		c.clock.jump(d)
		return "ledger-1's clock", func() { c.clock.jump(0) }
	}}
}

func pick(leader int, role string) int {
	if role == "leader" {
		return leader
	}
	return (leader + 1) % 3
}

// The short run, in the normal suite: ledger 1's clock set back an hour
// for 3 s, one partition of the stream leader's node and one kill -9 of
// the leader, then heal and check.
func TestShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node cluster for about a minute")
	}
	run(t, "short", 4, 4*time.Second, 15*time.Second, []fault{
		clockJump(-time.Hour, 3*time.Second),
		partition("leader", 8*time.Second),
		kill("leader", 6*time.Second),
	})
}

// The full matrix, with LEX_JEPSEN=full (.ci/long): partitions, kills and
// pauses of leaders and followers, a slow link, a 45-second hang of the
// leader, the loss of quorum, and ledger 1's clock set back an hour, then
// a day ahead.
func TestFullMatrix(t *testing.T) {
	if os.Getenv("LEX_JEPSEN") != "full" {
		t.Skip("the full matrix runs with LEX_JEPSEN=full (.ci/long)")
	}
	run(t, "full", 16, 6*time.Second, time.Minute, []fault{
		partition("leader", 15*time.Second),
		partition("follower", 10*time.Second),
		kill("leader", 10*time.Second),
		kill("follower", 10*time.Second),
		pause("leader", 10*time.Second),
		pause("follower", 10*time.Second),
		slow("leader", 50*time.Millisecond, 10*time.Second),
		pause("leader", 45*time.Second),
		quorumLoss(15 * time.Second),
		partition("leader", 15*time.Second),
		kill("leader", 10*time.Second),
		clockJump(-time.Hour, 10*time.Second),
		clockJump(24*time.Hour, 10*time.Second),
	})
}

// Readiness during a quorum loss: not ready from readyNotice after it
// began to its healing, and ready again within readyBound of appends
// landing again.
const (
	readyNotice = 6 * time.Second
	readyBound  = 20 * time.Second
)

const (
	stream   = natsjs.DefaultStream
	clerks   = 6 // half with expected versions, half without
	readers  = 2
	attempts = 20 // tries of one event before a clerk gives it up
	// resumeWait bounds the wait, after a fault is healed, for appends to
	// land again before the quiet that precedes the next fault.
	resumeWait = 30 * time.Second
)

// run starts the cluster and two ledgers on it, lets clerks and readers
// work through quiet periods and the faults in turn, heals, and checks.
//
// acts is how many acts the clerks share: few, so that they contend for
// each, but each act's history is one of porcupine's partitions, whose
// search (and memory: 15 GB for 2,400 operations on one act, in the full
// matrix with 4 acts) grows with its length.
func run(t *testing.T, name string, acts int, quiet, checkTimeout time.Duration, faults []fault) {
	c := newCluster(t)
	ctx := context.Background()
	var ledgers []*ledger.Ledger
	var stores []*natsjs.Store
	for i := range 2 {
		st := openStore(t, c)
		var opts ledger.Options
		if i == 1 {
			opts.Clock = c.clock.now
		}
		l := ledger.New(st, opts)
		t.Cleanup(func() { l.Close() })
		ledgers = append(ledgers, l)
		stores = append(stores, st)
	}
	c.waitLeader(stream)

	h := jepsen.NewHistory()
	w := &workload{h: h, ledgers: ledgers, known: map[string]int{}}
	for a := range acts {
		w.acts = append(w.acts, fmt.Sprintf("/akn/kz/act/2020-01-01/j%d", a))
	}
	w.setup(t)

	projCtx, stopProj := context.WithCancel(ctx)
	proj := startProjector(t, c, h, projCtx)
	t.Cleanup(func() { stopProj(); <-proj.done })

	runCtx, stop := context.WithCancel(ctx)
	probes := &jepsen.Probes{}
	probing := probe(runCtx, h, probes, stores, proj)
	var wg sync.WaitGroup
	for g := range clerks {
		wg.Add(1)
		go func() { defer wg.Done(); w.clerk(t, runCtx, g) }()
	}
	for r := range readers {
		wg.Add(1)
		go func() { defer wg.Done(); w.reader(runCtx, clerks+r) }()
	}
	start := time.Now()
	type injected struct {
		f            jepsen.Fault
		from, healed int64
	}
	var done []injected
	var knownAt []time.Time // the middle of each fault, for the views' questions
	for _, f := range faults {
		time.Sleep(quiet)
		l := c.waitLeader(stream)
		from := h.Now()
		node, heal := f.inject(c, l)
		t.Logf("%s: %s of %s for %s", time.Since(start).Round(time.Millisecond), f.kind, node, f.hold)
		time.Sleep(f.hold / 2)
		knownAt = append(knownAt, time.Now().UTC())
		time.Sleep(f.hold - f.hold/2)
		healed := h.Now()
		heal()
		done = append(done, injected{jepsen.Fault{Kind: f.kind, Node: node, At: time.Duration(from - h.Since(start)), Held: f.hold}, from, healed})
		// The next fault waits for appends to land again (at most
		// resumeWait), so that each fault's resumption is its own: after
		// a quorum loss the stream's election alone can outlast quiet.
		for deadline := time.Now().Add(resumeWait); time.Now().Before(deadline) && jepsen.ResumeAfter(h.Ops(), healed) < 0; {
			time.Sleep(200 * time.Millisecond)
		}
	}
	time.Sleep(quiet)
	stop()
	wg.Wait()
	probing.Wait()
	elapsed := time.Since(start)

	rep := jepsen.Report{Name: name, Duration: elapsed, Acts: acts}
	ops := h.Ops()
	all := probes.All()
	for k, d := range done {
		d.f.Resumed = jepsen.ResumeAfter(ops, d.from)
		var until int64
		if k+1 < len(done) {
			until = done[k+1].from
		}
		resumed := int64(-1)
		if r := jepsen.ResumeAfter(ops, d.healed); r >= 0 {
			resumed = d.healed + r.Nanoseconds()
		}
		rs, findings := jepsen.CheckReadiness(all, jepsen.Outage{From: d.from, Healed: d.healed, Until: until}, readyNotice, readyBound, resumed)
		d.f.Readiness = rs
		if d.f.Kind == "quorum loss" {
			rep.Open = append(rep.Open, findings...)
		}
		rep.Faults = append(rep.Faults, d.f)
	}
	rep.Probes = len(all)
	for i := range ledgers {
		var acks []int64
		for _, o := range ops {
			if o.Kind == jepsen.Append && o.Result == jepsen.OK && o.Client%len(ledgers) == i {
				acks = append(acks, o.Return)
			}
		}
		gaps, findings := jepsen.Gaps(all, fmt.Sprintf("ledger-%d", i), acks, readyNotice, ledger.DefaultAppendTimeout)
		rep.Gaps = append(rep.Gaps, gaps...)
		rep.Open = append(rep.Open, findings...)
	}
	rep.Counts = jepsen.Count(ops)
	rep.StaleReads = jepsen.StaleReads(ops)
	rep.LastSeq = c.converged(stream)
	rep.ViewQuestions, rep.ViewDiffs = proj.compareViews(t, rep.LastSeq, viewQueries(w.acts, knownAt))
	rep.Problems = append(rep.Problems, rep.ViewDiffs...)
	proj.mu.Lock()
	rep.ProjectorStops = proj.stops
	proj.mu.Unlock()

	// The final histories, read from a fresh connection once every
	// replica holds the whole stream, end each act's history as reads.
	check := openStore(t, c)
	final, finals, defects := finalHistories(t, check, w.acts, clerks+readers, h.Now())
	rep.Problems = append(rep.Problems, defects...)
	dir := os.Getenv("LEX_JEPSEN_REPORT")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	compact, resolved := jepsen.Resolve(jepsen.Compact(ops), finals)
	rep.Resolved = resolved
	rep.Appends, err = jepsen.Check(append(jepsen.Appends(compact), finals...), checkTimeout, filepath.Join(dir, name+"-appends.html"))
	if err != nil {
		t.Error(err)
	}
	rep.All, err = jepsen.Check(append(compact, finals...), checkTimeout, filepath.Join(dir, name+"-all.html"))
	if err != nil {
		t.Error(err)
	}
	rep.Problems = append(rep.Problems, acknowledged(ops, final)...)
	rep.Problems = append(rep.Problems, prefixes(ops, finals)...)
	problems, inversions, times := wholeStream(t, check)
	rep.Problems = append(rep.Problems, problems...)
	rep.Open = append(rep.Open, inversions...)
	rep.RecordTimes = times
	switch rep.Appends.Result {
	case porcupine.Illegal:
		rep.Open = append(rep.Open, "the appends are not linearizable: see "+rep.Appends.HTML)
	case porcupine.Unknown:
		rep.Open = append(rep.Open, fmt.Sprintf("porcupine did not decide within %s whether the appends are linearizable", checkTimeout))
	}

	for _, l := range unacknowledged(ops, final) {
		t.Log(l)
		if strings.Contains(l, ": conflict ") {
			rep.Open = append(rep.Open, "an append refused as a conflict landed: "+l[:strings.Index(l, ":\n")])
		}
	}
	text := rep.String()
	t.Logf("\n%s", text)
	if err := os.WriteFile(filepath.Join(dir, name+"-report.md"), []byte(text), 0o644); err != nil {
		t.Error(err)
	}
	var tsv strings.Builder
	tsv.WriteString("call_s\tserver\ttook_ms\tready\terror\n")
	for _, p := range all {
		fmt.Fprintf(&tsv, "%.3f\t%s\t%d\t%v\t%s\n", float64(p.Call)/1e9, p.Who, p.Took.Milliseconds(), p.Ready, strings.ReplaceAll(p.Err, "\n", " "))
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-readiness.tsv"), []byte(tsv.String()), 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("report and readiness probes (%s-readiness.tsv) saved in %s", name, dir)
	// The findings still open (RELIABILITY.md, Jepsen-style runs) fail
	// the run only with LEX_JEPSEN_STRICT=1, until the ledger is fixed:
	// the normal suite keeps failing on everything else.
	for _, p := range rep.Open {
		if os.Getenv("LEX_JEPSEN_STRICT") == "1" {
			t.Error(p)
		} else {
			t.Log("open finding (issue 17), not failing the run without LEX_JEPSEN_STRICT=1: " + p)
		}
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if rep.Counts.AppendsOK < 100 {
		t.Errorf("only %d appends acknowledged: the run proves little", rep.Counts.AppendsOK)
	}
	for _, f := range rep.Faults {
		if f.Resumed < 0 {
			t.Errorf("appends never resumed after the %s of %s", f.Kind, f.Node)
		}
	}
	if t.Failed() {
		c.dump()
	}
}

// openStore connects to the cluster as the ledger role, with the ping
// interval that `ledger serve` uses, and opens the R3 stream.
func openStore(t *testing.T, c *cluster) *natsjs.Store {
	t.Helper()
	return openStoreAs(t, c, natsauth.RoleLedger)
}

// openStoreAs is openStore as role.
func openStoreAs(t *testing.T, c *cluster, role natsauth.Role) *natsjs.Store {
	t.Helper()
	return openOn(t, c, connectAs(t, c, role))
}

// connectAs connects to every node as role, with the serve commands' ping
// bounds (cli.PingInterval, cli.MaxPingsOutstanding), reconnecting for
// ever; extra options come last.
func connectAs(t *testing.T, c *cluster, role natsauth.Role, extra ...nats.Option) *nats.Conn {
	t.Helper()
	opts, err := natsauth.ClientOptions(natsauth.SeedFile(c.auth, role), "")
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, nats.PingInterval(cli.PingInterval), nats.MaxPingsOutstanding(cli.MaxPingsOutstanding), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond))
	nc, err := nats.Connect(c.urls(), append(opts, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// openOn opens the R3 stream on nc, waiting up to a minute for the
// cluster to take it.
func openOn(t *testing.T, c *cluster, nc *nats.Conn) *natsjs.Store {
	t.Helper()
	var st *natsjs.Store
	c.waitFor(60*time.Second, "the stream opened", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		st, err = natsjs.Open(ctx, nc, natsjs.Config{Replicas: 3})
		if err != nil {
			t.Logf("open the stream: %v", err)
		}
		return err == nil
	})
	return st
}

// finalHistories reads each act's history from st and returns it with its
// events' ids as a read by client at end, which ends the act's history for
// the check, and the defects found, described.
func finalHistories(t *testing.T, st *natsjs.Store, acts []string, client int, end int64) (final map[string][]eventlog.Entry, finals []jepsen.Op, defects []string) {
	t.Helper()
	final = map[string][]eventlog.Entry{}
	for _, a := range acts {
		entries, err := st.Load(context.Background(), events.ActID(a), 0)
		if err != nil {
			t.Fatalf("load %s after healing: %v", a, err)
		}
		final[a] = entries
		var ids []string
		for _, e := range entries {
			if e.Defect != nil {
				defects = append(defects, fmt.Sprintf("%s: defect at sequence %d: %s", a, e.Seq, e.Defect.Message))
				continue
			}
			ids = append(ids, e.Event.ID.String())
		}
		finals = append(finals, jepsen.Op{Client: client, Act: a, Kind: jepsen.Read, Result: jepsen.OK, Events: ids, Version: len(ids), Call: end, Return: end + 1})
	}
	return final, finals, defects
}

// acknowledged checks every acknowledged append against the final
// histories: there once, at its receipt's version and sequence, and each
// act's history without gaps.
func acknowledged(ops []jepsen.Op, final map[string][]eventlog.Entry) []string {
	var out []string
	type place struct {
		version int
		seq     uint64
	}
	where := map[string]map[string][]place{}
	for a, entries := range final {
		where[a] = map[string][]place{}
		v := 0
		var last uint64
		for _, e := range entries {
			if e.Defect != nil {
				continue
			}
			v++
			if e.Seq <= last {
				out = append(out, fmt.Sprintf("%s: sequence %d after %d", a, e.Seq, last))
			}
			last = e.Seq
			id := e.Event.ID.String()
			where[a][id] = append(where[a][id], place{v, e.Seq})
		}
	}
	for a, ids := range where {
		for id, ps := range ids {
			if len(ps) > 1 {
				out = append(out, fmt.Sprintf("event %s is in %s %d times", id, a, len(ps)))
			}
		}
	}
	for _, o := range ops {
		if o.Kind != jepsen.Append || o.Result != jepsen.OK {
			continue
		}
		ps := where[o.Act][o.ID]
		switch {
		case len(ps) == 0:
			out = append(out, fmt.Sprintf("acknowledged event %s (version %d of %s, sequence %d) is lost", o.ID, o.Version, o.Act, o.Seq))
		case ps[0].version != o.Version || ps[0].seq != o.Seq:
			out = append(out, fmt.Sprintf("acknowledged event %s of %s is at version %d sequence %d, its receipt said %d and %d",
				o.ID, o.Act, ps[0].version, ps[0].seq, o.Version, o.Seq))
		}
	}
	return out
}

// unacknowledged describes the events of the final histories that no
// try acknowledged, with every try: where an append whose clerk was told
// "unknown" or "conflict" landed after all.
func unacknowledged(ops []jepsen.Op, final map[string][]eventlog.Entry) []string {
	tries := map[string][]jepsen.Op{}
	acked := map[string]bool{}
	for _, o := range ops {
		if o.Kind == jepsen.Append {
			tries[o.ID] = append(tries[o.ID], o)
			acked[o.ID] = acked[o.ID] || o.Result == jepsen.OK
		}
	}
	var out []string
	for a, entries := range final {
		v := 0
		for _, e := range entries {
			if e.Defect != nil {
				continue
			}
			v++
			id := e.Event.ID.String()
			if acked[id] || v <= 2 {
				continue
			}
			line := fmt.Sprintf("landed unacknowledged: %s at version %d of %s, sequence %d, stored %s, recorded %s by %s:",
				id, v, a, e.Seq, e.StoredAt.Format("15:04:05.000000"), e.Event.RecordedAt.Format("15:04:05.000000"), e.Event.RecordedBy)
			for _, o := range tries[id] {
				line += fmt.Sprintf("\n\ttry by client %d, expecting %d, called %.3fs, answered %.3fs: %s %s", o.Client, o.Expect,
					float64(o.Call)/1e9, float64(o.Answered)/1e9, o.Result, o.Err)
			}
			out = append(out, line)
		}
	}
	return out
}

// prefixes checks that every read saw a prefix of its act's final
// history: reads may be stale (direct gets are answered by any replica),
// but never show an event that is not kept, or events out of order.
func prefixes(ops, finals []jepsen.Op) []string {
	final := map[string][]string{}
	for _, f := range finals {
		final[f.Act] = f.Events
	}
	var out []string
	for _, o := range ops {
		if o.Kind != jepsen.Read || o.Result != jepsen.OK {
			continue
		}
		f := final[o.Act]
		ok := len(o.Events) <= len(f)
		for i := 0; ok && i < len(o.Events); i++ {
			ok = o.Events[i] == f[i]
		}
		if !ok {
			out = append(out, fmt.Sprintf("a read of %s saw %d events that are not a prefix of its final %d", o.Act, len(o.Events), len(f)))
		}
	}
	return out
}

// wholeStream reads the stream from its start: no defect (every chain
// intact), sequences without gaps, the server's record times
// non-decreasing in stream order, and within each act the ledger's
// record times increasing (each event stamped after its act's previous
// event, whichever ledger wrote it).
//
// Each ledger's record times out of stream order are returned apart, as
// an open finding; times says, for each ledger, how far its record times
// ran from the server's and how many stood still (a nanosecond after its
// previous event's).
func wholeStream(t *testing.T, st *natsjs.Store) (out, inversions, times []string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var prev eventlog.Entry
	byRecorder := map[string]time.Time{}
	byAct := map[events.ActID]eventlog.Entry{}
	type skew struct {
		events, still     int
		behind, ahead     time.Duration // record time minus the server's, at worst each way
		firstStill, lastS uint64
	}
	skews := map[string]*skew{}
	n := 0
	for e, err := range st.Read(ctx, eventlog.Position{}) {
		if err != nil {
			return append(out, fmt.Sprintf("read the stream: %v", err)), inversions, times
		}
		n++
		switch {
		case e.Defect != nil:
			out = append(out, fmt.Sprintf("defect at sequence %d: %s", e.Seq, e.Defect.Message))
		case prev.Seq != 0 && e.Seq != prev.Seq+1:
			out = append(out, fmt.Sprintf("sequence %d follows %d", e.Seq, prev.Seq))
		case e.StoredAt.Before(prev.StoredAt):
			out = append(out, fmt.Sprintf("sequence %d stored at %s, before sequence %d (%s)", e.Seq, e.StoredAt, prev.Seq, prev.StoredAt))
		}
		if e.Defect == nil {
			r, at := e.Event.RecordedBy, e.Event.RecordedAt
			if p, ok := byAct[e.Event.Act]; ok && !at.After(p.Event.RecordedAt) {
				out = append(out, fmt.Sprintf("%s: sequence %d recorded by %s at %s, not after its act's previous event (sequence %d, by %s at %s)",
					e.Event.Act, e.Seq, r, at.Format(time.RFC3339Nano), p.Seq, p.Event.RecordedBy, p.Event.RecordedAt.Format(time.RFC3339Nano)))
			}
			byAct[e.Event.Act] = e
			sk := skews[r]
			if sk == nil {
				sk = &skew{}
				skews[r] = sk
			}
			sk.events++
			d := at.Sub(e.StoredAt)
			sk.behind, sk.ahead = min(sk.behind, d), max(sk.ahead, d)
			if t0, ok := byRecorder[r]; ok {
				if at.Before(t0) {
					inversions = append(inversions, fmt.Sprintf("sequence %d recorded by %s at %s, %s before its previous event in the stream",
						e.Seq, r, at.Format("15:04:05.000000"), t0.Sub(at)))
				} else if at.Sub(t0) < time.Microsecond {
					sk.still++
					if sk.firstStill == 0 {
						sk.firstStill = e.Seq
					}
					sk.lastS = e.Seq
				}
			}
			byRecorder[r] = at
		}
		prev = e
	}
	t.Logf("read the whole stream: %d messages", n)
	for _, r := range slices.Sorted(maps.Keys(skews)) {
		sk := skews[r]
		line := fmt.Sprintf("%s: %d events, record time minus the server's from %s to %s; %d stamped less than 1µs after its previous event",
			r, sk.events, sk.behind.Round(time.Millisecond), sk.ahead.Round(time.Millisecond), sk.still)
		if sk.still > 0 {
			line += fmt.Sprintf(" (sequences %d to %d)", sk.firstStill, sk.lastS)
		}
		times = append(times, line)
	}
	return out, inversions, times
}

// workload is the clerks' and readers' shared state.
type workload struct {
	h       *jepsen.History
	ledgers []*ledger.Ledger
	acts    []string
	mu      sync.Mutex
	known   map[string]int // the latest version any clerk saw of each act
}

func identity(l int) string { return fmt.Sprintf("clerk@ledger-%d", l) }

// setup drafts and adopts every act, so that amendments may follow.
func (w *workload) setup(t *testing.T) {
	for _, a := range w.acts {
		for v, ev := range []string{
			fmt.Sprintf(`{"id":%q,"act":%q,"type":"drafted","date":"2019-06-01","body":{"title":"Law %s","kind":"law"}}`, events.NewID(), a, a),
			fmt.Sprintf(`{"id":%q,"act":%q,"type":"adopted","date":"2019-12-01","body":{"chamber":"Parliament"}}`, events.NewID(), a),
		} {
			cmd := command(t, ev)
			for !w.append(0, cmd, v, attempts) {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
}

// amendment is clerk g's k-th amendment of act, in force from 2020-02-01.
func amendment(act string, g, k int) string {
	return fmt.Sprintf(`{"id":%q,"act":%q,"type":"amended","date":"2020-01-01","effective_from":"2020-02-01","instrument":"/akn/kz/act/2020-01-01/amending-%d-%d","provisions":["art_1"],"body":{"effect":"substitution","texts":{"art_1":"Article 1, as clerk %d amended it (%d)."}}}`,
		events.NewID(), act, g, k, g, k)
}

func command(t *testing.T, ev string) ledger.Command {
	cmds, _, err := ledger.DecodeCommands([]byte(`{"event":` + ev + `}`))
	if err != nil || len(cmds) != 1 {
		t.Fatalf("decode %s: %v", ev, err)
	}
	return cmds[0]
}

// append sends cmd, at version expect (-1: none), until it has an answer
// other than unknown or tries times; every try is an operation of the
// history. It reports whether the event was acknowledged.
func (w *workload) append(client int, cmd ledger.Command, expect, tries int) bool {
	if expect >= 0 {
		v := uint64(expect)
		cmd.ExpectedVersion = &v
	}
	l := client % len(w.ledgers)
	a := string(cmd.Event.Act)
	for range tries {
		op := jepsen.Op{Client: client, Act: a, Kind: jepsen.Append, ID: cmd.Event.ID.String(), Expect: expect, Call: w.h.Now()}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := w.ledgers[l].Append(ctx, identity(l), cmd)
		cancel()
		op.Return = w.h.Now()
		var e *events.Error
		switch {
		case err == nil:
			op.Result, op.Version, op.Seq, op.Dup = jepsen.OK, int(r.Version), r.Seq, r.Duplicate
			w.h.Add(op)
			w.saw(a, op.Version)
			return true
		case errors.As(err, &e) && e.Code == events.CodeConflict && e.Rule == "":
			op.Result, op.Err = jepsen.Conflict, err.Error()
			w.h.Add(op)
			return false
		default:
			// Unavailable, a timeout, or anything else: the event may
			// have landed. The same id makes the retry safe.
			op.Result, op.Err = jepsen.Unknown, err.Error()
			w.h.Add(op)
			time.Sleep(100 * time.Millisecond)
		}
	}
	return false
}

func (w *workload) saw(act string, v int) {
	w.mu.Lock()
	w.known[act] = max(w.known[act], v)
	w.mu.Unlock()
}

// clerk amends acts until ctx ends: even clerks at the version last seen,
// odd ones without an expectation.
func (w *workload) clerk(t *testing.T, ctx context.Context, g int) {
	for k := 0; ctx.Err() == nil; k++ {
		a := w.acts[rand.IntN(len(w.acts))]
		cmd := command(t, amendment(a, g, k))
		expect := -1
		if g%2 == 0 {
			w.mu.Lock()
			expect = w.known[a]
			w.mu.Unlock()
		}
		tries := attempts
		if ctx.Err() != nil {
			tries = 1
		}
		if !w.append(g, cmd, expect, tries) && expect >= 0 {
			w.read(g, a)
		}
	}
}

// reader reads random acts' histories until ctx ends.
func (w *workload) reader(ctx context.Context, client int) {
	for ctx.Err() == nil {
		w.read(client, w.acts[rand.IntN(len(w.acts))])
		time.Sleep(20 * time.Millisecond)
	}
}

// read records a read of act's history through a ledger.
func (w *workload) read(client int, act string) {
	op := jepsen.Op{Client: client, Act: act, Kind: jepsen.Read, Expect: -1, Call: w.h.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	entries, err := w.ledgers[client%len(w.ledgers)].History(ctx, events.ActID(act))
	cancel()
	op.Return = w.h.Now()
	if err != nil {
		op.Result = jepsen.Unknown
		w.h.Add(op)
		return
	}
	for _, e := range entries {
		if e.Defect == nil {
			op.Events = append(op.Events, e.Event.ID.String())
		}
	}
	op.Version = len(op.Events)
	w.h.Add(op)
	w.saw(act, op.Version)
}
