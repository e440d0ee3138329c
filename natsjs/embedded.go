package natsjs

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configure a NATS server with JetStream run inside the
// ledger's process: the default engine, with nothing to install.
type EmbeddedOptions struct {
	Dir  string // the JetStream store directory
	Host string // 127.0.0.1 when empty
	// Port is the client port; 0 picks a free one, -1 listens on none
	// (in-process connections only).
	Port int
	// SyncAlways makes the server fsync each write before acknowledging it.
	// Without it the server syncs every two minutes: a killed process loses
	// nothing, a machine that loses power may lose the last writes.
	SyncAlways bool
	Name       string // the server name; "lexledger" when empty
}

// StartEmbedded starts the server and waits until it accepts connections.
// Shut it down with Shutdown and WaitForShutdown.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Name == "" {
		o.Name = "lexledger"
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", o.Dir, err)
	}
	opts := &server.Options{
		ServerName: o.Name,
		Host:       o.Host,
		Port:       o.Port,
		JetStream:  true,
		StoreDir:   o.Dir,
		SyncAlways: o.SyncAlways,
		NoSigs:     true,
		MaxPayload: MaxMsgSize + 1024,
	}
	if o.Port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	if o.Port < 0 {
		opts.DontListen = true
	}
	if o.Port > 0 {
		// Fail with a clear message rather than the server's log line.
		ln, err := net.Listen("tcp", net.JoinHostPort(o.Host, strconv.Itoa(o.Port)))
		if err != nil {
			return nil, fmt.Errorf("cannot listen on %s:%d for the embedded NATS server (is another ledger or nats-server running? stop it, or choose another port with --nats-port): %w", o.Host, o.Port, err)
		}
		ln.Close()
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded NATS server did not become ready within 30s (data in %s)", o.Dir)
	}
	return s, nil
}
