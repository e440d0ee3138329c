package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/projector"
)

// clusterSeconds is how long the clerks append in TestClusterSurvivesNodeLoss
// unless LEX_CLUSTER_SECONDS says otherwise (30 for the full run).
const clusterSeconds = 10

// service is `ledger serve` or `projector serve` as a process.
type service struct {
	cmd    *exec.Cmd
	base   string
	out    *syncBuffer
	exited chan error
}

func startService(t *testing.T, bin, ready string, args ...string) *service {
	t.Helper()
	port := freeTCPPort(t)
	s := &service{base: fmt.Sprintf("http://127.0.0.1:%d", port), out: &syncBuffer{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(bin, append(args, "--http", fmt.Sprintf("127.0.0.1:%d", port))...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	c := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-s.exited:
			t.Fatalf("%s exited before it was ready: %v\n%s", filepath.Base(bin), err, s.out)
		default:
		}
		if resp, err := c.Get(s.base + ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
	}
	t.Fatalf("%s not ready in 60s:\n%s", filepath.Base(bin), s.out)
	return nil
}

// ack is an acknowledged append, and when it was sent and answered.
type ack struct {
	r          ledger.Receipt
	sent, done time.Time
}

// clusterClerk records acts (drafted, adopted, eight amendments) until ctx
// ends. An append that fails for want of the engine (a 503, a conflict, a
// timeout) is sent again with the same event id until it is acknowledged:
// ids are idempotency keys. Any other answer is an error of the test.
func clusterClerk(ctx context.Context, base string, g int, acks chan<- ack, errs chan<- string) {
	c := &http.Client{Timeout: 15 * time.Second}
	for n := 1; ctx.Err() == nil; n++ {
		act := fmt.Sprintf("/akn/kz/act/2020-01-01/c%d-%d", g, n)
		steps := []string{
			fmt.Sprintf(`{"id":%q,"act":%q,"type":"drafted","date":"2019-06-01","body":{"title":"Law No. %d-%d","kind":"law"}}`, events.NewID(), act, g, n),
			fmt.Sprintf(`{"id":%q,"act":%q,"type":"adopted","date":"2019-12-01","body":{"chamber":"Parliament"}}`, events.NewID(), act),
		}
		for k := 1; k <= 8; k++ {
			steps = append(steps, fmt.Sprintf(`{"id":%q,"act":%q,"type":"amended","date":"2020-01-01","effective_from":"2020-02-01","instrument":"/akn/kz/act/2020-01-01/amending-%d","provisions":["art_%d"],"body":{"effect":"substitution","texts":{"art_%d":"Article %d, amended."}}}`,
				events.NewID(), act, g, k, k, k))
		}
		for _, ev := range steps {
			for {
				if ctx.Err() != nil {
					return
				}
				sent := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/events", strings.NewReader(`{"event":`+ev+`}`))
				resp, err := c.Do(req)
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					var r ledger.Receipt
					if err := json.Unmarshal(body, &r); err != nil {
						errs <- fmt.Sprintf("clerk %d: receipt %s: %v", g, body, err)
						return
					}
					acks <- ack{r, sent, time.Now()}
					break
				}
				if resp.StatusCode == http.StatusConflict || resp.StatusCode >= 500 {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				errs <- fmt.Sprintf("clerk %d: %s answered %d: %s", g, act, resp.StatusCode, body)
				return
			}
		}
	}
}

// The acceptance test: three nats-server nodes, a ledger and a
// projector; twenty clerks append; the stream leader is killed with kill -9
// a third of the way through and restarted at two thirds. Every
// acknowledged event is then in its act's history exactly once, where its
// receipt said, and the projector's view equals a fresh rebuild. It reports
// how long appends took to resume, and the throughput.
func TestClusterSurvivesNodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs a three-node cluster")
	}
	seconds := clusterSeconds
	if v := os.Getenv("LEX_CLUSTER_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 {
			t.Fatalf("LEX_CLUSTER_SECONDS=%q: want a number of seconds, at least 3", v)
		}
		seconds = n
	}
	natsBin, ledgerBin, projectorBin := binary(t, "nats-server"), binary(t, "ledger"), binary(t, "projector")

	nodes := testkit.NewNATSNodes(t, 3)
	auth := t.TempDir()
	for _, n := range nodes {
		n.WriteConf(t, auth, testkit.Routes(nodes))
	}
	for _, n := range nodes {
		n.Start(t, natsBin)
	}
	seed := func(r natsauth.Role) string { return natsauth.SeedFile(auth, r) }
	dump := func() {
		for _, n := range nodes {
			t.Logf("--- %s:\n%s", n.Name, testkit.Tail(n.Proc.Out.String(), 3000))
		}
	}
	// A JetStream meta leader must exist before an R3 stream can be created.
	waitFor(t, 60*time.Second, "a JetStream meta leader", func() bool { return nodes[0].MetaLeader() != "" })
	natsURL := testkit.URLs(nodes)
	led := startService(t, ledgerBin, "/healthz", "serve", "--nats-url", natsURL, "--replicas", "3", "--projector=false",
		"--nats-nkey", seed(natsauth.RoleLedger), "--nats-users", filepath.Join(auth, natsauth.UsersFile))
	proj := startService(t, projectorBin, "/v1/projection", "serve", "--nats-url", natsURL, "--replicas", "3",
		"--nats-nkey", seed(natsauth.RoleProjector))

	run := time.Duration(seconds) * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	acks := make(chan ack, 1<<10)
	errs := make(chan string, 100)
	var wg sync.WaitGroup
	const clerks = 20
	start := time.Now()
	for g := range clerks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clusterClerk(ctx, led.base, g, acks, errs)
		}()
	}
	// The collector keeps every receipt and notes the first acknowledgement
	// of an append sent after the kill.
	var (
		mu      sync.Mutex
		all     []ack
		killed  time.Time
		resumed = make(chan struct{})
	)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for a := range acks {
			mu.Lock()
			all = append(all, a)
			if !killed.IsZero() && a.sent.After(killed) && resumed != nil {
				close(resumed)
				resumed = nil
			}
			mu.Unlock()
		}
	}()

	// Kill the stream's leader at a third, restart it at two thirds.
	time.Sleep(run / 3)
	victim := nodes[0]
	if leader, _, ok := nodes[0].Stream("LEX"); ok {
		for _, n := range nodes {
			if n.Name == leader {
				victim = n
			}
		}
	}
	mu.Lock()
	killed = time.Now()
	waitResumed := resumed
	mu.Unlock()
	victim.Kill(t)
	t.Logf("killed %s, the stream leader, with SIGKILL at %s", victim.Name, killed.Sub(start).Round(time.Millisecond))
	time.Sleep(time.Until(start.Add(2 * run / 3)))
	victim.Start(t, natsBin)
	t.Logf("restarted %s at %s", victim.Name, time.Since(start).Round(time.Millisecond))
	time.Sleep(time.Until(start.Add(run)))
	// A run too short to see appends resume goes on until they do.
	select {
	case <-waitResumed:
	default:
		t.Logf("no append sent after the kill acknowledged yet at %s: the clerks go on until one is (at most a minute)", time.Since(start).Round(time.Millisecond))
		select {
		case <-waitResumed:
		case <-time.After(time.Minute):
		}
	}
	time.Sleep(3 * time.Second) // every clerk gets its turn after the stall
	cancel()
	wg.Wait()
	elapsed := time.Since(start)
	close(acks)
	<-collected
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	// Resume: the first append sent after the kill that was acknowledged,
	// and the moment every clerk had one acknowledged.
	var first time.Time
	clerkResumed := map[string]time.Time{}
	byAct := map[events.ActID][]ledger.Receipt{}
	for _, a := range all {
		byAct[a.r.Act] = append(byAct[a.r.Act], a.r)
		if a.sent.After(killed) {
			if first.IsZero() || a.done.Before(first) {
				first = a.done
			}
			clerk, _, _ := strings.Cut(strings.TrimPrefix(string(a.r.Act), "/akn/kz/act/2020-01-01/"), "-")
			if t0, ok := clerkResumed[clerk]; !ok || a.done.Before(t0) {
				clerkResumed[clerk] = a.done
			}
		}
	}
	if len(all) < 100 {
		dump()
		t.Fatalf("only %d appends acknowledged: the test proves little\n%s", len(all), led.out)
	}
	if first.IsZero() {
		dump()
		t.Fatalf("no append sent after the kill was acknowledged in %s\nledger:\n%s", time.Since(killed), testkit.Tail(led.out.String(), 5000))
	}
	var allResumed time.Time
	for _, t0 := range clerkResumed {
		if t0.After(allResumed) {
			allResumed = t0
		}
	}
	var duplicates, beforeKill int
	for _, a := range all {
		if a.r.Duplicate {
			duplicates++
		}
		if a.done.Before(killed) {
			beforeKill++
		}
	}
	t.Logf("before the kill: %.0f events/s with all three nodes up", float64(beforeKill)/killed.Sub(start).Seconds())
	t.Logf("appends resumed after %d ms (first acknowledged append sent after the kill); all %d/%d clerks after %d ms",
		first.Sub(killed).Milliseconds(), len(clerkResumed), clerks, allResumed.Sub(killed).Milliseconds())
	t.Logf("%d events acknowledged on %d acts in %s by %d clerks: %.0f events/s (%d receipts were duplicates of a retried append)",
		len(all), len(byAct), elapsed.Round(time.Millisecond), clerks, float64(len(all))/elapsed.Seconds(), duplicates)

	// Every replica holds the whole stream before it is read: direct gets
	// may be answered by any of them.
	var last uint64
	waitFor(t, 60*time.Second, "all three replicas at the same last sequence", func() bool {
		var seqs []uint64
		for _, n := range nodes {
			_, s, ok := n.Stream("LEX")
			if !ok {
				return false
			}
			seqs = append(seqs, s)
		}
		last = seqs[0]
		return seqs[0] == seqs[1] && seqs[1] == seqs[2] && seqs[0] > 0
	})

	lost := 0
	for act, rs := range byAct {
		h, status, err := testkit.History(led.base, act)
		if status != http.StatusOK || err != nil {
			t.Errorf("history of %s: %d %v", act, status, err)
			continue
		}
		seen := map[events.ID]int{}
		for i, e := range h.Events {
			if e.Version != uint64(i+1) {
				t.Errorf("%s: event %d has version %d", act, i, e.Version)
			}
			seen[e.Event.ID]++
		}
		for _, r := range rs {
			switch n := seen[r.ID]; {
			case n == 0:
				lost++
				t.Errorf("acknowledged event %s (version %d of %s, sequence %d) is lost", r.ID, r.Version, act, r.Seq)
			case n > 1:
				t.Errorf("acknowledged event %s is in the history of %s %d times", r.ID, act, n)
			case r.Version < 1 || r.Version > uint64(len(h.Events)) ||
				h.Events[r.Version-1].Event.ID != r.ID || h.Events[r.Version-1].Seq != r.Seq:
				t.Errorf("acknowledged event %s is not at version %d sequence %d of %s", r.ID, r.Version, r.Seq, act)
			}
		}
	}
	t.Logf("events lost: %d of %d acknowledged; stream at sequence %d", lost, len(all), last)

	// The projector follows on to the end and agrees with a fresh rebuild.
	var pos projector.Position
	waitFor(t, 60*time.Second, fmt.Sprintf("the projector at sequence %d", last), func() bool {
		var ok bool
		pos, ok = testkit.Position(proj.base, true)
		return ok && pos.LastSeq >= last && pos.Behind == 0
	})
	out, err := exec.Command(projectorBin, "rebuild", "--nats-url", natsURL, "--nats-nkey", seed(natsauth.RoleProjector), "--save=false", "--quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("projector rebuild: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`to sequence (\d+) .*digest (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("projector rebuild printed no digest:\n%s", out)
	}
	if string(m[1]) != strconv.FormatUint(pos.LastSeq, 10) || string(m[2]) != pos.Digest {
		t.Errorf("the projector is at sequence %d with digest %s; a fresh rebuild: sequence %s, digest %s", pos.LastSeq, pos.Digest, m[1], m[2])
	}
	if t.Failed() || os.Getenv("LEX_CLUSTER_LOGS") != "" {
		dump()
		t.Logf("--- ledger:\n%s\n--- projector:\n%s", testkit.Tail(led.out.String(), 5000), testkit.Tail(proj.out.String(), 5000))
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("no %s in %s", what, d)
}
