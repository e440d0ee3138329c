package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
)

// process is `ledger serve` as a real process.
type process struct {
	cmd    *exec.Cmd
	base   string
	output *syncBuffer
	exited chan error
}

func startProcess(t *testing.T, bin, dir string) *process {
	t.Helper()
	httpPort, natsPort := freeTCPPort(t), freeTCPPort(t)
	p := &process{base: fmt.Sprintf("http://127.0.0.1:%d", httpPort), output: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, "serve", "--data", dir, "--http", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--nats-port", strconv.Itoa(natsPort))
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	waitHealthy(t, p.base, p.exited)
	return p
}

// clerkReceipt is an acknowledged append.
type clerkReceipt struct {
	clerk int
	r     ledger.Receipt
}

// A clerk records acts one after another: drafted, adopted, then amendments,
// each event with its own id, until the server stops answering.
func clerk(ctx context.Context, base string, g int, acked chan<- clerkReceipt) {
	c := &http.Client{Timeout: 10 * time.Second}
	post := func(ev string) (ledger.Receipt, bool) {
		var r ledger.Receipt
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/events", bytes.NewReader([]byte(`{"event":`+ev+`}`)))
		if err != nil {
			return r, false
		}
		resp, err := c.Do(req)
		if err != nil {
			return r, false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&r) != nil {
			return r, false
		}
		return r, true
	}
	for n := 1; ctx.Err() == nil; n++ {
		act := fmt.Sprintf("/akn/kz/act/2020-01-01/clerk%d-%d", g, n)
		steps := []string{
			fmt.Sprintf(`{"id":%q,"act":%q,"type":"drafted","date":"2019-06-01","body":{"title":"Law No. %d","kind":"law"}}`, events.NewID(), act, n),
			fmt.Sprintf(`{"id":%q,"act":%q,"type":"adopted","date":"2019-12-01","body":{"chamber":"Parliament"}}`, events.NewID(), act),
		}
		for k := 1; k <= 20; k++ {
			steps = append(steps, fmt.Sprintf(`{"id":%q,"act":%q,"type":"amended","date":"2020-01-01","effective_from":"2020-02-01","instrument":"/akn/kz/act/2020-01-01/amending-%d","provisions":["art_%d"],"body":{"effect":"substitution","texts":{"art_%d":"Article %d, amended."}}}`,
				events.NewID(), act, g, k, k, k))
		}
		for _, ev := range steps {
			r, ok := post(ev)
			if !ok {
				return
			}
			acked <- clerkReceipt{g, r}
		}
	}
}

// kill -9 while eight clerks append: every acknowledged event is in its
// act's history after a restart, once, where its receipt said.
func TestKillDuringAppendsLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	bin := filepath.Join(t.TempDir(), "ledger")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t0 := time.Now()
	dir := t.TempDir()
	p := startProcess(t, bin, dir)
	t.Logf("built and started in %s", time.Since(t0))

	const clerks = 8
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acked := make(chan clerkReceipt, 1<<16)
	var wg sync.WaitGroup
	for g := 0; g < clerks; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			clerk(ctx, p.base, g, acked)
		}(g)
	}
	time.Sleep(2 * time.Second)
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-p.exited
	wg.Wait()
	close(acked)
	t.Logf("killed; clerks stopped at %s", time.Since(t0))

	byAct := map[events.ActID][]ledger.Receipt{}
	total := 0
	for a := range acked {
		byAct[a.r.Act] = append(byAct[a.r.Act], a.r)
		total++
	}
	if total < 100 {
		t.Fatalf("only %d appends were acknowledged in 2 seconds: the test proves little\n%s", total, p.output.String())
	}
	t.Logf("%d events acknowledged on %d acts before the kill", total, len(byAct))

	q := startProcess(t, bin, dir)
	t.Logf("restarted at %s", time.Since(t0))
	for act, rs := range byAct {
		h, status, err := testkit.History(q.base, act)
		if status != http.StatusOK || err != nil {
			t.Errorf("history of %s after the restart: %d %v", act, status, err)
			continue
		}
		seen := map[events.ID]int{}
		for i, e := range h.Events {
			if e.Version != uint64(i+1) {
				t.Errorf("%s: event %d has version %d", act, i, e.Version)
			}
			if i > 0 && e.Seq <= h.Events[i-1].Seq {
				t.Errorf("%s: sequence %d after %d", act, e.Seq, h.Events[i-1].Seq)
			}
			seen[e.Event.ID]++
		}
		for _, r := range rs {
			switch n := seen[r.ID]; {
			case n == 0:
				t.Errorf("acknowledged event %s (version %d of %s) is lost", r.ID, r.Version, act)
			case n > 1:
				t.Errorf("acknowledged event %s is in the history of %s %d times", r.ID, act, n)
			case r.Version < 1 || r.Version > uint64(len(h.Events)) ||
				h.Events[r.Version-1].Event.ID != r.ID || h.Events[r.Version-1].Seq != r.Seq:
				t.Errorf("acknowledged event %s is not at version %d sequence %d of %s", r.ID, r.Version, r.Seq, act)
			}
		}
		// The act takes new events where its history ends.
		next := fmt.Sprintf(`{"event":{"act":%q,"type":"corrigendum","date":"2020-03-01"},"expected_version":%d}`, act, len(h.Events))
		resp, err := http.Post(q.base+"/v1/events", "application/json", bytes.NewReader([]byte(next)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("%s after the restart: an append at version %d answered %d", act, len(h.Events), resp.StatusCode)
		}
	}
}
