package cli_test

import (
	"errors"
	"flag"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
)

// Without --nats-nkey, a command finds its role's seed in $LEDGER_DATA,
// and says which seed was refused or that a login is needed.
func TestNATSAuthFindsTheEmbeddedSeed(t *testing.T) {
	data := t.TempDir()
	keys, err := natsauth.SetupEmbedded(data+"/"+natsauth.EmbeddedDir, natsauth.Options{StoreDir: data})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: data, Port: 0, Config: keys.Config})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	auth := func() cli.NATSAuth {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return cli.AddNATSAuthAs(fs, natsauth.RoleAuditor)
	}
	t.Setenv("LEDGER_DATA", data)
	nc, err := auth().Connect(srv.ClientURL(), "test", "")
	if err != nil {
		t.Fatalf("the auditor's default seed: %v", err)
	}
	nc.Close()

	t.Setenv("LEDGER_DATA", t.TempDir()) // no seeds there
	_, err = auth().Connect(srv.ClientURL(), "test", "")
	if !errors.Is(err, nats.ErrAuthorization) || !strings.Contains(err.Error(), "--nats-nkey") {
		t.Errorf("without a seed: %v, want an authorization error that names --nats-nkey", err)
	}
}

// A connection leaves a server that stops answering (a paused process, a
// frozen host: here a proxy that stops passing bytes on) within a few
// ping intervals, rather than the client library's two minutes, so that
// it can reconnect to another server of the cluster.
func TestConnectLeavesAFrozenServer(t *testing.T) {
	srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: t.TempDir(), Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	proxy := newFreezingProxy(t, strings.TrimPrefix(srv.ClientURL(), "nats://"))
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	disconnected := make(chan struct{}, 1)
	nc, err := cli.AddNATSAuth(fs).Connect("nats://"+proxy.addr(), "test", "",
		nats.DisconnectErrHandler(func(*nats.Conn, error) {
			select {
			case disconnected <- struct{}{}:
			default:
			}
		}), nats.MaxReconnects(0))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	proxy.freeze()
	limit := 10 * cli.PingInterval
	select {
	case <-disconnected:
	case <-time.After(limit):
		t.Fatalf("the connection still held a server that answered nothing after %s", limit)
	}
}

// freezingProxy passes TCP connections on to a server until freeze, after
// which it passes nothing in either direction and closes nothing: a hung
// server, as its clients see it.
type freezingProxy struct {
	ln     net.Listener
	frozen chan struct{}
}

func newFreezingProxy(t *testing.T, target string) *freezingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{ln: ln, frozen: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				return
			}
			t.Cleanup(func() { c.Close(); s.Close() })
			go p.pipe(c, s)
			go p.pipe(s, c)
		}
	}()
	return p
}

func (p *freezingProxy) addr() string { return p.ln.Addr().String() }

func (p *freezingProxy) freeze() { close(p.frozen) }

// pipe copies from src to dst until the proxy freezes.
func (p *freezingProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.frozen:
			return
		default:
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
