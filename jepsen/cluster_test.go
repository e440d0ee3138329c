package jepsen_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/jepsen"
	"github.com/lexledger/lexledger/natsauth"
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

// node is one nats-server process of the cluster.
type node struct {
	name                   string
	client, route, monitor int
	dir, conf              string
	proc                   *testkit.Proc
	paused                 bool
}

func (n *node) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.client) }

// cluster is three nodes whose routes all go through proxies: proxy[i][j]
// is how node i reaches node j's cluster port.
type cluster struct {
	t     *testing.T
	bin   string
	auth  string
	nodes []*node
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
	for i := range 3 {
		c.nodes = append(c.nodes, &node{name: fmt.Sprintf("n%d", i+1), client: testkit.FreePort(t), route: testkit.FreePort(t),
			monitor: testkit.FreePort(t), dir: t.TempDir()})
	}
	for i := range 3 {
		for j := range 3 {
			if i == j {
				continue
			}
			p, err := jepsen.NewProxy(fmt.Sprintf("127.0.0.1:%d", c.nodes[j].route))
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
		n.conf = filepath.Join(c.auth, n.name+".conf")
		listen := fmt.Sprintf("127.0.0.1:%d", n.route)
		_, err := natsauth.Generate(c.auth, natsauth.Options{ServerName: n.name, Host: "127.0.0.1", Port: n.client, MonitorPort: n.monitor,
			StoreDir: filepath.Join(n.dir, "jetstream"), ClusterName: "lexledger", ClusterListen: listen, Routes: routes, File: n.conf})
		if err != nil {
			t.Fatal(err)
		}
		conf, err := os.ReadFile(n.conf)
		if err != nil {
			t.Fatal(err)
		}
		at := fmt.Sprintf("listen: %q\n", listen)
		if !strings.Contains(string(conf), at) {
			t.Fatalf("no %q in the configuration that natsauth.Generate wrote:\n%s", at, conf)
		}
		conf = []byte(strings.Replace(string(conf), at, at+fmt.Sprintf("  advertise: \"127.0.0.1:%d\"\n", testkit.FreePort(t)), 1))
		if err := os.WriteFile(n.conf, conf, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range c.nodes {
		c.start(n)
	}
	c.waitFor(60*time.Second, "a JetStream meta leader", func() bool {
		j, err := c.nodes[0].jsz()
		return err == nil && j.Meta != nil && j.Meta.Leader != ""
	})
	return c
}

// start runs n's nats-server and waits until it serves clients.
func (c *cluster) start(n *node) {
	n.proc = testkit.StartProc(c.t, c.bin, "--config", n.conf)
	n.paused = false
	c.waitFor(30*time.Second, n.name+" ready", func() bool {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.client), time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil && strings.Contains(n.proc.Out.String(), "Server is ready")
	})
}

func (c *cluster) kill(n *node) { n.proc.Kill(c.t) }

func (c *cluster) pause(n *node, stop bool) {
	sig := syscall.SIGCONT
	if stop {
		sig = syscall.SIGSTOP
	}
	if err := n.proc.Cmd.Process.Signal(sig); err != nil {
		c.t.Errorf("signal %s: %v", n.name, err)
	}
	n.paused = stop
}

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
		if !n.proc.Running() || n.paused {
			continue
		}
		if l, _, ok := n.stream(stream); ok && l != "" {
			for i, m := range c.nodes {
				if m.name == l {
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
			l, s, ok := n.stream(stream)
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

func (c *cluster) urls() string {
	var u []string
	for _, n := range c.nodes {
		u = append(u, n.url())
	}
	return strings.Join(u, ",")
}

func (c *cluster) dump() {
	for _, n := range c.nodes {
		out := n.proc.Out.String()
		if len(out) > 4000 {
			out = "…" + out[len(out)-4000:]
		}
		c.t.Logf("--- %s:\n%s", n.name, out)
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

// jsz is the part of a node's /jsz that the test reads.
type jsz struct {
	Meta *struct {
		Leader string `json:"leader"`
	} `json:"meta_cluster"`
	Accounts []struct {
		Streams []struct {
			Name    string `json:"name"`
			Cluster *struct {
				Leader string `json:"leader"`
			} `json:"cluster"`
			State struct {
				LastSeq uint64 `json:"last_seq"`
			} `json:"state"`
		} `json:"stream_detail"`
	} `json:"account_details"`
}

func (n *node) jsz() (jsz, error) {
	var j jsz
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/jsz?accounts=true&streams=true", n.monitor))
	if err != nil {
		return j, err
	}
	defer resp.Body.Close()
	return j, json.NewDecoder(resp.Body).Decode(&j)
}

// stream is the node's view of a stream: its leader and last sequence.
func (n *node) stream(name string) (leader string, last uint64, ok bool) {
	j, err := n.jsz()
	if err != nil {
		return "", 0, false
	}
	for _, a := range j.Accounts {
		for _, s := range a.Streams {
			if s.Name == name {
				if s.Cluster != nil {
					leader = s.Cluster.Leader
				}
				return leader, s.State.LastSeq, true
			}
		}
	}
	return "", 0, false
}
