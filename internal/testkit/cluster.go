package testkit

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lexledger/lexledger/natsauth"
)

// NATSNode is one nats-server process of a cluster on loopback.
type NATSNode struct {
	Name                   string // its server name: n1, n2…
	Client, Route, Monitor int    // its client, cluster and monitoring ports on 127.0.0.1
	Dir                    string // holds its JetStream store
	Conf                   string // its configuration, once WriteConf has written it
	// JSZTimeout bounds each query of the node's /jsz; 2s when zero.
	JSZTimeout time.Duration
	Proc       *Proc // the process that Start ran last
	Paused     bool  // stopped by Pause, not continued since
}

// NewNATSNodes returns count nodes named n1, n2… on ports that were free a
// moment ago, each with a temporary directory of its own. None runs yet.
func NewNATSNodes(tb testing.TB, count int) []*NATSNode {
	tb.Helper()
	nodes := make([]*NATSNode, count)
	for i := range nodes {
		nodes[i] = &NATSNode{Name: fmt.Sprintf("n%d", i+1), Client: FreePort(tb), Route: FreePort(tb),
			Monitor: FreePort(tb), Dir: tb.TempDir()}
	}
	return nodes
}

// URL is the node's client URL.
func (n *NATSNode) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.Client) }

// URLs joins the client URLs of nodes with commas, as --nats-url takes them.
func URLs(nodes []*NATSNode) string {
	var u []string
	for _, n := range nodes {
		u = append(u, n.URL())
	}
	return strings.Join(u, ",")
}

// Routes returns a route straight to the cluster port of each of nodes.
func Routes(nodes []*NATSNode) []string {
	var routes []string
	for _, n := range nodes {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", n.Route))
	}
	return routes
}

// WriteConf writes the node's configuration, auth/NAME.conf, as
// docker-compose.yml's nats-config services do, on loopback ports:
// `ledger nats-config` (natsauth.Generate) with the node's name, JetStream
// with sync always, the cluster lexledger with routes, and the three
// accounts and nkey users, whose seeds in auth all nodes share.
func (n *NATSNode) WriteConf(tb testing.TB, auth string, routes []string) {
	tb.Helper()
	n.Conf = filepath.Join(auth, n.Name+".conf")
	_, err := natsauth.Generate(auth, natsauth.Options{ServerName: n.Name, Host: "127.0.0.1", Port: n.Client, MonitorPort: n.Monitor,
		StoreDir: filepath.Join(n.Dir, "jetstream"), ClusterName: "lexledger", ClusterListen: n.ClusterListen(),
		Routes: routes, File: n.Conf})
	if err != nil {
		tb.Fatal(err)
	}
}

// ClusterListen is the address of the node's cluster listener.
func (n *NATSNode) ClusterListen() string { return fmt.Sprintf("127.0.0.1:%d", n.Route) }

// Start runs the nats-server binary bin on the node's configuration and
// returns at once: Ready says when it serves. The process is killed when
// the test ends.
func (n *NATSNode) Start(tb testing.TB, bin string) {
	tb.Helper()
	n.Proc = StartProc(tb, bin, "--config", n.Conf)
	n.Paused = false
}

// Ready reports whether the node accepts client connections and has said
// that it is ready (the port opens before JetStream has recovered).
func (n *NATSNode) Ready() bool {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.Client), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return strings.Contains(n.Proc.Out.String(), "Server is ready")
}

// Kill sends the node SIGKILL, if it runs, and waits for it to end.
func (n *NATSNode) Kill(tb testing.TB) {
	if n.Proc != nil {
		n.Proc.Kill(tb)
	}
}

// Pause stops the node's process with SIGSTOP (stop) or continues it with
// SIGCONT, as a frozen host would be and then thawed.
func (n *NATSNode) Pause(tb testing.TB, stop bool) {
	sig := syscall.SIGCONT
	if stop {
		sig = syscall.SIGSTOP
	}
	if err := n.Proc.Cmd.Process.Signal(sig); err != nil {
		tb.Errorf("signal %s: %v", n.Name, err)
	}
	n.Paused = stop
}

// JSZ is the part of a node's /jsz that the tests read.
type JSZ struct {
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

// JSZ queries the node's /jsz with its accounts and streams.
func (n *NATSNode) JSZ() (JSZ, error) {
	var j JSZ
	timeout := n.JSZTimeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/jsz?accounts=true&streams=true", n.Monitor))
	if err != nil {
		return j, err
	}
	defer resp.Body.Close()
	return j, json.NewDecoder(resp.Body).Decode(&j)
}

// MetaLeader is the JetStream meta leader as the node sees it: "" when it
// knows none or does not answer.
func (n *NATSNode) MetaLeader() string {
	j, err := n.JSZ()
	if err != nil || j.Meta == nil {
		return ""
	}
	return j.Meta.Leader
}

// Stream is the node's view of a stream: its leader ("" when it knows
// none) and last sequence; ok is false when the node does not answer or
// holds no such stream.
func (n *NATSNode) Stream(name string) (leader string, last uint64, ok bool) {
	j, err := n.JSZ()
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

// Tail returns the last n bytes of s, marked with an ellipsis when s was
// longer.
func Tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
