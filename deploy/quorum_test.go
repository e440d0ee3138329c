package deploy_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsauth"
)

// A ledger and a projector on a three-node cluster see a lost quorum: with
// two nodes of three killed, the remaining replica still answers the
// stream's info, but both say not ready, naming the missing leader, and
// the ledger's lex_stream_up is 0; once the nodes are back, both are ready
// again and appends are acknowledged (issue 17: health could not see a
// lost quorum).
func TestClusterReadinessSeesQuorumLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs a three-node cluster")
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
	waitFor(t, 60*time.Second, "a JetStream meta leader", func() bool { return nodes[0].MetaLeader() != "" })
	seed := func(r natsauth.Role) string { return natsauth.SeedFile(auth, r) }
	natsURL := testkit.URLs(nodes)
	led := startService(t, ledgerBin, "/readyz", "serve", "--nats-url", natsURL, "--replicas", "3", "--projector=false",
		"--nats-nkey", seed(natsauth.RoleLedger), "--nats-users", filepath.Join(auth, natsauth.UsersFile))
	proj := startService(t, projectorBin, "/readyz", "serve", "--nats-url", natsURL, "--replicas", "3",
		"--nats-nkey", seed(natsauth.RoleProjector))
	n := 0
	post := func() int { // a new act each time
		n++
		c := &http.Client{Timeout: 10 * time.Second}
		resp, err := c.Post(led.base+"/v1/events", "application/json",
			strings.NewReader(fmt.Sprintf(`{"event":{"act":"/akn/kz/act/2020-01-01/q%d","type":"drafted","date":"2019-06-01","body":{"title":"Law Q","kind":"law"}}}`, n)))
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != http.StatusCreated {
		t.Fatalf("the first append answered %d", code)
	}

	// Kill the two nodes the ledger and the projector are not alone on:
	// any two leave one replica, without a quorum.
	nodes[1].Kill(t)
	nodes[2].Kill(t)
	for _, s := range []*service{led, proj} {
		var last string
		ok := pollFor(60*time.Second, func() bool {
			code, body := readyz(s)
			last = fmt.Sprintf("%d %s", code, body)
			return code == http.StatusServiceUnavailable && strings.Contains(body, "quorum")
		})
		if !ok {
			t.Fatalf("%s: /readyz did not report the lost quorum within 60s; last: %s\n%s", s.cmd.Path, last, testkit.Tail(s.out.String(), 3000))
		}
	}
	if up := metric(t, led, "lex_stream_up"); up != "0" {
		t.Errorf("lex_stream_up is %q without a quorum, want 0", up)
	}

	nodes[1].Start(t, natsBin)
	nodes[2].Start(t, natsBin)
	for _, s := range []*service{led, proj} {
		var last string
		if !pollFor(90*time.Second, func() bool {
			code, body := readyz(s)
			last = fmt.Sprintf("%d %s", code, body)
			return code == http.StatusOK
		}) {
			t.Fatalf("%s: not ready again within 90s of the quorum's return; last: %s", s.cmd.Path, last)
		}
	}
	if !pollFor(30*time.Second, func() bool { return post() == http.StatusCreated }) {
		t.Error("no append was answered within 30s of the quorum's return")
	}
}

// pollFor calls ok every 200 ms until it holds or d has passed.
func pollFor(d time.Duration, ok func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if ok() {
			return true
		}
	}
	return false
}

func readyz(s *service) (int, string) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(s.base + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the value of an unlabelled metric from the service's
// /metrics, "" when absent.
func metric(t *testing.T, s *service, name string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
