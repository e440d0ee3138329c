package jepsen_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/jepsen"
)

// natsServer builds nats-server at go.mod's version once, or says why it
// could not: a test without it skips.
var natsServer struct {
	once     sync.Once
	dir, bin string
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if natsServer.dir != "" {
		os.RemoveAll(natsServer.dir)
	}
	os.Exit(code)
}

func natsServerBinary(t *testing.T) string {
	t.Helper()
	natsServer.once.Do(func() {
		if natsServer.dir, natsServer.err = os.MkdirTemp("", "lexledger-jepsen-"); natsServer.err != nil {
			return
		}
		natsServer.bin = filepath.Join(natsServer.dir, "nats-server")
		out, err := exec.Command("go", "build", "-o", natsServer.bin, "github.com/nats-io/nats-server/v2").CombinedOutput()
		if err != nil {
			natsServer.err = fmt.Errorf("go build github.com/nats-io/nats-server/v2: %v\n%s", err, out)
		}
	})
	if natsServer.err != nil {
		t.Skipf("the cluster needs the nats-server binary, which could not be built: %v", natsServer.err)
	}
	return natsServer.bin
}

// cluster is three nodes whose routes all go through proxies: proxy[i][j]
// is how node i reaches node j's cluster port.
type cluster struct {
	t     *testing.T
	bin   string
	auth  string
	nodes []*testkit.NATSNode
	proxy [3][3]*jepsen.Proxy
	// clock is ledger 1's clock, which clockJump faults move.
	clock *jumpClock
}

// jumpClock is the wall clock moved by an offset.
type jumpClock struct{ off atomic.Int64 }

func (j *jumpClock) now() time.Time { return time.Now().Add(time.Duration(j.off.Load())) }

func (j *jumpClock) jump(d time.Duration) { j.off.Store(int64(d)) }

// newCluster writes each node's configuration as `ledger nats-config`
// does (natsauth.Generate: sync always, three accounts and nkey users),
// with its routes to the other two through proxies, and starts the nodes.
// Each node advertises a cluster address where nothing listens, so that
// no node learns another's real cluster port by gossip and every route
// stays behind its proxy.
func newCluster(t *testing.T) *cluster {
	c := &cluster{t: t, bin: natsServerBinary(t), auth: t.TempDir(), clock: &jumpClock{}}
	c.nodes = testkit.NewNATSNodes(t, 3)
	for _, n := range c.nodes {
		n.JSZTimeout = time.Second // each poll of a node gives up after a second
	}
	for i := range 3 {
		for j := range 3 {
			if i == j {
				continue
			}
			p, err := jepsen.NewProxy(fmt.Sprintf("127.0.0.1:%d", c.nodes[j].Route))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			c.proxy[i][j] = p
		}
	}
	for i, n := range c.nodes {
		var routes []string
		for j := range 3 {
			if j != i {
				routes = append(routes, "nats-route://"+c.proxy[i][j].Addr())
			}
		}
		n.WriteConf(t, c.auth, routes)
		listen := n.ClusterListen()
		conf, err := os.ReadFile(n.Conf)
		if err != nil {
			t.Fatal(err)
		}
		at := fmt.Sprintf("listen: %q\n", listen)
		if !strings.Contains(string(conf), at) {
			t.Fatalf("no %q in the configuration that natsauth.Generate wrote:\n%s", at, conf)
		}
		conf = []byte(strings.Replace(string(conf), at, at+fmt.Sprintf("  advertise: \"127.0.0.1:%d\"\n", testkit.FreePort(t)), 1))
		if err := os.WriteFile(n.Conf, conf, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range c.nodes {
		c.start(n)
	}
	c.waitFor(60*time.Second, "a JetStream meta leader", func() bool { return c.nodes[0].MetaLeader() != "" })
	return c
}

// start runs n's nats-server and waits until it serves clients.
func (c *cluster) start(n *testkit.NATSNode) {
	n.Start(c.t, c.bin)
	c.waitFor(30*time.Second, n.Name+" ready", n.Ready)
}

func (c *cluster) kill(n *testkit.NATSNode) { n.Kill(c.t) }

func (c *cluster) pause(n *testkit.NATSNode, stop bool) { n.Pause(c.t, stop) }

// isolate cuts (or heals) every route between node i and the other two.
func (c *cluster) isolate(i int, cut bool) {
	for j := range 3 {
		if j == i {
			continue
		}
		for _, p := range []*jepsen.Proxy{c.proxy[i][j], c.proxy[j][i]} {
			if cut {
				p.Cut()
			} else {
				p.Heal()
			}
		}
	}
}

// slow adds latency to every route of node i (0 heals).
func (c *cluster) slow(i int, d time.Duration) {
	for j := range 3 {
		if j != i {
			c.proxy[i][j].SetLatency(d)
			c.proxy[j][i].SetLatency(d)
		}
	}
}

// leader is the index of the node that leads stream, as the nodes that
// are up and not paused see it; -1 when none says.
func (c *cluster) leader(stream string) int {
	for _, n := range c.nodes {
		if !n.Proc.Running() || n.Paused {
			continue
		}
		if l, _, ok := n.Stream(stream); ok && l != "" {
			for i, m := range c.nodes {
				if m.Name == l {
					return i
				}
			}
		}
	}
	return -1
}

// waitLeader waits for stream to have a leader and returns it.
func (c *cluster) waitLeader(stream string) int {
	i := -1
	c.waitFor(60*time.Second, "a leader of stream "+stream, func() bool { i = c.leader(stream); return i >= 0 })
	return i
}

// converged waits until every node holds stream to the same last sequence.
func (c *cluster) converged(stream string) uint64 {
	var last uint64
	c.waitFor(90*time.Second, "all three replicas at the same last sequence", func() bool {
		var seqs []uint64
		for _, n := range c.nodes {
			l, s, ok := n.Stream(stream)
			if !ok || l == "" {
				return false
			}
			seqs = append(seqs, s)
		}
		last = seqs[0]
		return seqs[0] == seqs[1] && seqs[1] == seqs[2]
	})
	return last
}

func (c *cluster) urls() string { return testkit.URLs(c.nodes) }

func (c *cluster) dump() {
	for _, n := range c.nodes {
		if n.Proc == nil {
			c.t.Logf("--- %s: not started", n.Name)
			continue
		}
		c.t.Logf("--- %s:\n%s", n.Name, testkit.Tail(n.Proc.Out.String(), 4000))
	}
}

func (c *cluster) waitFor(d time.Duration, what string, ok func() bool) {
	c.t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
	}
	c.dump()
	c.t.Fatalf("no %s in %s", what, d)
}
